"""C2SP tlog-tiles: tile paths, which tiles a tree has, and tile / entry-bundle encodings.

Tile ``N`` at level ``L`` holds the hashes of Merkle nodes at tree level ``8 * L``:
position ``i`` is node ``(8 * L, N * 256 + i)``. A partial tile (``.p/<W>``) holds the first
``W`` of them. Entry bundles mirror level-0 tiles, holding the entries themselves.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ledger.crypto.errors import MalformedError
from ledger.crypto.merkle import HASH_SIZE, NodeId

TILE_HEIGHT = 8
TILE_WIDTH = 256
MAX_LEVEL = 63
MAX_ENTRY_SIZE = 65535

_PATH = re.compile(
    r"tile/(?P<level>entries|0|[1-9][0-9]?)/(?P<n>(?:x[0-9]{3}/)*[0-9]{3})(?:\.p/(?P<w>[1-9][0-9]{0,2}))?"
)


@dataclass(frozen=True)
class TileRef:
    """A tile (``level >= 0``) or, with ``entries=True``, an entry bundle (level 0)."""

    level: int
    index: int
    width: int = TILE_WIDTH
    entries: bool = False

    @property
    def is_partial(self) -> bool:
        return self.width < TILE_WIDTH

    def path(self) -> str:
        if self.entries:
            return entries_path(self.index, self.width)
        return tile_path(self.level, self.index, self.width)

    def node_ids(self) -> list[NodeId]:
        """The Merkle nodes this tile (or the level-0 tile of this bundle) holds, in order."""
        level = TILE_HEIGHT * self.level
        first = self.index * TILE_WIDTH
        return [(level, first + i) for i in range(self.width)]


def format_index(index: int) -> str:
    """``1234067`` -> ``x001/x234/067``: 3-digit groups, all but the last prefixed with x."""
    if index < 0:
        raise MalformedError(f"negative tile index {index}")
    groups = []
    while True:
        groups.append(f"{index % 1000:03d}")
        index //= 1000
        if index == 0:
            break
    groups.reverse()
    return "/".join(["x" + g for g in groups[:-1]] + [groups[-1]])


def _suffix(width: int | None) -> str:
    if width is None or width == TILE_WIDTH:
        return ""
    if not 1 <= width < TILE_WIDTH:
        raise MalformedError(f"tile width {width} is not in 1..256")
    return f".p/{width}"


def tile_path(level: int, index: int, width: int | None = None) -> str:
    """``tile/<L>/<N>[.p/<W>]``; a width of ``None`` or 256 names the full tile."""
    if not 0 <= level <= MAX_LEVEL:
        raise MalformedError(f"tile level {level} is not in 0..63")
    return f"tile/{level}/{format_index(index)}{_suffix(width)}"


def entries_path(index: int, width: int | None = None) -> str:
    """``tile/entries/<N>[.p/<W>]``."""
    return f"tile/entries/{format_index(index)}{_suffix(width)}"


def parse_tile_path(path: str) -> TileRef:
    """Parse ``tile/<L>/<N>[.p/<W>]`` or ``tile/entries/<N>[.p/<W>]`` (canonical form only)."""
    match = _PATH.fullmatch(path)
    if match is None:
        raise MalformedError(f"not a tile path: {path!r}")
    index = int(match["n"].replace("x", "").replace("/", ""))
    width = int(match["w"]) if match["w"] else TILE_WIDTH
    entries = match["level"] == "entries"
    level = 0 if entries else int(match["level"])
    ref = TileRef(level, index, width, entries)
    if ref.path() != path:  # raises for a level above 63 or a width above 256
        raise MalformedError(f"not a canonical tile path: {path!r}")
    return ref


def tiles_for_size(size: int) -> list[tuple[int, int, int]]:
    """Every tile ``(level, index, width)`` of a tree of ``size`` leaves, full and partial."""
    if size < 0:
        raise MalformedError(f"negative tree size {size}")
    tiles: list[tuple[int, int, int]] = []
    level = 0
    while size >> (TILE_HEIGHT * level):
        nodes = size >> (TILE_HEIGHT * level)
        full, partial = divmod(nodes, TILE_WIDTH)
        tiles.extend((level, n, TILE_WIDTH) for n in range(full))
        if partial:
            tiles.append((level, full, partial))
        level += 1
    return tiles


def encode_hash_tile(hashes: Sequence[bytes]) -> bytes:
    if not 1 <= len(hashes) <= TILE_WIDTH or any(len(h) != HASH_SIZE for h in hashes):
        raise MalformedError("a tile holds 1 to 256 hashes of 32 bytes")
    return b"".join(hashes)


def decode_hash_tile(data: bytes, width: int = TILE_WIDTH) -> list[bytes]:
    if not 1 <= width <= TILE_WIDTH or len(data) != width * HASH_SIZE:
        raise MalformedError(f"a tile of width {width} is {width * HASH_SIZE} bytes")
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


def encode_entry_bundle(entries: Sequence[bytes]) -> bytes:
    """Each entry prefixed by its length as a big-endian uint16."""
    if len(entries) > TILE_WIDTH:
        raise MalformedError("an entry bundle holds at most 256 entries")
    out = bytearray()
    for entry in entries:
        if len(entry) > MAX_ENTRY_SIZE:
            raise MalformedError(f"entry of {len(entry)} bytes exceeds {MAX_ENTRY_SIZE}")
        out += len(entry).to_bytes(2, "big") + entry
    return bytes(out)


def decode_entry_bundle(data: bytes, width: int | None = None) -> list[bytes]:
    """Split a bundle; with ``width``, require exactly that many entries."""
    entries: list[bytes] = []
    pos, size = 0, len(data)
    while pos < size:
        if len(entries) == TILE_WIDTH:
            raise MalformedError("entry bundle holds more than 256 entries")
        if pos + 2 > size:
            raise MalformedError("entry bundle ends inside a length prefix")
        end = pos + 2 + (data[pos] << 8 | data[pos + 1])
        if end > size:
            raise MalformedError("entry bundle ends inside an entry")
        entries.append(data[pos + 2 : end])
        pos = end
    if width is not None and len(entries) != width:
        raise MalformedError(f"entry bundle holds {len(entries)} entries, expected {width}")
    return entries
