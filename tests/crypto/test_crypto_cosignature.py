"""c2sp.org/tlog-cosignature Ed25519 cosignatures and the k-of-n witness policy."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.crypto.checkpoint import Checkpoint
from ledger.crypto.cosignature import (
    CosignatureSigner,
    cosignature_timestamp,
    cosignature_v1_message,
    verify_cosigned,
)
from ledger.crypto.errors import (
    InsufficientCosignaturesError,
    InvalidSignatureError,
    MalformedNoteError,
    UnverifiedNoteError,
)
from ledger.crypto.note import Signature, Signer, Verifier, add_signatures, open_note, sign_note

LOG = Signer.from_seed("example.com/behind-the-sofa", bytes(32))
W1 = CosignatureSigner.from_seed("witness.example/w1", bytes([1]) * 32)
W2 = CosignatureSigner.from_seed("witness.example/w2", bytes([2]) * 32)
W3 = CosignatureSigner.from_seed("witness.example/w3", bytes([3]) * 32)
TEXT = Checkpoint(
    "example.com/behind-the-sofa",
    20852163,
    base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="),
).text()


def test_signed_message_matches_the_spec_example() -> None:
    assert cosignature_v1_message(TEXT, 1679315147) == (
        b"cosignature/v1\n"
        b"time 1679315147\n"
        b"example.com/behind-the-sofa\n"
        b"20852163\n"
        b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )


def test_cosignature_bytes_layout() -> None:
    line = W1.cosign(TEXT, 1679315147)
    assert line.startswith("— witness.example/w1 ") and line.endswith("\n")
    sig = Signature.parse_line(line.rstrip("\n"))
    assert sig.key_id == W1.key_id
    assert len(sig.signature) == 72
    assert sig.signature[:8] == (1679315147).to_bytes(8, "big")
    assert cosignature_timestamp(sig) == 1679315147
    # The 64 bytes after the timestamp are a plain Ed25519 signature over the message.
    public = Ed25519PublicKey.from_public_bytes(W1.public_key)
    public.verify(sig.signature[8:], cosignature_v1_message(TEXT, 1679315147))


def test_key_id_uses_type_0x04() -> None:
    expected = hashlib.sha256(b"witness.example/w1\n\x04" + W1.public_key).digest()[:4]
    assert W1.key_id == expected
    assert Verifier.from_key_string(W1.verifier_key()).key_id == expected


def test_cosignature_verifies_through_open_note() -> None:
    note = sign_note(TEXT, LOG) + W1.cosign(TEXT, 100)
    opened = open_note(note, [Verifier.from_key_string(W1.verifier_key())])
    assert [s.name for s in opened.signatures] == ["witness.example/w1"]


def test_cosignature_is_not_a_plain_signature() -> None:
    # Same key, type 0x01: the key ID differs, so the cosignature is simply unknown.
    plain = Verifier(W1.name, 1, W1.public_key)
    with pytest.raises(UnverifiedNoteError):
        open_note(TEXT + "\n" + W1.cosign(TEXT, 100), [plain])


def test_tampered_timestamp_fails() -> None:
    sig = W1.signature(TEXT, 100)
    bad = Signature(sig.name, sig.key_id, (101).to_bytes(8, "big") + sig.signature[8:])
    with pytest.raises(InvalidSignatureError):
        open_note(TEXT + "\n" + bad.line(), [W1.verifier()])


@pytest.mark.parametrize("timestamp", [0, -1])
def test_timestamp_must_be_positive(timestamp: int) -> None:
    with pytest.raises(MalformedNoteError):
        W1.cosign(TEXT, timestamp)


def test_quorum() -> None:
    note = add_signatures(sign_note(TEXT, LOG), [W1.cosign(TEXT, 5), W2.cosign(TEXT, 6)])
    witnesses = [W1.verifier(), W2.verifier(), W3.verifier()]
    assert len(verify_cosigned(note, [LOG.verifier()], witnesses, 2).signatures) == 3
    with pytest.raises(InsufficientCosignaturesError):
        verify_cosigned(note, [LOG.verifier()], witnesses, 3)
    cosigned_only = TEXT + "\n" + W1.cosign(TEXT, 5) + W2.cosign(TEXT, 6)
    with pytest.raises(UnverifiedNoteError):
        verify_cosigned(cosigned_only, [LOG.verifier()], witnesses, 2)
    with pytest.raises(ValueError):
        verify_cosigned(note, [LOG.verifier()], witnesses, 4)
