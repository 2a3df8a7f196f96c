"""Strict Ed25519 against tests/vectors/ed25519-edge.json (made by the naive reference in
reference_ed25519.py): every check that accepts a key or a signature -- the key rules, the
signature pre-check, the ledger's verify_signature, the auditor's signature workers and the
signed-note verifiers -- says what the vectors say. verify.js is held to the same file in
tests/tlog/test_tlog_browser.py."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
import reference_ed25519 as ref
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.audit.sigworker import verify_batch
from ledger.crypto.ed25519 import BAD_R, SMALL_ORDER_Y, check_public_key, check_signature_encoding
from ledger.crypto.errors import SignatureEncodingError, WeakKeyError
from ledger.crypto.note import SIG_COSIGNATURE_V1, SIG_ED25519, Signature, Verifier, compute_key_id
from ledger.domain.errors import SignatureInvalid
from ledger.signing import verify_signature

VECTORS = json.loads((Path(__file__).resolve().parents[1] / "vectors" / "ed25519-edge.json")
                     .read_text(encoding="utf-8"))
IDS = [c["desc"] for c in VECTORS]
IDENTITY = bytes([1]) + bytes(31)  # the identity point, "AQAAAA…" in base64


def parts(case: dict[str, Any]) -> tuple[bytes, bytes, bytes]:
    return (bytes.fromhex(case["public_key"]), bytes.fromhex(case["message"]),
            bytes.fromhex(case["signature"]))


def test_the_vectors_cover_every_edge() -> None:
    descs = " | ".join(IDS)
    assert sum(c["valid"] for c in VECTORS) == 2
    assert descs.count("small-order key of order") == 8  # each of the eight small-order points
    for edge in ("non-canonical small-order key", "mixed-order key", "y = p + ", "small-order R",
                 "non-canonical R", "S + L"):
        assert edge in descs
    assert len(set(IDS)) == len(IDS)


@pytest.mark.parametrize("case", VECTORS, ids=IDS)
def test_public_key_rules(case: dict[str, Any]) -> None:
    key, _, _ = parts(case)
    if case["key_ok"]:
        check_public_key(key)
    else:
        with pytest.raises(WeakKeyError):
            check_public_key(key)


@pytest.mark.parametrize("case", VECTORS, ids=IDS)
def test_signature_encoding_rules(case: dict[str, Any]) -> None:
    _, _, signature = parts(case)
    if case["signature_ok"]:
        check_signature_encoding(signature)
    else:
        with pytest.raises(SignatureEncodingError):
            check_signature_encoding(signature)


@pytest.mark.parametrize("case", VECTORS, ids=IDS)
def test_every_verifier_is_strict(case: dict[str, Any]) -> None:
    """The ledger, the auditor's workers and a note verifier accept exactly the valid cases."""
    key, message, signature = parts(case)
    b64 = base64.b64encode(key).decode()
    if case["valid"]:
        verify_signature(b64, message, signature)
    else:
        with pytest.raises(SignatureInvalid) as refused:
            verify_signature(b64, message, signature)
        assert refused.value.code == ("signature-invalid" if case["key_ok"] else "weak-key")
    assert verify_batch(([7], [key], [message], [signature])) == ([] if case["valid"] else [7])
    if len(key) != 32:
        return
    if not case["key_ok"]:  # a log key (0x01) or a witness key (0x04) alike
        for sig_type in (SIG_ED25519, SIG_COSIGNATURE_V1):
            with pytest.raises(WeakKeyError):
                Verifier("log.example/edge", sig_type, key)
    elif not case["valid"]:  # (a note signs its text plus a newline: valid notes are tested below)
        verifier = Verifier("log.example/edge", SIG_ED25519, key)
        signed = Signature(verifier.name, verifier.key_id, signature)
        assert not verifier.verify(message.decode() + "\n", signed)


@pytest.mark.parametrize("case", VECTORS, ids=IDS)
def test_what_plain_openssl_would_have_accepted(case: dict[str, Any]) -> None:
    """Why the rules exist: OpenSSL alone accepts what the "openssl" field says -- among them the
    fixed signature under each small-order key, a mixed-order key and a small-order R."""
    key, message, signature = parts(case)
    try:
        Ed25519PublicKey.from_public_bytes(key).verify(signature, message)
        accepted = True
    except (InvalidSignature, ValueError):
        accepted = False
    assert accepted == case["openssl"]


