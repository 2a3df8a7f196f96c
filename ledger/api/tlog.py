"""The log as C2SP tlog-tiles resources, and inclusion and consistency proofs.

Each community's log prefix is ``/log/<community>``: ``checkpoint``, ``tile/<L>/<N>[.p/<W>]``
and ``tile/entries/<N>[.p/<W>]``. A tile is served only if the tree of the latest checkpoint
holds all of it. Full tiles never change (cached for a year, immutable); partial tiles never
change either but may be superseded by the full tile, so they are cached briefly; the
checkpoint changes with every append and is not cached.
"""

from __future__ import annotations

import gzip

from starlette.requests import Request
from starlette.responses import Response

from ledger.api import nodes, params
from ledger.api.context import services
from ledger.api.problems import ApiError
from ledger.api.readmodel import stored
from ledger.api.records import json_response
from ledger.application import Sunlight
from ledger.crypto._encoding import b64encode
from ledger.crypto.errors import MalformedError
from ledger.crypto.note import add_signatures
from ledger.crypto.tiles import (
    TileRef,
    parse_tile_path,
)
from ledger.domain.errors import NotFound
from ledger.tlog.cosignatures import checkpoint_size, cosignature_lines
from ledger.tlog.export import read_tile

CHECKPOINT_TYPE = "text/plain; charset=utf-8"
TILE_TYPE = "application/octet-stream"
IMMUTABLE = "public, max-age=31536000, immutable"
PARTIAL = "public, max-age=60"
MUTABLE = "no-cache"




def log_head(ledger: Sunlight, community: str) -> tuple[int, str | None]:
    """The log's size and latest signed checkpoint, from its last stored entry: one indexed
    query, never a fold of the log (a batch's last entry carries the checkpoint over it)."""
    ledger.community(community)  # NotFound for an unknown community
    last = stored(ledger, community)
    if not last:
        return 0, None
    version, _, checkpoint = last[0]
    return version, checkpoint


def latest_checkpoint(ledger: Sunlight, community: str) -> str:
    _, signed = log_head(ledger, community)
    if signed is None:
        raise NotFound(f"社区 {community} 的日志还是空的", code="log-empty")
    return signed


def _published(ledger: Sunlight, community: str) -> str:
    """The latest checkpoint with every stored witness cosignature for its size."""
    signed = latest_checkpoint(ledger, community)
    lines = cosignature_lines(ledger, community, checkpoint_size(signed))
    return add_signatures(signed, lines) if lines else signed


# Every read below runs in a log-read thread (ledger.api.reading), never on the event loop.


async def get_checkpoint(request: Request) -> Response:
    s = services(request)
    community = params.community(request)
    signed = await s.reading.log(_published, s.ledger, community)
    return Response(signed, media_type=CHECKPOINT_TYPE, headers={"Cache-Control": MUTABLE})


async def get_tile(request: Request) -> Response:
    s = services(request)
    community = params.community(request)
    path = "tile/" + str(request.path_params["tile"])
    try:
        ref = parse_tile_path(path)
    except MalformedError:
        raise ApiError(404, "tile-not-found", f"不是有效的瓦片路径：{path[:80]}") from None
    gzipped = ref.entries and "gzip" in request.headers.get("accept-encoding", "")
    data = await s.reading.log(_tile, s.ledger, community, ref, path, gzipped)
    headers = {"Cache-Control": PARTIAL if ref.is_partial else IMMUTABLE}
    if ref.entries:
        headers["Vary"] = "Accept-Encoding"
        if gzipped:
            headers["Content-Encoding"] = "gzip"
    return Response(data, media_type=TILE_TYPE, headers=headers)


def _tile(ledger: Sunlight, community: str, ref: TileRef, path: str, gzipped: bool) -> bytes:
    size = checkpoint_size(latest_checkpoint(ledger, community))
    data = read_tile(ledger, community, ref, size)
    if data is None:
        raise ApiError(404, "tile-not-found", f"日志（长度 {size}）中还没有瓦片 {path}")
    return gzip.compress(data, compresslevel=5) if gzipped else data


async def get_inclusion_proof(request: Request) -> Response:
    s = services(request)
    community = params.community(request)
    index = params.integer(request, "index")
    size = params.integer(request, "size", minimum=1)
    return json_response(await s.reading.log(_inclusion, s.ledger, community, index, size))


def _inclusion(ledger: Sunlight, community: str, index: int, size: int) -> dict[str, object]:
    current, _ = log_head(ledger, community)
    if size > current:
        raise ApiError(400, "size-beyond-log", f"树大小 {size} 超过当前日志长度 {current}")
    if index >= size:
        raise ApiError(400, "index-beyond-size", f"序号 {index} 不在大小为 {size} 的树中")
    leaf = nodes.leaf(ledger, community, index)  # level 0 holds the leaf hashes
    assert leaf is not None
    hashes = nodes.inclusion(ledger, community, index, size)
    return {"index": index, "tree_size": size, "leaf_hash": b64encode(leaf),
            "hashes": [b64encode(h) for h in hashes]}


async def get_consistency_proof(request: Request) -> Response:
    s = services(request)
    community = params.community(request)
    old = params.integer(request, "old")
    new = params.integer(request, "new")
    return json_response(await s.reading.log(_consistency, s.ledger, community, old, new))


def _consistency(ledger: Sunlight, community: str, old: int, new: int) -> dict[str, object]:
    current, _ = log_head(ledger, community)
    if new > current:
        raise ApiError(400, "size-beyond-log", f"树大小 {new} 超过当前日志长度 {current}")
    if old > new:
        raise ApiError(400, "old-after-new", f"旧树大小 {old} 大于新树大小 {new}")
    hashes = nodes.consistency(ledger, community, old, new)
    return {"old": old, "new": new, "hashes": [b64encode(h) for h in hashes]}
