"""Protection at the door: a 64 KiB body limit and rate limits per client address and per key.

The body limit refuses by ``Content-Length`` before reading anything, and stops reading a
chunked body at the limit. Rate limits are token buckets kept in memory (per process). A key is
charged only for statements whose signature verified against it (see ``records.submit_record``):
claiming someone's key ID costs the claimant's address, never the key's owner.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledger.api.problems import ApiError, problem

MAX_BODY = 64 * 1024
# The service's rate limits unless configured (``SUNLIGHT_RATE_PER_ADDRESS``, ``SUNLIGHT_RATE_PER_KEY``,
# ``sunlight serve --rate-per-…``); 0 is no limit.
RATE_PER_ADDRESS = 50.0  # requests per second per client address
BURST_PER_ADDRESS = 200.0
RATE_PER_KEY = 10.0  # signed submissions per second per member key
BURST_PER_KEY = 60.0
MAX_TRACKED = 100_000  # buckets kept per limiter; the least recently used are forgotten


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: 413 for a body over ``limit`` bytes, before the body is read."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY,
                 larger: Callable[[str], int | None] | None = None) -> None:
        self.app = app
        self.limit = limit
        self.larger = larger  # a larger limit for some paths (an import's batch or table)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = (self.larger(scope["path"]) if self.larger else None) or self.limit
        for name, value in scope["headers"]:
            if name == b"content-length" and (not value.isdigit() or int(value) > limit):
                await self._refuse(scope, receive, send, limit)
                return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send, limit)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = problem(413, "body-too-large", f"请求内容超过 {limit // 1024} KiB，未读取",
                           headers={"Connection": "close"})
        await response(scope, receive, send)


class TokenBuckets:
    """``rate`` tokens per second up to ``burst``, one bucket per name."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic):
        self.rate, self.burst, self.clock = rate, burst, clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def _level(self, name: str, now: float) -> float:
        tokens, at = self._buckets.get(name, (self.burst, now))
        return min(self.burst, tokens + (now - at) * self.rate)

    def blocked(self, name: str) -> int | None:
        """Seconds to wait (for Retry-After) if ``name`` has no token left, else None."""
        if not self.enabled:
            return None
        with self._lock:
            level = self._level(name, self.clock())
        return None if level >= 1 else max(1, math.ceil((1 - level) / self.rate))

    def charge(self, name: str) -> None:
        if not self.enabled:
            return
        with self._lock:
            now = self.clock()
            self._buckets[name] = (self._level(name, now) - 1, now)
            self._buckets.move_to_end(name)
            while len(self._buckets) > MAX_TRACKED:
                self._buckets.popitem(last=False)

    def take(self, name: str) -> int | None:
        """Takes a token; or the seconds to wait if there is none."""
        wait = self.blocked(name)
        if wait is None:
            self.charge(name)
        return wait


class RateLimiter:
    def __init__(self, per_address: TokenBuckets, per_key: TokenBuckets) -> None:
        self.per_address = per_address
        self.per_key = per_key

    def key_blocked(self, key_id: str) -> int | None:
        return self.per_key.blocked(key_id)

    def charge_key(self, key_id: str) -> None:
        self.per_key.charge(key_id)


class AddressLimit:
    """ASGI middleware: 429 when one client address sends too many requests."""

    EXEMPT = ("/healthz", "/readyz", "/metrics")

    def __init__(self, app: ASGIApp, buckets: TokenBuckets,
                 on_limited: Callable[[str], None] = lambda _scope: None) -> None:
        self.app = app
        self.buckets = buckets
        self.on_limited = on_limited

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.buckets.enabled and scope["path"] not in self.EXEMPT:
            client = scope.get("client")
            wait = self.buckets.take(client[0] if client else "unknown")
            if wait is not None:
                self.on_limited("address")
                error = ApiError(429, "rate-limited-address", "请求过于频繁，请稍后再试")
                response = problem(429, error.code, str(error), headers={"Retry-After": str(wait)})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
