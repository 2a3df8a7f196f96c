"""Operations: liveness, readiness, the service's status, and the OpenAPI document."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ledger.api.context import services
from ledger.api.problems import ApiError
from ledger.api.records import json_response
from ledger.api.tlog import log_head


async def healthz(_request: Request) -> Response:
    """The process answers: nothing else is checked (on the event loop: no thread needed)."""
    return json_response({"status": "ok"})


def readyz(request: Request) -> Response:
    """The database answers a query."""
    try:
        services(request).ledger.store.ping()
    except Exception as exc:  # any failure to reach the database means "not ready"
        raise ApiError(503, "database-unavailable",
                       f"数据库不可用（{type(exc).__name__}）") from None
    return json_response({"status": "ready"})


def status(request: Request) -> Response:
    s = services(request)
    communities: dict[str, Any] = {}
    for info in s.ledger.communities():
        size, _ = log_head(s.ledger, info.community_id)  # never folds the log
        communities[info.community_id] = {"size": size,
                                          "read_view": s.reads.readiness(info.community_id),
                                          "snapshot": s.reads.snapshot_status(info.community_id),
                                          "publish": s.publisher.status(info.community_id),
                                          "witnesses": s.witnessing.status(info.community_id,
                                                                           size)}
    read_db = None
    if s.ledger.reads.standby is not None:
        replayed, behind = s.ledger.reads.lag()
        read_db = {"replayed": replayed, "behind_bytes": behind}
    return json_response({
        "service": "sunlight",
        "publisher": s.publisher.name,
        "witness": s.witness.signer.verifier_key() if s.witness is not None else None,
        "communities": communities,
        "read_db": read_db,
    })


def openapi(request: Request) -> Response:
    return json_response(request.app.state.openapi.document())
