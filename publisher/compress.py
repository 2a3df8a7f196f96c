"""Precompressed copies: ``X.gz`` and ``X.br`` beside every text file of the site, so that a
static host (nginx ``gzip_static``/``brotli_static``, Caddy ``precompressed``, most CDNs) sends
them as they are, and a phone downloads about a fifth of the bytes.

Only files newer than their copies are compressed, so a re-publish compresses what it changed.
The theme's assets (fetched by every first visit) get Brotli's best setting; the rest a quick one.
"""

from __future__ import annotations

import gzip
import hashlib
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import brotli

TEXT = frozenset({".html", ".css", ".js", ".mjs", ".json", ".svg", ".xml", ".txt", ".csv"})
ENCODINGS = (".gz", ".br")
# What every first visit fetches (the theme's stylesheets and script, the site's stylesheet):
# Brotli's best setting, ~0.5 s once; everything else a quick one (~0.2 ms for a page).
BEST = ("assets/stylesheets/", "assets/javascripts/bundle.", "assets/sunlight.")
# The theme's files: the same in every community of a district (``shared`` below).
THEME = "assets/"
PARALLEL_FROM = 200  # files; below this a process pool costs more than it saves


def precompress(out_dir: Path, skip: frozenset[str] = frozenset(),
                shared: Path | None = None) -> int:
    """Writes the missing or stale ``.gz``/``.br`` copies under ``out_dir`` and removes copies
    whose file is gone; folders of ``out_dir`` named in ``skip`` are left alone (the district
    site's communities, each compressed by its own publish). ``shared``: a folder where the
    copies of the theme's files (the same in every community of a district; the largest ones the
    slowest to compress) are kept by their content's SHA-256 and reused. Returns the number of files
    compressed."""
    todo: list[tuple[Path, bool]] = []
    for path in _files(out_dir, skip):
        if path.suffix in ENCODINGS:
            original = path.with_suffix("")
            if original.suffix in TEXT and not original.exists():
                path.unlink()
            continue
        if path.suffix not in TEXT:
            continue
        mtime = path.stat().st_mtime_ns
        if all(_mtime(path.with_name(path.name + e)) >= mtime for e in ENCODINGS):
            continue
        rel = path.relative_to(out_dir).as_posix()
        if shared is not None and rel.startswith(THEME) and _reuse(path, shared):
            continue
        todo.append((path, rel.startswith(BEST)))
    if len(todo) < PARALLEL_FROM or "fork" not in multiprocessing.get_all_start_methods():
        for item in todo:
            _compress(item)
    else:  # fork: the children only compress files (as the QR codes are made)
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=os.cpu_count() or 1, mp_context=ctx) as pool:
            list(pool.map(_compress, todo, chunksize=32))
    if shared is not None:
        for path, _best in todo:
            if path.relative_to(out_dir).as_posix().startswith(THEME):
                _keep(path, shared)
    return len(todo)


def _shared_name(path: Path, shared: Path) -> Path:
    return shared / hashlib.sha256(path.read_bytes()).hexdigest()


def _reuse(path: Path, shared: Path) -> bool:
    """Copies the compressed copies of a file with the same content, if kept; True if so."""
    kept = _shared_name(path, shared)
    if not all(kept.with_suffix(e).is_file() for e in ENCODINGS):
        return False
    mtime = path.stat().st_mtime_ns
    for e in ENCODINGS:
        _write(path.with_name(path.name + e), kept.with_suffix(e).read_bytes(), mtime)
    return True


def _keep(path: Path, shared: Path) -> None:
    shared.mkdir(parents=True, exist_ok=True)
    kept = _shared_name(path, shared)
    for e in ENCODINGS:
        kept.with_suffix(e).write_bytes(path.with_name(path.name + e).read_bytes())


def _compress(item: tuple[Path, bool]) -> None:
    path, best = item
    mtime = path.stat().st_mtime_ns
    data = path.read_bytes()
    _write(path.with_name(path.name + ".gz"),
           gzip.compress(data, compresslevel=9 if best else 6, mtime=0), mtime)
    _write(path.with_name(path.name + ".br"), brotli.compress(data, quality=11 if best else 4),
           mtime)


def _files(root: Path, skip: frozenset[str] = frozenset()) -> Iterator[Path]:
    for folder, subfolders, names in os.walk(root):
        if folder == str(root):
            subfolders[:] = [d for d in subfolders if d not in skip]
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
