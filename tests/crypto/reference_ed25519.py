"""A naive Ed25519, written straight from RFC 8032 §5.1 in affine coordinates, that signs and
verifies the ways a careless implementation would: lenient decoding (``y`` reduced mod p, the
sign bit of ``x = 0`` ignored), ``S`` reduced mod L, cofactorless or cofactored equations.

Used only by tests (tests/vectors/make_vectors.py builds the Ed25519 edge vectors with it), as
the independent answer ``ledger.crypto.ed25519`` and ``verify.js`` must match: it finds the
eight small-order points itself, as multiples of ``L·Q`` for a point ``Q`` of full order 8L.
"""

from __future__ import annotations

import hashlib

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, -1, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)
Point = tuple[int, int]  # affine (x, y)
IDENTITY: Point = (0, 1)
B: Point = (15112221349535400772501151409588531511454012693041857206046113283949847762202,
            46316835694926478169428394003475163141307993866256225615783033603165251855960)


def add(a: Point, b: Point) -> Point:
    (x1, y1), (x2, y2) = a, b
    t = D * x1 * x2 * y1 * y2 % P
    return ((x1 * y2 + y1 * x2) * pow(1 + t, -1, P) % P,
            (y1 * y2 + x1 * x2) * pow(1 - t, -1, P) % P)


def mul(k: int, point: Point) -> Point:
    result = IDENTITY
    for bit in bin(k)[2:] if k > 0 else "":
        result = add(result, result)
        if bit == "1":
            result = add(result, point)
    return result


def neg(point: Point) -> Point:
    return (-point[0] % P, point[1])


def on_curve(point: Point) -> bool:
    x, y = point
    return (-x * x + y * y - 1 - D * x * x * y * y) % P == 0


def encode(point: Point) -> bytes:
    x, y = point
    return (y | (x & 1) << 255).to_bytes(32, "little")


def encode_y(y: int, sign: int) -> bytes:
    """Any 255-bit ``y`` (even ``y >= p``) with a sign bit: a possibly non-canonical encoding."""
    return (y | sign << 255).to_bytes(32, "little")


def x_for(y: int) -> int | None:
    """A square root x of (y² - 1) / (d·y² + 1), or None when y is on no point."""
    u, v = (y * y - 1) % P, (D * y * y + 1) % P
    x2 = u * pow(v, -1, P) % P
    for x in (pow(x2, (P + 3) // 8, P), pow(x2, (P + 3) // 8, P) * SQRT_M1 % P):
        if x * x % P == x2:
            return x
    return None


def decode_lenient(raw: bytes) -> Point | None:
    """What a lax decoder makes of 32 bytes: y mod p, the sign bit of x = 0 ignored."""
    n = int.from_bytes(raw, "little")
    sign, y = n >> 255, (n & (2**255 - 1)) % P
    x = x_for(y)
    if x is None:
        return None
    if x & 1 != sign:
        x = -x % P
    return (x, y)


def order(point: Point) -> int:
    """The order of a point (a divisor of 8L)."""
    for n in (1, 2, 4, 8, L, 2 * L, 4 * L, 8 * L):
        if mul(n, point) == IDENTITY:
            return n
    raise AssertionError("not on the curve")


def small_order_points() -> list[Point]:
    """The eight points of order dividing 8: the multiples of L·Q for a Q of order 8L."""
    y = 2
    while True:
        x = x_for(y)
        if x is not None:
            torsion = mul(L, (x, y))
            if order(torsion) == 8:
                return [mul(k, torsion) for k in range(8)]
        y += 1


def h(*parts: bytes) -> int:
    return int.from_bytes(hashlib.sha512(b"".join(parts)).digest(), "little") % L


def secret(seed: bytes) -> tuple[int, bytes]:
    """RFC 8032 §5.1.5: the clamped scalar and the nonce prefix of a 32-byte seed."""
    digest = hashlib.sha512(seed).digest()
    a = int.from_bytes(digest[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return a, digest[32:]


def public(seed: bytes) -> bytes:
    return encode(mul(secret(seed)[0], B))


def sign(seed: bytes, message: bytes, public_key: bytes | None = None,
         r_bytes: bytes | None = None) -> bytes:
    """RFC 8032 §5.1.6; ``public_key`` replaces A in the hash (to sign "for" another key) and
    ``r_bytes`` replaces R (with the nonce 0: S = k·a) -- both only to build edge cases."""
    a, prefix = secret(seed)
    public_key = encode(mul(a, B)) if public_key is None else public_key
    if r_bytes is None:
        r = h(prefix, message)
        r_bytes, nonce = encode(mul(r, B)), r
    else:
        nonce = 0
    s = (nonce + h(r_bytes, public_key, message) * a) % L
    return r_bytes + s.to_bytes(32, "little")


def verdicts(public_key: bytes, message: bytes, signature: bytes) -> tuple[bool, bool]:
    """Lax RFC 8032 §5.1.7 -- lenient decoding, S taken mod L, no check on A or R beyond
    decoding -- without and with the cofactor: ``(S·B == R + k·A, 8·S·B == 8·R + 8·k·A)``."""
    if len(public_key) != 32 or len(signature) != 64:
        return False, False
    a, r = decode_lenient(public_key), decode_lenient(signature[:32])
    if a is None or r is None:
        return False, False
    s = int.from_bytes(signature[32:], "little") % L
    k = h(signature[:32], public_key, message)
    left, right = mul(s, B), add(r, mul(k, a))
    return left == right, mul(8, left) == mul(8, right)


def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """The lax cofactorless verification (see :func:`verdicts`)."""
    return verdicts(public_key, message, signature)[0]
