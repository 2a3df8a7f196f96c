"""A naive RFC 9162 §2.1 Merkle tree, written straight from the RFC's recursive definitions.

Used only by tests, as the independent answer the real implementation must match.
"""

from __future__ import annotations

import hashlib


def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


class ReferenceTree:
    def __init__(self, entries: list[bytes]) -> None:
        self.entries = list(entries)
        self.leaves = [_h(b"\x00" + e) for e in entries]
        self._cache: dict[tuple[int, int], bytes] = {}

    def mth(self, start: int = 0, end: int | None = None) -> bytes:
        end = len(self.leaves) if end is None else end
        n = end - start
        if n == 0:
            return _h(b"")
        if n == 1:
            return self.leaves[start]
        if (start, end) not in self._cache:
            k = _k(n)
            left, right = self.mth(start, start + k), self.mth(start + k, end)
            self._cache[start, end] = _h(b"\x01" + left + right)
        return self._cache[start, end]

    def path(self, m: int, start: int = 0, end: int | None = None) -> list[bytes]:
        """PATH(m, D[start:end]) with m relative to start."""
        end = len(self.leaves) if end is None else end
        n = end - start
        if n == 1:
            return []
        k = _k(n)
        if m < k:
            return [*self.path(m, start, start + k), self.mth(start + k, end)]
        return [*self.path(m - k, start + k, end), self.mth(start, start + k)]

    def proof(self, m: int, n: int) -> list[bytes]:
        """PROOF(m, D[n]) for 0 < m <= n."""
        return self._subproof(m, 0, n, True)

    def _subproof(self, m: int, start: int, end: int, b: bool) -> list[bytes]:
        n = end - start
        if m == n:
            return [] if b else [self.mth(start, end)]
        k = _k(n)
        if m <= k:
            return [*self._subproof(m, start, start + k, b), self.mth(start + k, end)]
        return [*self._subproof(m - k, start + k, end, False), self.mth(start, start + k)]

    def node(self, level: int, index: int) -> bytes:
        return self.mth(index << level, (index + 1) << level)

    def get_nodes(self, wanted: list[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        for level, index in wanted:
            assert (index + 1) << level <= len(self.leaves), "asked for an incomplete node"
        return {(lv, k): self.node(lv, k) for lv, k in wanted}
