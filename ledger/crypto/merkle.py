"""The RFC 9162 §2.1 Merkle tree (SHA-256): hashing, incremental state, proofs, verification.

Nodes are named by coordinates ``(level, index)``: node ``(l, k)`` is the Merkle Tree Hash of
the leaves ``[k * 2**l, (k + 1) * 2**l)``; it exists only once the tree holds all of them
("complete node"). Storage keeps complete nodes; every other hash a proof needs (the
incomplete subtrees at the right edge of a tree) is folded here from complete nodes, so a
proof costs one batched ``get_node`` call and no rescan of the log.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence

from ledger.crypto.errors import (
    InconsistentTreeError,
    InvalidProofError,
    MalformedError,
    OutOfRangeError,
)

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

NodeId = tuple[int, int]
"""``(level, index)`` of a complete node."""

GetNodes = Callable[[list[NodeId]], Mapping[NodeId, bytes]]
"""Storage callback: given complete node coordinates, return their hashes in one batch."""


def leaf_hash(entry: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d)."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def subtree_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """The root of the complete subtree over ``2**k`` leaf hashes (``k >= 0``), level by level."""
    n = len(leaf_hashes)
    if n == 0 or n & (n - 1):
        raise MalformedError(f"a complete subtree has a power of two of leaves, not {n}")
    level = list(leaf_hashes)
    sha256 = hashlib.sha256
    while len(level) > 1:
        level = [sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level), 2)]
    return level[0]


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def _decompose(start: int, end: int) -> list[NodeId]:
    """Complete nodes, left to right, whose right fold is MTH(D[start:end]).

    ``[start, end)`` must be a subtree of the RFC 9162 recursion: ``start`` is a multiple of
    the smallest power of two ``>= end - start``.
    """
    nodes: list[NodeId] = []
    while start < end:
        level = (end - start).bit_length() - 1
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def _fold(hashes: Sequence[bytes]) -> bytes:
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def _resolve(plan: list[list[NodeId]], get_node: GetNodes) -> list[bytes]:
    wanted = sorted({node for segment in plan for node in segment})
    found = get_node(wanted) if wanted else {}
    for node in wanted:
        value = found.get(node)
        if value is None or len(value) != HASH_SIZE:
            raise InconsistentTreeError(f"storage returned no valid hash for node {node}")
    return [_fold([found[node] for node in segment]) for segment in plan]


def subtree_root(start: int, end: int, get_node: GetNodes) -> bytes:
    """MTH(D[start:end]) for a subtree of the tree (``start`` aligned to its width)."""
    if not 0 <= start < end:
        raise OutOfRangeError(f"empty or negative range [{start}, {end})")
    width = 1 << (end - start - 1).bit_length()
    if start % width:
        raise OutOfRangeError(f"[{start}, {end}) is not a subtree")
    return _resolve([_decompose(start, end)], get_node)[0]


def root_at(size: int, get_node: GetNodes) -> bytes:
    """The root hash of the tree of ``size`` leaves."""
    if size < 0:
        raise OutOfRangeError(f"negative tree size {size}")
    return EMPTY_ROOT if size == 0 else subtree_root(0, size, get_node)


def _inclusion_plan(index: int, start: int, end: int) -> list[list[NodeId]]:
    """RFC 9162 §2.1.3.1 PATH(m, D[start:end]), as node folds, leaf's sibling first."""
    if end - start == 1:
        return []
    mid = start + _split(end - start)
    if index < mid:
        return [*_inclusion_plan(index, start, mid), _decompose(mid, end)]
    return [*_inclusion_plan(index, mid, end), _decompose(start, mid)]


def _consistency_plan(old: int, start: int, end: int, whole: bool) -> list[list[NodeId]]:
    """RFC 9162 §2.1.4.1 SUBPROOF(m, D[start:end], b), as node folds."""
    if old == end:
        return [] if whole else [_decompose(start, end)]
    mid = start + _split(end - start)
    if old <= mid:
        return [*_consistency_plan(old, start, mid, whole), _decompose(mid, end)]
    return [*_consistency_plan(old, mid, end, False), _decompose(start, mid)]


def inclusion_proof(index: int, size: int, get_node: GetNodes) -> list[bytes]:
    """The inclusion proof of leaf ``index`` in the tree of ``size`` leaves."""
    if not 0 <= index < size:
        raise OutOfRangeError(f"leaf {index} is not in a tree of size {size}")
    return _resolve(_inclusion_plan(index, 0, size), get_node)


def consistency_proof(old: int, new: int, get_node: GetNodes) -> list[bytes]:
    """The consistency proof from the tree of ``old`` leaves to the tree of ``new`` leaves.

    Empty when ``old`` is 0 or equals ``new`` (nothing to prove).
    """
    if not 0 <= old <= new:
        raise OutOfRangeError(f"no consistency proof from size {old} to size {new}")
    if old == 0 or old == new:
        return []
    return _resolve(_consistency_plan(old, 0, new, True), get_node)


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise MalformedError(f"{what} is {len(value)} bytes, not {HASH_SIZE}")


