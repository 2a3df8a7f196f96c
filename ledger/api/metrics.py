"""Prometheus metrics, and the middleware that times every request and logs it.

Requests are labelled by route template (``/v1/communities/{community}/records``), never by
raw path, so that neither label cardinality nor logs grow with what clients send. The access log
carries no client address and no request content: nothing personal.
"""

from __future__ import annotations

import logging
import time

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("sunlight.access")

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("sunlight_http_requests", "HTTP requests answered",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("sunlight_http_request_duration_seconds",
                                 "Time to answer an HTTP request", ["method", "route"],
                                 buckets=LATENCY_BUCKETS, registry=self.registry)
        self.appends = Counter("sunlight_appends", "Records appended to a community's log",
                               ["community"], registry=self.registry)
        self.publish = Histogram("sunlight_publish_duration_seconds",
                                 "Time to rebuild a community's portal", ["result"],
                                 buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
                                 registry=self.registry)
        self.reads = Counter("sunlight_reads", "Reads answered with a hot standby configured, "
                             "by where from (primary: the standby had not replayed the client's "
                             "write in time)", ["source"], registry=self.registry)
        self.rate_limited = Counter("sunlight_rate_limited", "Requests refused by a rate limit",
                                    ["scope"], registry=self.registry)

    def exposition(self) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


def metrics_endpoint(request: Request) -> Response:
    metrics = request.app.state.services.metrics
    assert isinstance(metrics, Metrics)
    return metrics.exposition()


class RequestMetrics:
    """ASGI middleware: one latency sample, one counter increment and one log line per request."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = route.path if isinstance(route, Route) else "unmatched"
            method = scope["method"]
            self.metrics.latency.labels(method, template).observe(elapsed)
            self.metrics.requests.labels(method, template, str(status)).inc()
            log.info("request", extra={"event": "request", "method": method, "route": template,
                                       "status": status, "duration_ms": round(elapsed * 1000, 2)})
