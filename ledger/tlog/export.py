"""Writes a community's log as a static C2SP tlog-tiles directory (what the portal serves at /log/).

Layout: ``checkpoint``, ``tile/<L>/<N>[.p/<W>]``, ``tile/entries/<N>[.p/<W>]``. A second export
into the same directory writes only what is new: full tiles and bundles are immutable and never
rewritten, a partial tile of a given width never changes either, and the partial tiles of a tile
are removed once its full tile is written (the spec allows it: clients fall back to the full
tile). The checkpoint is written last, so a reader never sees a checkpoint whose tiles are
missing. Every file is written to a temporary name and renamed into place.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ledger.application import Sunlight
from ledger.crypto.tiles import (
    TILE_HEIGHT,
    TILE_WIDTH,
    TileRef,
    encode_entry_bundle,
    encode_hash_tile,
    entries_path,
    tile_path,
    tiles_for_size,
)
from ledger.tlog.cosignatures import checkpoint_size, published_checkpoint


class ExportError(Exception):
    """The stored log is not complete up to its checkpoint; nothing more was written."""


@dataclass(frozen=True)
class ExportResult:
    size: int  # tree size of the exported checkpoint
    written: int  # files written (tiles, bundles, the checkpoint if it changed)
    unchanged: int  # files already present and left as they were
    removed: int = 0  # superseded partial tiles removed


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def read_tile(app: Sunlight, community_id: str, ref: TileRef, size: int) -> bytes | None:
    """The tile's bytes from the database if the tree of ``size`` leaves holds all of it, else
    None: what the export writes and what the service answers at ``/log/<community>/tile/...``."""
    first = ref.index * TILE_WIDTH
    if ref.entries:
        if first + ref.width > size:
            return None
        entries = [data for _, data in app.entries(community_id, first, first + ref.width)]
        return encode_entry_bundle(entries) if len(entries) == ref.width else None
    level = TILE_HEIGHT * ref.level
    if first + ref.width > size >> level:
        return None
    hashes = app.level_hashes(community_id, level, first, first + ref.width)
    return encode_hash_tile(hashes) if len(hashes) == ref.width else None


def export_tiles(app: Sunlight, community_id: str, out_dir: Path) -> ExportResult:
    """Exports the log of ``community_id`` at its latest checkpoint into ``out_dir``."""
    out_dir = Path(out_dir)
    signed = published_checkpoint(app, community_id)
    size = checkpoint_size(signed)
    written = unchanged = removed = 0
    for level, index, width in tiles_for_size(size):
        for is_entries in ((True, False) if level == 0 else (False,)):
            rel = entries_path(index, width) if is_entries else tile_path(level, index, width)
            path = out_dir / rel
            if path.is_file():
                unchanged += 1
                continue
            data = read_tile(app, community_id, TileRef(level, index, width, is_entries), size)
            if data is None:
                raise ExportError(f"log {community_id}: {rel} is not complete in the database")
            _write(path, data)
            written += 1
            if width == TILE_WIDTH:
                partials = path.with_name(path.name + ".p")
                if partials.is_dir():
                    removed += sum(1 for p in partials.iterdir() if p.is_file())
                    shutil.rmtree(partials)
    checkpoint = out_dir / "checkpoint"
    data = signed.encode()
    if checkpoint.is_file() and checkpoint.read_bytes() == data:
        unchanged += 1
    else:
        _write(checkpoint, data)
        written += 1
    return ExportResult(size, written, unchanged, removed)