def test_a_fixed_fake_signature_verifies_for_any_message_under_the_identity_key() -> None:
    """The attack of the issue: with the identity as public key, R = identity and S = 0 verify for
    every message under cofactorless OpenSSL. Strict verification refuses the key and the R."""
    fake = IDENTITY + bytes(32)
    identity = Ed25519PublicKey.from_public_bytes(IDENTITY)
    messages = [f'{{"kind":"fund.grant_made","amount_fen":{n}}}'.encode() for n in range(1, 41)]
    for message in messages:
        identity.verify(fake, message)  # OpenSSL: valid, every time
    b64 = base64.b64encode(IDENTITY).decode()
    assert b64.startswith("AQAAAA")
    for message in messages:
        with pytest.raises(SignatureInvalid):
            verify_signature(b64, message, fake)
    n = len(messages)
    assert verify_batch((list(range(n)), [IDENTITY] * n, messages, [fake] * n)) == list(range(n))


def test_the_reference_signs_as_openssl_does() -> None:
    """Known answer: the naive reference's RFC 8032 signature is byte for byte OpenSSL's (so the
    vectors it signs are real Ed25519)."""
    seed = bytes(range(32))
    key = Ed25519PrivateKey.from_private_bytes(seed)
    for message in (b"", b"abc", "社区".encode() * 50):
        assert ref.sign(seed, message) == key.sign(message)
    assert ref.public(seed) == key.public_key().public_bytes_raw()


def test_a_note_signed_by_a_real_key_still_verifies() -> None:
    key = Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes_raw()
    check_public_key(raw)
    verifier = Verifier("log.example/real", SIG_ED25519, raw)
    signature = key.sign(b"text\n")
    assert verifier.verify("text\n", Signature(verifier.name, verifier.key_id, signature))
    s = int.from_bytes(signature[32:], "little") + ref.L
    malleated = signature[:32] + s.to_bytes(32, "little")
    assert not verifier.verify("text\n", Signature(verifier.name, verifier.key_id, malleated))


def test_the_r_blocklist_is_exactly_the_small_order_points_and_the_non_canonical_y() -> None:
    """The precomputed set against the reference's own eight small-order points."""
    found = {ref.encode(t)[:31] + bytes([ref.encode(t)[31] & 0x7F]) for t in ref.small_order_points()}
    assert {int.from_bytes(e, "little") for e in found} == set(SMALL_ORDER_Y)
    expected = {ref.encode_y(y, sign) for y in (*SMALL_ORDER_Y, *range(ref.P, 2**255)) for sign in (0, 1)}
    assert expected == BAD_R and len(BAD_R) == 48


def vkey(name: str, sig_type: int, raw: bytes) -> str:
    """A verifier key string built by hand (the project's own code would refuse to make one)."""
    key_id = compute_key_id(name, sig_type, raw).hex()
    return f"{name}+{key_id}+{base64.b64encode(bytes([sig_type]) + raw).decode()}"


def test_weak_verifier_keys_are_refused_when_parsed() -> None:
    """``sunlight verify --key/--witness`` and ``witness serve --log`` parse keys this way."""
    good = ref.public(b"\x05" * 32)
    assert Verifier.from_key_string(vkey("log.example/x", SIG_ED25519, good)).public_key == good
    for sig_type in (SIG_ED25519, SIG_COSIGNATURE_V1):
        for bad in (IDENTITY, ref.encode_y(ref.P + 1, 0)):
            with pytest.raises(WeakKeyError):
                Verifier.from_key_string(vkey("log.example/x", sig_type, bad))


def test_signatures_of_the_wrong_length_are_refused_not_a_crash() -> None:
    key = Ed25519PrivateKey.from_private_bytes(b"\x03" * 32)
    raw, good = key.public_key().public_bytes_raw(), key.sign(b"m")
    for bad in (b"", good[:63], good + b"\x00"):
        with pytest.raises(SignatureEncodingError):
            check_signature_encoding(bad)
        assert verify_batch(([1], [raw], [b"m"], [bad])) == [1]
    assert verify_batch(([1], [raw], [b"m"], [good])) == []
