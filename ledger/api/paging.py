"""Pages of every list the service answers: a bounded number of items and of bytes.

A list answers at most ``limit`` items (default :data:`DEFAULT_LIMIT`, at most
:data:`MAX_LIMIT`; a larger ``limit`` is a 400, not silently clamped) and at most
:data:`MAX_BYTES` of items (a page that would grow past it ends early; one item always fits).
``next_cursor`` (also given as a ``Link: <…>; rel="next"`` header) continues the list; it is
absent at the end. Cursors are positions in append-only orders (log indexes, positions in the
order records were first recorded, or the last community id), so a walk returns every item
exactly once while records are being appended.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import Response

from ledger.api import params

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
MAX_BYTES = 768 * 1024  # a page stays under 1 MB: one record is at most ~200 KB


def limit(request: Request) -> int:
    return params.integer(request, "limit", default=DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)


def offset(request: Request) -> int:
    return params.integer(request, "cursor", default=0)


def fit(items: Iterable[Any]) -> list[bytes]:
    """The items' JSON, as many as fit in :data:`MAX_BYTES` (at least one)."""
    return fit_bytes(orjson.dumps(item) for item in items)


def fit_bytes(parts: Iterable[bytes]) -> list[bytes]:
    """As many of the JSON ``parts`` as fit in :data:`MAX_BYTES` (at least one)."""
    out: list[bytes] = []
    total = 0
    for part in parts:
        if out and total + len(part) > MAX_BYTES:
            break
        out.append(part)
        total += len(part)
    return out


def respond(url: URL, key: str, parts: list[bytes], following: str | None,
            extra: dict[str, Any] | None = None) -> Response:
    """``{key: [...], "next_cursor": ..., **extra}`` with a ``Link`` header to the next page."""
    head = orjson.dumps({**(extra or {}), "next_cursor": following})
    body = head[:-1] + b',"' + key.encode() + b'":[' + b",".join(parts) + b"]}"
    headers = {}
    if following is not None:
        nxt = url.include_query_params(cursor=following)
        headers["Link"] = f'<{nxt.path}?{nxt.query}>; rel="next"'
    return Response(body, media_type="application/json", headers=headers)


def offset_page(url: URL, key: str, items: list[Any], start: int, total: int,
                extra: dict[str, Any] | None = None) -> Response:
    """A page of ``items`` taken from position ``start`` of a list of ``total``."""
    parts = fit(items)
    end = start + len(parts)
    return respond(url, key, parts, str(end) if end < total else None, extra)
