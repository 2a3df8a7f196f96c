"""Precompressed copies: ``X.gz`` and ``X.br`` beside every text file of the site, so that a
static host (nginx ``gzip_static``/``brotli_static``, Caddy ``precompressed``, most CDNs) sends
them as they are, and a phone downloads about a fifth of the bytes.

Only files newer than their copies are compressed, so a re-publish compresses what it changed.
The theme's assets (fetched by every first visit) get Brotli's best setting; the rest a quick one.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator
from pathlib import Path

import brotli

TEXT = frozenset({".html", ".css", ".js", ".mjs", ".json", ".svg", ".xml", ".txt", ".csv"})
ENCODINGS = (".gz", ".br")
# What every first visit fetches (the theme's stylesheets and script, the site's stylesheet):
# Brotli's best setting, ~0.5 s once; everything else a quick one (~0.5 ms for a page).
BEST = ("assets/stylesheets/", "assets/javascripts/bundle.", "assets/sunlight.")


def precompress(out_dir: Path) -> int:
    """Writes the missing or stale ``.gz``/``.br`` copies under ``out_dir`` and removes copies
    whose file is gone. Returns the number of files compressed."""
    done = 0
    for path in _files(out_dir):
        if path.suffix in ENCODINGS:
            original = path.with_suffix("")
            if original.suffix in TEXT and not original.exists():
                path.unlink()
            continue
        if path.suffix not in TEXT:
            continue
        mtime = path.stat().st_mtime_ns
        copies = [path.with_name(path.name + e) for e in ENCODINGS]
        if all(_mtime(c) >= mtime for c in copies):
            continue
        data = path.read_bytes()
        best = path.relative_to(out_dir).as_posix().startswith(BEST)
        _write(copies[0], gzip.compress(data, compresslevel=9 if best else 6, mtime=0), mtime)
        _write(copies[1], brotli.compress(data, quality=11 if best else 5), mtime)
        done += 1
    return done


def _files(root: Path) -> Iterator[Path]:
    for folder, _, names in os.walk(root):
        for name in names:
            yield Path(folder, name)


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return -1


def _write(path: Path, data: bytes, mtime: int) -> None:
    """Writes the copy with its original's time, so a host's ``Last-Modified`` and ETag agree
    between encodings, and a later re-publish sees it as fresh."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.utime(tmp, ns=(mtime, mtime))
    tmp.replace(path)


__all__ = ["precompress"]