def root_from_inclusion_proof(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes]
) -> bytes:
    """The root implied by an inclusion proof (RFC 9162 §2.1.3.2 steps 1-3)."""
    if not 0 <= index < size:
        raise InvalidProofError(f"leaf {index} is not in a tree of size {size}")
    _check_hash(leaf_hash, "leaf hash")
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        _check_hash(p, "proof hash")
        if sn == 0:
            raise InvalidProofError("inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise InvalidProofError("inclusion proof is too short")
    return r


def verify_inclusion(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``size`` with ``root``."""
    _check_hash(root, "root hash")
    computed = root_from_inclusion_proof(index, size, leaf_hash, proof)
    if not hmac.compare_digest(computed, root):
        raise InvalidProofError("inclusion proof does not lead to the root hash")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree ``old_root`` of ``old_size`` is a prefix of ``new_root``.

    RFC 9162 §2.1.4.2, extended to the trivial cases: from size 0 the proof must be empty
    (and the old root the empty root); between equal sizes it must be empty and the roots equal.
    """
    _check_hash(old_root, "old root hash")
    _check_hash(new_root, "new root hash")
    for p in proof:
        _check_hash(p, "proof hash")
    if not 0 <= old_size <= new_size:
        raise InvalidProofError(f"cannot go from size {old_size} to size {new_size}")
    if old_size == 0 or old_size == new_size:
        if proof:
            raise InvalidProofError("proof must be empty")
        if old_size == 0 and old_root != EMPTY_ROOT:
            raise InconsistentTreeError("a tree of size 0 must have the empty root")
        if old_size == new_size and not hmac.compare_digest(old_root, new_root):
            raise InconsistentTreeError("same size, different root hashes")
        return
    if not proof:
        raise InvalidProofError("consistency proof is empty")
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise InvalidProofError("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise InvalidProofError("consistency proof is too short")
    if not hmac.compare_digest(fr, old_root) or not hmac.compare_digest(sr, new_root):
        raise InvalidProofError("consistency proof does not lead to the root hashes")


class CompactRange:
    """The frontier of a tree: hashes of its maximal complete subtrees, left to right.

    A tree of size ``n`` has one subtree per set bit of ``n``. Serialised as the 8-byte
    big-endian size followed by those hashes.
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if size < 0 or len(hashes) != size.bit_count():
            raise MalformedError(f"a tree of size {size} needs {max(size, 0).bit_count()} hashes")
        for h in hashes:
            _check_hash(h, "frontier hash")
        self._size = size
        self._hashes = list(hashes)

    @classmethod
    def load(cls, size: int, get_node: GetNodes) -> CompactRange:
        """Rebuild the frontier of the tree of ``size`` leaves from stored nodes."""
        if size < 0:
            raise OutOfRangeError(f"negative tree size {size}")
        return cls(size, _resolve([[node] for node in _decompose(0, size)], get_node))

    @property
    def size(self) -> int:
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        return tuple(self._hashes)

    def nodes(self) -> list[tuple[int, int, bytes]]:
        """The frontier as ``(level, index, hash)``."""
        coords = _decompose(0, self._size)
        return [(lv, k, h) for (lv, k), h in zip(coords, self._hashes, strict=True)]

    def append(self, leaf_hash: bytes) -> list[tuple[int, int, bytes]]:
        """Add a leaf; return every node it completes, ``(0, index, leaf_hash)`` first."""
        _check_hash(leaf_hash, "leaf hash")
        return self._merge(0, leaf_hash)

    def append_subtree(self, level: int, subtree: bytes) -> list[tuple[int, int, bytes]]:
        """Add ``2**level`` leaves at once, given the hash of their complete subtree (as
        :func:`subtree_hash` computes it); the size must be a multiple of ``2**level``.
        Returns every node completed at ``level`` and above, as :meth:`append` does."""
        _check_hash(subtree, "subtree hash")
        if level < 0 or self._size % (1 << level):
            raise OutOfRangeError(f"a subtree of 2**{level} leaves cannot start at {self._size}")
        return self._merge(level, subtree)

    def _merge(self, level: int, h: bytes) -> list[tuple[int, int, bytes]]:
        new_size = self._size + (1 << level)
        completed = [(level, (new_size >> level) - 1, h)]
        n = self._size >> level
        while n & 1:
            h = node_hash(self._hashes.pop(), h)
            level += 1
            n >>= 1
            completed.append((level, (new_size >> level) - 1, h))
        self._hashes.append(h)
        self._size = new_size
        return completed

    def root(self) -> bytes:
        return _fold(self._hashes) if self._hashes else EMPTY_ROOT

    def to_bytes(self) -> bytes:
        return self._size.to_bytes(8, "big") + b"".join(self._hashes)

    @classmethod
    def from_bytes(cls, data: bytes) -> CompactRange:
        if len(data) < 8 or (len(data) - 8) % HASH_SIZE:
            raise MalformedError("compact range encoding has the wrong length")
        size = int.from_bytes(data[:8], "big")
        body = data[8:]
        return cls(size, [body[i : i + HASH_SIZE] for i in range(0, len(body), HASH_SIZE)])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CompactRange):
            return NotImplemented
        return self._size == other._size and self._hashes == other._hashes

    def __hash__(self) -> int:
        return hash((self._size, tuple(self._hashes)))

    def __repr__(self) -> str:
        return f"CompactRange(size={self._size}, root={self.root().hex()})"
