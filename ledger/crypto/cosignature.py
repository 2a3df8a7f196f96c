"""c2sp.org/tlog-cosignature, Ed25519 (signature type 0x04), and k-of-n witness policy.

A cosignature line is ``— <name> base64(key ID || 8-byte BE timestamp || Ed25519 signature)``
where the signature covers ``cosignature/v1\\ntime <timestamp>\\n`` + the checkpoint text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ledger.crypto._encoding import b64encode
from ledger.crypto.errors import (
    InsufficientCosignaturesError,
    MalformedNoteError,
    UnverifiedNoteError,
)
from ledger.crypto.note import (
    SIG_COSIGNATURE_V1,
    Note,
    Signature,
    Verifier,
    check_key_name,
    compute_key_id,
    cosignature_v1_message,
    open_note,
)

__all__ = [
    "CosignatureSigner",
    "cosignature_timestamp",
    "cosignature_v1_message",
    "verify_cosigned",
]


class CosignatureSigner:
    """A witness's Ed25519 cosigning key."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        check_key_name(name)
        self.name = name
        self._key = private_key
        self.public_key = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.key_id = compute_key_id(name, SIG_COSIGNATURE_V1, self.public_key)

    @classmethod
    def from_seed(cls, name: str, seed: bytes) -> CosignatureSigner:
        if len(seed) != 32:
            raise MalformedNoteError("an Ed25519 seed is 32 bytes")
        return cls(name, Ed25519PrivateKey.from_private_bytes(seed))

    def verifier(self) -> Verifier:
        return Verifier(self.name, SIG_COSIGNATURE_V1, self.public_key)

    def verifier_key(self) -> str:
        """The vkey ``<name>+<hex key ID>+base64(0x04 || public key)``."""
        return f"{self.name}+{self.key_id.hex()}+{b64encode(bytes([4]) + self.public_key)}"

    def signature(self, checkpoint_text: str, timestamp: int) -> Signature:
        message = cosignature_v1_message(checkpoint_text, timestamp)
        raw = timestamp.to_bytes(8, "big") + self._key.sign(message)
        return Signature(self.name, self.key_id, raw)

    def cosign(self, checkpoint_text: str, timestamp: int) -> str:
        """The signature line (ending in a newline) cosigning ``checkpoint_text`` at ``timestamp``.

        ``timestamp`` is POSIX seconds and must not be zero (tlog-witness).
        """
        if timestamp <= 0:
            raise MalformedNoteError("a cosignature timestamp must be positive")
        return self.signature(checkpoint_text, timestamp).line()


def cosignature_timestamp(signature: Signature) -> int:
    """The timestamp inside a type 0x04 cosignature (verify it first)."""
    if len(signature.signature) != 72:
        raise MalformedNoteError("an Ed25519 cosignature is 72 bytes")
    return int.from_bytes(signature.signature[:8], "big")


def verify_cosigned(
    signed_note: str | bytes,
    log_verifiers: Iterable[Verifier],
    witnesses: Sequence[Verifier],
    quorum: int,
) -> Note:
    """Open a note that must be signed by a log key and cosigned by ``quorum`` distinct witnesses.

    Witnesses are counted by name; a witness with several keys counts once.
    """
    log_verifiers = list(log_verifiers)
    if quorum > len({w.name for w in witnesses}):
        raise ValueError(f"a quorum of {quorum} cannot be met by {len(witnesses)} witnesses")
    note = open_note(signed_note, [*log_verifiers, *witnesses])
    if not any(note.signed_by(v) for v in log_verifiers):
        raise UnverifiedNoteError("note is not signed by a log key")
    names = {w.name for w in witnesses if note.signed_by(w)}
    if len(names) < quorum:
        raise InsufficientCosignaturesError(
            f"{len(names)} of the required {quorum} witnesses cosigned"
        )
    return note
