"""The service's one source of tree hashes for proofs: stored hashes (``Sunlight.nodes``), kept
in memory as they are read.

A stored tree hash never changes (the log is append-only), so the cache is never stale. It holds
runs of :data:`BLOCK` consecutive hashes of one tree level, each the stored prefix of its run (a
run at the log's right edge grows as the log does), and drops the least recently used run past
its bound. A proof whose hashes are all cached is built without the database, in microseconds
(:meth:`NodeCache.memory`, fit for the event loop); otherwise :meth:`NodeCache.reader` reads the
missing runs in one statement (blocking: in a worker thread).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from ledger.api.head import log_head
from ledger.application import Sunlight
from ledger.crypto.merkle import GetNodes, NodeId

BLOCK = 256
HASH = 32
MAX_BLOCKS = 8192  # at most ~2 M hashes in 64 MiB; a log of 100,000 entries needs ~800 runs


class Missing(Exception):
    """Hashes the cache does not hold (yet)."""

    def __init__(self, nodes: list[NodeId]) -> None:
        super().__init__(f"{len(nodes)} tree hashes not in memory")
        self.nodes = nodes


class NodeCache:
    def __init__(self, ledger: Sunlight, max_blocks: int = MAX_BLOCKS) -> None:
        self.ledger = ledger
        self.max_blocks = max_blocks
        # (community, level, run) -> the run's stored hashes, concatenated
        self._blocks: OrderedDict[tuple[str, int, int], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def _lookup(self, community: str, ids: list[NodeId]) -> tuple[dict[NodeId, bytes],
                                                                  list[NodeId]]:
        found: dict[NodeId, bytes] = {}
        missing: list[NodeId] = []
        with self._lock:
            for level, idx in ids:
                key = (community, level, idx // BLOCK)
                run = self._blocks.get(key)
                at = idx % BLOCK * HASH
                if run is not None and at < len(run):
                    found[level, idx] = run[at:at + HASH]
                    self._blocks.move_to_end(key)
                else:
                    missing.append((level, idx))
        return found, missing

    def memory(self, community: str) -> GetNodes:
        """A reader of cached hashes only: raises :class:`Missing` for any other."""
        def get(ids: list[NodeId]) -> dict[NodeId, bytes]:
            found, missing = self._lookup(community, ids)
            if missing:
                raise Missing(missing)
            return found
        return get

    def reader(self, community: str) -> GetNodes:
        """A reader that reads what is not cached from the database (blocking) and keeps it."""
        def get(ids: list[NodeId]) -> dict[NodeId, bytes]:
            found, missing = self._lookup(community, ids)
            if missing:
                found.update(self.fetch(community, missing))
            return found
        return get

    def fetch(self, community: str, ids: list[NodeId]) -> dict[NodeId, bytes]:
        """Reads the runs that hold ``ids`` (one statement), keeps them, returns ``ids``' hashes
        (those stored)."""
        runs = sorted({(level, idx // BLOCK) for level, idx in ids})
        stored = self.ledger.reads.nodes(
            community, [(level, n * BLOCK + i) for level, n in runs for i in range(BLOCK)], ids)
        with self._lock:
            for level, n in runs:
                run: list[bytes] = []
                while len(run) < BLOCK and (h := stored.get((level, n * BLOCK + len(run)))):
                    run.append(h)
                self._keep((community, level, n), run)
            while len(self._blocks) > self.max_blocks:
                self._blocks.popitem(last=False)
        return {node: stored[node] for node in ids if node in stored}

    def warm(self, community: str) -> None:
        """Reads the community's stored tree hashes into memory, the levels nearest the root
        first (every proof needs those), until the cache's bound (blocking: at startup)."""
        size, _ = log_head(self.ledger, community)
        level = size.bit_length()
        while level >= 0 and len(self._blocks) < self.max_blocks:
            stored = size >> level
            for start in range(0, stored, BLOCK * 64):
                stop = min(stored, start + BLOCK * 64)
                hashes = self.ledger.reads.level_hashes(community, level, start, stop)
                with self._lock:
                    for i in range(0, len(hashes), BLOCK):
                        self._keep((community, level, (start + i) // BLOCK), hashes[i:i + BLOCK])
                    if len(self._blocks) >= self.max_blocks:
                        return
            level -= 1

    def _keep(self, key: tuple[str, int, int], run: list[bytes]) -> None:
        """Keeps ``run`` (a run's stored prefix) unless a longer one is kept. Lock held."""
        if run and len(run) * HASH >= len(self._blocks.get(key, b"")):
            self._blocks[key] = b"".join(run)
            self._blocks.move_to_end(key)

    def __len__(self) -> int:
        return len(self._blocks)
