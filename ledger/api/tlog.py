"""The log as C2SP tlog-tiles resources, and inclusion and consistency proofs.

Each community's log prefix is ``/log/<community>``: ``checkpoint``, ``tile/<L>/<N>[.p/<W>]``
and ``tile/entries/<N>[.p/<W>]``. A tile is served only if the tree of the latest checkpoint
holds all of it. Full tiles never change (cached for a year, immutable); partial tiles never
change either but may be superseded by the full tile, so they are cached briefly; the
checkpoint changes with every append and is not cached.

The checkpoint is the community's shared head (:mod:`ledger.api.head`); proofs are built from
the tree hashes kept in memory (:mod:`ledger.api.nodes`), on the event loop when they are all
there. A proof up to a size the service has seen already needs no head query at all.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from typing import TypeVar

from starlette.requests import Request
from starlette.responses import Response

from ledger.api import params
from ledger.api.context import Services, services
from ledger.api.head import log_head
from ledger.api.nodes import Missing
from ledger.api.problems import ApiError
from ledger.api.records import json_response
from ledger.application import Sunlight
from ledger.crypto._encoding import b64encode
from ledger.crypto.errors import MalformedError
from ledger.crypto.merkle import GetNodes, consistency_proof, inclusion_proof
from ledger.crypto.tiles import (
    TileRef,
    parse_tile_path,
)
from ledger.domain.errors import NotFound
from ledger.tlog.export import read_tile

__all__ = ["log_head"]  # also used by ledger.api.ops
T = TypeVar("T")

CHECKPOINT_TYPE = "text/plain; charset=utf-8"
TILE_TYPE = "application/octet-stream"
IMMUTABLE = "public, max-age=31536000, immutable"
PARTIAL = "public, max-age=60"
MUTABLE = "no-cache"




async def get_checkpoint(request: Request) -> Response:
    s = services(request)
    community = params.community(request)
    head = await s.reading.head(community)
    if head.published is None:
        raise NotFound(f"社区 {community} 的日志还是空的", code="log-empty")
    return Response(head.published, media_type=CHECKPOINT_TYPE,
                    headers={"Cache-Control": MUTABLE})


async def get_tile(request: Request) -> Response:
    s = services(request)
    community = params.community(request)
    path = "tile/" + str(request.path_params["tile"])
    try:
        ref = parse_tile_path(path)
    except MalformedError:
        raise ApiError(404, "tile-not-found", f"不是有效的瓦片路径：{path[:80]}") from None
    gzipped = ref.entries and "gzip" in request.headers.get("accept-encoding", "")
    size = (await s.reading.head(community)).size
    data = await s.reading.log(_tile, s.ledger, community, ref, path, size, gzipped)
    headers = {"Cache-Control": PARTIAL if ref.is_partial else IMMUTABLE}
    if ref.entries:
        headers["Vary"] = "Accept-Encoding"
        if gzipped:
            headers["Content-Encoding"] = "gzip"
    return Response(data, media_type=TILE_TYPE, headers=headers)


def _tile(ledger: Sunlight, community: str, ref: TileRef, path: str, size: int,
          gzipped: bool) -> bytes:
    data = read_tile(ledger, community, ref, size)
    if data is None:
        raise ApiError(404, "tile-not-found", f"日志（长度 {size}）中还没有瓦片 {path}")
    return gzip.compress(data, compresslevel=5) if gzipped else data


async def _within_log(s: Services, community: str, size: int) -> None:
    """Refuses ``size`` beyond the log; asks for the head only past the size already seen."""
    if size > s.reading.heads.known_size(community):
        current = (await s.reading.head(community)).size
        if size > current:
            raise ApiError(400, "size-beyond-log", f"树大小 {size} 超过当前日志长度 {current}")


async def _prove(s: Services, community: str, build: Callable[[GetNodes], T]) -> T:
    """``build`` from the tree hashes in memory (on the event loop), or else in a log-read
    thread that reads the missing ones."""
    try:
        return build(s.reading.tree.memory(community))
    except Missing:
        return await s.reading.log(build, s.reading.tree.reader(community))


async def get_inclusion_proof(request: Request) -> Response:
    s = services(request)
    community = params.community(request)
    index = params.integer(request, "index")
    size = params.integer(request, "size", minimum=1)
    await _within_log(s, community, size)
    if index >= size:
        raise ApiError(400, "index-beyond-size", f"序号 {index} 不在大小为 {size} 的树中")

    def build(get: GetNodes) -> dict[str, object]:
        leaf = get([(0, index)])[0, index]  # level 0 holds the leaf hashes
        hashes = inclusion_proof(index, size, get)
        return {"index": index, "tree_size": size, "leaf_hash": b64encode(leaf),
                "hashes": [b64encode(h) for h in hashes]}
    return json_response(await _prove(s, community, build))


async def get_consistency_proof(request: Request) -> Response:
    s = services(request)
    community = params.community(request)
    old = params.integer(request, "old")
    new = params.integer(request, "new")
    await _within_log(s, community, new)
    if old > new:
        raise ApiError(400, "old-after-new", f"旧树大小 {old} 大于新树大小 {new}")

    def build(get: GetNodes) -> dict[str, object]:
        hashes = consistency_proof(old, new, get)
        return {"old": old, "new": new, "hashes": [b64encode(h) for h in hashes]}
    return json_response(await _prove(s, community, build))
