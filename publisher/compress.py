"""Precompressed copies: ``X.gz`` and ``X.br`` beside every text file of the site, so that a
static host (nginx ``gzip_static``/``brotli_static``, Caddy ``precompressed``, most CDNs) sends
them as they are, and a phone downloads about a fifth of the bytes.

Only files newer than their copies are compressed, so a re-publish compresses what it changed.
The theme's assets (fetched by every first visit) get the best settings; the rest quick ones.
gzip is libdeflate's (``deflate``): a third of zlib's time at the same level, as small.

A publish hands finished files to a :class:`Precompressor` as it goes, so that worker processes
compress them while it renders record pages and indexes them for search; :meth:`finish` waits,
then sweeps the whole site as :func:`precompress` does. Files with the same bytes (each search
bundle carries the same scripts) are compressed once, and the theme's assets once a process:
a district publish builds many sites with the same theme.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from pathlib import Path

import brotli
import deflate

from publisher.workers import Workers

TEXT = frozenset({".html", ".css", ".js", ".mjs", ".json", ".svg", ".xml", ".txt", ".csv"})
ENCODINGS = (".gz", ".br")
# What every first visit fetches (the theme's stylesheets and script, the site's stylesheet):
# the best settings, ~0.3 s once; everything else quick ones (~0.4 ms for a record page).
BEST = ("assets/stylesheets/", "assets/javascripts/bundle.", "assets/sunlight.")
PARALLEL_FROM = 200  # files; below this a process pool costs more than it saves
TASK_FILES = 32  # files per task sent to a worker

Task = list[tuple[list[Path], bool]]
"""Groups of files with the same bytes (compressed once, copies written beside each), and
whether they get the best settings."""

# The best-compressed copies made in this process, by the SHA-256 of their original: the theme's
# assets (~0.4 s of CPU a site), the same bytes in every site a district publish builds.
_BEST: dict[str, tuple[bytes, bytes]] = {}
_BEST_KEPT = 32  # files: a theme's few stylesheets and scripts, a few versions of the site's own


def precompress(out_dir: Path, skip: frozenset[str] = frozenset()) -> int:
    """Writes the missing or stale ``.gz``/``.br`` copies under ``out_dir`` and removes copies
    whose file is gone; folders of ``out_dir`` named in ``skip`` are left alone (the district
    site's communities, each compressed by its own publish). Returns the number of files
    compressed."""
    return Precompressor(out_dir, skip=skip).finish()


class Precompressor:
    """Compresses the files of one publish, in the background where there are many.

    ``workers`` is the pool to use (the publisher shares one with the QR codes): a batch goes
    to it if it is running or the batch is large. Without it, a pool of its own is started for
    a large batch and shut down by :meth:`finish`.
    """

    def __init__(self, out_dir: Path, workers: Workers | None = None,
                 skip: frozenset[str] = frozenset()) -> None:
        self.out_dir = out_dir
        self.skip = skip  # top-level folders left alone
        self._workers = Workers() if workers is None else workers
        self._own = workers is None
        self._sent: set[Path] = set()
        self._futures: list[Future[list[tuple[str, bytes, bytes]]]] = []
        self.compressed = 0

    def submit(self, paths: Iterable[Path]) -> None:
        """Starts compressing ``paths`` (files this publish will not write again) where stale."""
        self._start(self._stale(p for p in paths if p.suffix in TEXT))

    def submit_all(self, *, skip: Iterable[str] = ()) -> None:
        """Starts compressing every stale text file except under the folders ``skip`` (relative
        to the site: those still being written)."""
        skipped = tuple(f"{s.rstrip('/')}/" for s in skip)
        self._start(self._stale(p for p in _files(self.out_dir, self.skip) if p.suffix in TEXT
                                and not p.relative_to(self.out_dir).as_posix().startswith(skipped)))

    def finish(self) -> int:
        """Waits for what was started, then compresses whatever is still missing or stale and
        removes copies whose file is gone. Returns the number of files compressed."""
        try:
            self._wait()
            self._sent.clear()
            texts = []
            for path in _files(self.out_dir, self.skip):
                if path.suffix in ENCODINGS:
                    original = path.with_suffix("")
                    if original.suffix in TEXT and not original.exists():
                        path.unlink()
                elif path.suffix in TEXT:
                    texts.append(path)
            self._start(self._stale(texts))
            self._wait()
        finally:
            if self._own:
                self._workers.shutdown()
        return self.compressed

    def _wait(self) -> None:
        for future in self._futures:
            _keep(future.result())
        self._futures = []

    def _stale(self, paths: Iterable[Path]) -> list[Path]:
        stale = []
        for path in paths:
            if path in self._sent:
                continue
            mtime = path.stat().st_mtime_ns
            if any(_mtime(path.with_name(path.name + e)) < mtime for e in ENCODINGS):
                stale.append(path)
        return stale

    def _start(self, paths: list[Path]) -> None:
        if not paths:
            return
        self._sent.update(paths)
        self.compressed += len(paths)
        groups = [group for group in self._groups(paths) if not _known(*group)]
        workers = self._workers
        pool = workers.get() if workers.started or len(paths) >= PARALLEL_FROM else None
        if pool is None:
            _keep(_compress(groups))
            return
        for n in range(0, len(groups), TASK_FILES):
            self._futures.append(pool.submit(_compress, groups[n:n + TASK_FILES]))

    def _groups(self, paths: list[Path]) -> Task:
        """``paths`` as groups of identical files: same name and size, then same bytes."""
        by_shape: dict[tuple[str, int], list[Path]] = {}
        for path in paths:
            by_shape.setdefault((path.name, path.stat().st_size), []).append(path)
        groups: Task = []
        for same in by_shape.values():
            if len(same) == 1:
                by_bytes = {"": same}
            else:
                by_bytes = {}
                for path in same:
                    by_bytes.setdefault(hashlib.sha256(path.read_bytes()).hexdigest(),
                                        []).append(path)
            for group in by_bytes.values():
                groups.append((group, group[0].relative_to(self.out_dir).as_posix().startswith(BEST)))
        return groups


def _compress(groups: Task) -> list[tuple[str, bytes, bytes]]:
    """Compresses each group; returns the best-compressed copies, by their original's digest."""
    best_made = []
    for paths, best in groups:
        times = [path.stat().st_mtime_ns for path in paths]
        data = paths[0].read_bytes()
        gz = bytes(deflate.gzip_compress(data, 12 if best else 6))
        br = brotli.compress(data, quality=11 if best else 4)
        _write_copies(paths, times, gz, br)
        if best:
            best_made.append((hashlib.sha256(data).hexdigest(), gz, br))
    return best_made


def _known(paths: list[Path], best: bool) -> bool:
    """Writes the group's copies if this process already made them; whether it did."""
    if not best or not _BEST:
        return False
    times = [path.stat().st_mtime_ns for path in paths]
    made = _BEST.get(hashlib.sha256(paths[0].read_bytes()).hexdigest())
    if made is None:
        return False
    _write_copies(paths, times, *made)
    return True


def _keep(best_made: list[tuple[str, bytes, bytes]]) -> None:
    for digest, gz, br in best_made:
        if len(_BEST) >= _BEST_KEPT:
            del _BEST[next(iter(_BEST))]
        _BEST[digest] = (gz, br)


def _write_copies(paths: list[Path], times: list[int], gz: bytes, br: bytes) -> None:
    for path, mtime in zip(paths, times, strict=True):
        _write(path.with_name(path.name + ".gz"), gz, mtime)
        _write(path.with_name(path.name + ".br"), br, mtime)


def _files(root: Path, skip: frozenset[str] = frozenset()) -> Iterator[Path]:
    for folder, subfolders, names in os.walk(root):
        if skip and folder == str(root):
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


__all__ = ["Precompressor", "precompress"]
