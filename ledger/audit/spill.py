"""Record ids in bounded memory, for an auditor replaying a log of any size.

The newest ids live in an in-memory set. When it holds ``memory_limit`` ids they are appended,
grouped by bucket, to one temporary file (unlinked as soon as it is opened, so it is gone once
:meth:`SpillingIds.close` closes it or the process ends), and set in a
fixed-size Bloom filter, so that an id never seen -- nearly every lookup -- is answered from
memory, and only a Bloom filter hit reads the id's bucket from each spilled run. Exact: a hit is
confirmed against the file, so a false positive costs a few small reads, never a wrong answer.
Memory: the set (at most ``memory_limit`` ids), the Bloom filter, and 8 KiB of offsets per run.
"""

from __future__ import annotations

import os
import tempfile
from array import array
from typing import BinaryIO

from ledger.domain.ids import IdKey

MEMORY_LIMIT = 250_000  # ids (about 55 MiB); a 100,000-entry log of donations stays under it
BLOOM_BITS = 1 << 27  # 16 MiB: ~1 false positive in 1,000 lookups at 2 million spilled ids
BUCKET_BITS = 10
_MASK64 = (1 << 64) - 1


class SpillingIds:
    def __init__(self, memory_limit: int = MEMORY_LIMIT, bloom_bits: int = BLOOM_BITS,
                 directory: str | None = None) -> None:
        if bloom_bits & (bloom_bits - 1) or not 64 <= bloom_bits <= 1 << 27:
            raise ValueError("bloom_bits must be a power of two in [64, 2**27]")
        self.memory_limit = memory_limit
        self._recent: set[IdKey] = set()
        self._mask = bloom_bits - 1
        self._shift = bloom_bits.bit_length() - 1
        self._bloom: bytearray | None = None
        self._file: BinaryIO | None = None
        self._runs: list[array[int]] = []  # per spilled run: file offset of each bucket, and the end
        self._directory = directory
        self.spilled = 0
        self.reads = 0  # Bloom filter hits confirmed against the file

    def taken(self, key: IdKey) -> bool:
        if key in self._recent:
            return True
        return self._bloom is not None and self._spilled(key)

    def _spilled(self, key: IdKey) -> bool:
        bloom = self._bloom
        assert bloom is not None
        # Two Bloom positions from the key's 64-bit hash (Python's own, stable within this
        # process): its low bits and the bits above them; its top bits pick the bucket.
        h = hash(key) & _MASK64
        a, b = h & self._mask, (h >> self._shift) & self._mask
        if not (bloom[a >> 3] >> (a & 7) & bloom[b >> 3] >> (b & 7) & 1):
            return False
        self.reads += 1
        return self._in_file(h >> (64 - BUCKET_BITS), b"\n" + _encode(key) + b"\n")

    def _in_file(self, bucket: int, needle: bytes) -> bool:
        f = self._file
        assert f is not None
        for offsets in self._runs:
            start, end = offsets[bucket], offsets[bucket + 1]
            if end > start:
                f.seek(start)
                if needle in b"\n" + f.read(end - start):
                    return True
        return False

    def add(self, key: IdKey) -> None:
        self._recent.add(key)
        if len(self._recent) >= self.memory_limit:
            self._spill()

    def claim(self, *keys: IdKey) -> IdKey | None:
        recent, spilled = self._recent, self._bloom is not None
        for key in keys:
            if key in recent or (spilled and self._spilled(key)):
                return key
        recent.update(keys)
        if len(recent) >= self.memory_limit:
            self._spill()
        return None

    def __len__(self) -> int:
        return len(self._recent) + self.spilled

    def _spill(self) -> None:
        if self._file is None:
            fd, path = tempfile.mkstemp(prefix="sunlight-verify-ids-", dir=self._directory)
            self._file = os.fdopen(fd, "w+b")
            os.unlink(path)  # the open file lives until closed, and nothing is left behind
            self._bloom = bytearray((self._mask + 1) >> 3)
        bloom, mask, shift = self._bloom, self._mask, self._shift
        assert bloom is not None
        top = 64 - BUCKET_BITS
        buckets: list[list[IdKey]] = [[] for _ in range(1 << BUCKET_BITS)]
        for key in self._recent:
            h = hash(key) & _MASK64
            a, b = h & mask, (h >> shift) & mask
            bloom[a >> 3] |= 1 << (a & 7)
            bloom[b >> 3] |= 1 << (b & 7)
            buckets[h >> top].append(key)
        f = self._file
        offsets = array("Q", [0] * ((1 << BUCKET_BITS) + 1))
        position = f.seek(0, os.SEEK_END)
        for bucket, keys in enumerate(buckets):
            offsets[bucket] = position
            if keys:
                position += f.write(_encode_bucket(keys))
        offsets[1 << BUCKET_BITS] = position
        f.flush()
        self._runs.append(offsets)
        self.spilled += len(self._recent)
        self._recent.clear()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self._bloom = None
        self._runs.clear()
        self._recent.clear()
        self.spilled = 0

    def __enter__(self) -> SpillingIds:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _encode_bucket(keys: list[IdKey]) -> bytes:
    """The lines of ``keys``, each as :func:`_encode` writes it: joined in one go, which is right
    unless a part holds a separator or a newline -- counted once for the whole bucket."""
    text = "\n".join(["\x1f".join(key) for key in keys]) + "\n"
    if (text.count("\x1f") == 2 * len(keys) and text.count("\n") == len(keys)
            and "\x1e" not in text):
        return text.encode()
    return b"".join(_encode(key) + b"\n" for key in keys)


def _encode(key: IdKey) -> bytes:
    """One line per key, distinct keys never alike: the parts joined by a unit separator, or the
    tuple's repr (which escapes everything) for a key whose parts hold a separator or a newline.
    (Not orjson.dumps: each of its results keeps a 4 KiB buffer alive.)"""
    line = "\x1f".join(key)
    if "\n" in line or line.count("\x1f") != 2 or line.startswith("\x1e"):
        line = "\x1e" + repr(key)
    return line.encode()
