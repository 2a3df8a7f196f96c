"""Strict Ed25519 rules on top of OpenSSL's verification: which public keys may be registered,
and which signature encodings are looked at at all.

OpenSSL verifies cofactorless (RFC 8032 §5.1.7 without the factor 8) and accepts any public key
that decodes. Under a small-order key -- the identity point ``AQAAAA…`` most of all -- a fixed
signature then verifies for many messages, so anyone could sign in that key's name. Hence:

* :func:`check_public_key`, run once per key when it is registered or trusted: 32 bytes, ``y < p``,
  RFC 8032 §5.1.3 decoding succeeds (no ``x = 0`` with the sign bit set), not of small order, and
  in the prime-order subgroup (``L·A`` is the identity). Pure Python; a few milliseconds.
* :func:`check_signature_encoding`, run before every verification: ``S < L`` and ``R`` neither a
  small-order point nor a non-canonical encoding (a set lookup; no curve arithmetic).
"""

from __future__ import annotations

from functools import lru_cache

from ledger.crypto.errors import SignatureEncodingError, WeakKeyError

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493  # the prime order of the base point
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)

Point = tuple[int, int, int, int]  # extended coordinates (X:Y:Z:T), x = X/Z, y = Y/Z, xy = T/Z
IDENTITY: Point = (0, 1, 1, 0)

# The y-coordinates of the eight points of small order: 1 (the identity), p-1 (order 2), 0 (the
# two of order 4), and the two y's of the four points of order 8 (from libsodium's blocklist;
# tests/crypto/reference_ed25519.py finds all eight independently, as L·Q for points Q of mixed
# order). Each stands for the points (±x, y).
SMALL_ORDER_Y = (0, 1, P - 1,
                 2707385501144840649318225287225658788936804267575313519463743609750303402022,
                 55188659117513257062467267217118295137698188065244968500265048394206261417927)


def _encodings(y: int) -> tuple[bytes, bytes]:
    raw = y.to_bytes(32, "little")
    return raw, raw[:31] + bytes([raw[31] | 0x80])


BAD_R = frozenset(
    e for y in (*SMALL_ORDER_Y, *range(P, 2**255)) for e in _encodings(y))
"""Every 32-byte ``R`` refused without arithmetic: each small-order point with either sign bit, and
every encoding with ``y >= p`` (among them ``p`` and ``p + 1``, the second forms of 0 and 1)."""

BAD_R_FIRST = bytes(int(any(r[0] == b for r in BAD_R)) for b in range(256))
"""Indexed by the first byte of ``R``: 1 if some encoding in :data:`BAD_R` starts with it (24 of
256), so that nine ``R`` in ten are cleared without slicing or hashing."""


def check_signature_encoding(signature: bytes) -> None:
    """Refuses a signature that no strict verifier accepts: not 64 bytes, ``S >= L``, or ``R`` of
    small order or not canonically encoded. Cheap: one set lookup and one integer comparison."""
    if len(signature) != 64:
        raise SignatureEncodingError("an Ed25519 signature is 64 bytes")
    if signature[:32] in BAD_R:
        raise SignatureEncodingError("signature R is a small-order point or not canonically encoded")
    if int.from_bytes(signature[32:], "little") >= L:
        raise SignatureEncodingError("signature S is not below the group order L (not canonical)")


def signature_encoding_ok(signature: bytes) -> bool:
    """:func:`check_signature_encoding` as a boolean, written for speed: an ``S`` whose top byte
    is below 0x10 is below 2^252 < L, and :data:`BAD_R_FIRST` clears most ``R`` at one index."""
    return (len(signature) == 64
            and not (BAD_R_FIRST[signature[0]] and signature[:32] in BAD_R)
            and not (signature[63] >= 0x10 and int.from_bytes(signature[32:], "little") >= L))


@lru_cache(maxsize=4096)
def check_public_key(raw: bytes) -> None:
    """Refuses a public key that must never be registered or trusted (see the module docstring)."""
    if len(raw) != 32:
        raise WeakKeyError("an Ed25519 public key is 32 bytes")
    point = decode_point(raw)
    if _is_identity(_mul(8, point)):
        raise WeakKeyError("public key is a point of small order")
    if not _is_identity(_mul(L, point)):
        raise WeakKeyError("public key is not in the prime-order subgroup (it has a small-order part)")


def decode_point(raw: bytes) -> Point:
    """RFC 8032 §5.1.3, strictly: ``y < p`` and no ``x = 0`` with the sign bit set."""
    y = int.from_bytes(raw, "little")
    sign, y = y >> 255, y & (2**255 - 1)
    if y >= P:
        raise WeakKeyError("public key is not canonically encoded (y >= p)")
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P:
        raise WeakKeyError("public key is not a point of the curve")
    if x == 0 and sign:
        raise WeakKeyError("public key is not canonically encoded (x = 0 with the sign bit set)")
    if x & 1 != sign:
        x = P - x
    return (x, y, 1, x * y % P)


def _add(a: Point, b: Point) -> Point:
    """Complete addition on -x² + y² = 1 + d·x²·y² (RFC 8032 §5.1.4)."""
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    e1 = (y1 - x1) * (y2 - x2) % P
    e2 = (y1 + x1) * (y2 + x2) % P
    c = 2 * t1 * t2 * D % P
    d = 2 * z1 * z2 % P
    e, f, g, h = e2 - e1, d - c, d + c, e2 + e1
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _mul(k: int, point: Point) -> Point:
    result = IDENTITY
    while k:
        if k & 1:
            result = _add(result, point)
        point = _add(point, point)
        k >>= 1
    return result


def _is_identity(point: Point) -> bool:
    x, y, z, _ = point
    return x % P == 0 and (y - z) % P == 0
