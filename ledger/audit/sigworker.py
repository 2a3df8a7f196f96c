"""Ed25519 signature checks in batches, run in worker processes (or inline for small logs).

Strict as :func:`ledger.signing.verify_signature`: a weak key or a non-canonical signature (or one
with a small-order ``R``) never verifies. Kept tiny on purpose: a spawned worker imports only this
module, :mod:`ledger.crypto.ed25519` and ``cryptography``.
"""

from __future__ import annotations

from collections import OrderedDict

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.crypto.ed25519 import BAD_R, BAD_R_FIRST, L, check_public_key
from ledger.crypto.errors import WeakKeyError

MAX_KEYS = 4096

Batch = tuple[list[int], list[bytes], list[bytes], list[bytes]]
"""``(log indices, raw 32-byte public keys, messages, signatures)``, all the same length."""

_keys: OrderedDict[bytes, Ed25519PublicKey | None] = OrderedDict()


def _key(raw: bytes) -> Ed25519PublicKey | None:
    """The key, or None for a weak or invalid one (remembered too: the check costs milliseconds)."""
    if raw in _keys:
        _keys.move_to_end(raw)
        return _keys[raw]
    try:
        check_public_key(raw)
        key = Ed25519PublicKey.from_public_bytes(raw)
    except (WeakKeyError, ValueError):
        key = None
    _keys[raw] = key
    if len(_keys) > MAX_KEYS:
        _keys.popitem(last=False)
    return key


def verify_batch(batch: Batch) -> list[int]:
    """The log indices whose signature does not verify."""
    indices, keys, messages, signatures = batch
    bad: list[int] = []
    for index, raw, message, signature in zip(indices, keys, messages, signatures, strict=True):
        key = _key(raw)
        # ledger.crypto.ed25519.signature_encoding_ok, inlined: this loop is the auditor's work.
        if (key is None or len(signature) != 64 or (BAD_R_FIRST[signature[0]] and signature[:32] in BAD_R)
                or (signature[63] >= 0x10 and int.from_bytes(signature[32:], "little") >= L)):
            bad.append(index)
            continue
        try:
            key.verify(signature, message)
        except InvalidSignature:
            bad.append(index)
    return bad
