"""C2SP signed-note: the spec's example, the Go reference vector, and strict parsing."""

from __future__ import annotations

import hashlib

import pytest

from ledger.crypto.errors import (
    InvalidSignatureError,
    MalformedNoteError,
    UnverifiedNoteError,
)
from ledger.crypto.note import (
    SIG_COSIGNATURE_V1,
    Signature,
    Signer,
    Verifier,
    add_signatures,
    compute_key_id,
    open_note,
    sign_note,
    split_note,
)

# c2sp.org/signed-note, "Example".
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n"
    "\n"
    "— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXm"
    "RKuwHjG1Yu72IneyaQM=\n"
)

# golang.org/x/mod/sumdb/note documentation example: private key, text, and the exact note.
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXg"
    "KvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)

ALICE = Signer.from_seed("alice.example/log", bytes(range(32)))
BOB = Signer.from_seed("bob.example/log", bytes(range(1, 33)))


def test_spec_example_verifies() -> None:
    verifier = Verifier.from_key_string(SPEC_VKEY)
    assert verifier.key_id.hex() == "530d903a"
    assert verifier.key_string() == SPEC_VKEY
    note = open_note(SPEC_NOTE, [verifier])
    assert note.text == "This is an example message.\n"
    assert [s.name for s in note.signatures] == ["example.com/foo"]
    assert SPEC_NOTE.endswith(note.signatures[0].line())


def test_go_reference_signature_is_reproduced_byte_for_byte() -> None:
    signer = Signer.from_private_key_string(GO_SKEY)
    assert signer.verifier_key() == GO_VKEY
    assert sign_note(GO_TEXT, signer) == GO_NOTE
    assert open_note(GO_NOTE.encode(), [Verifier.from_key_string(GO_VKEY)]).text == GO_TEXT


def test_key_id_recipe() -> None:
    # SHA-256(name || 0x0A || 0x01 || public key)[:4]
    expected = hashlib.sha256(b"alice.example/log\n\x01" + ALICE.public_key).digest()[:4]
    assert ALICE.key_id == expected == compute_key_id(ALICE.name, 1, ALICE.public_key)
    assert ALICE.verifier_key().startswith(f"alice.example/log+{expected.hex()}+A")


def test_sign_and_open_with_several_keys() -> None:
    note = sign_note("hello\n", ALICE, BOB)
    opened = open_note(note, [ALICE.verifier(), BOB.verifier()])
    assert [s.name for s in opened.signatures] == [ALICE.name, BOB.name]
    only_bob = open_note(note, [BOB.verifier()])
    assert [s.name for s in only_bob.signatures] == [BOB.name]
    assert [s.name for s in only_bob.unverified] == [ALICE.name]


def test_unknown_keys_only_is_rejected() -> None:
    with pytest.raises(UnverifiedNoteError):
        open_note(sign_note("hello\n", ALICE), [BOB.verifier()])


def test_bad_signature_by_known_key_is_rejected() -> None:
    forged = "hello\n\n" + Signature(ALICE.name, ALICE.key_id, bytes(64)).line()
    with pytest.raises(InvalidSignatureError):
        open_note(forged, [ALICE.verifier()])


def test_repeated_signature_counts_once() -> None:
    line = ALICE.sign("hello\n").line()
    opened = open_note("hello\n\n" + line + line, [ALICE.verifier()])
    assert len(opened.signatures) == 1


def test_text_may_contain_empty_lines() -> None:
    text = "first\n\nsecond\n"
    assert open_note(sign_note(text, ALICE), [ALICE.verifier()]).text == text


@pytest.mark.parametrize("text", ["no newline", "tab\there\n", "cr\r\n", ""])
def test_sign_note_rejects_bad_text(text: str) -> None:
    with pytest.raises(MalformedNoteError):
        sign_note(text, ALICE)


def test_too_many_signatures() -> None:
    lines = "".join(
        Signer.from_seed(f"k{i}", bytes([i]) * 32).sign("t\n").line() for i in range(101)
    )
    with pytest.raises(MalformedNoteError):
        split_note("t\n\n" + lines)


def test_invalid_utf8_is_malformed() -> None:
    with pytest.raises(MalformedNoteError):
        open_note(b"\xff\n\n" + ALICE.sign("x\n").line().encode(), [ALICE.verifier()])


@pytest.mark.parametrize(
    "vkey",
    [
        "",
        "example.com/foo",
        "example.com/foo+530d903a",
        "example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",  # wrong ID
        "example.com/foo+530D903A+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",  # upper hex
        "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2",  # bad base64
        "example.com/foo+530d903a+AgkyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",  # type 0x02
        "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2kAA==",  # long
        "exa mple+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
        "+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
    ],
)
def test_bad_verifier_keys(vkey: str) -> None:
    with pytest.raises(MalformedNoteError):
        Verifier.from_key_string(vkey)


def test_cosignature_vkey_form() -> None:
    verifier = Verifier(ALICE.name, SIG_COSIGNATURE_V1, ALICE.public_key)
    assert verifier.key_id != ALICE.key_id  # the type byte is part of the key ID
    parsed = Verifier.from_key_string(verifier.key_string())
    assert parsed.sig_type == SIG_COSIGNATURE_V1 and parsed.key_id == verifier.key_id
    assert verifier.key_string().split("+")[2].startswith("B")  # base64 of 0x04...


def test_add_signatures() -> None:
    note = sign_note("hello\n", ALICE)
    line = BOB.sign("hello\n").line()
    both = add_signatures(note, [line, line, BOB.sign("hello\n")])
    assert both == note + line
    assert len(open_note(both, [ALICE.verifier(), BOB.verifier()]).signatures) == 2
    with pytest.raises(MalformedNoteError):
        add_signatures(note, ["- not a signature"])


@pytest.mark.parametrize("bad", [b"\x00" * 31, b"\x00" * 33])
def test_seed_must_be_32_bytes(bad: bytes) -> None:
    with pytest.raises(MalformedNoteError):
        Signer.from_seed("x", bad)


@pytest.mark.parametrize(
    "skey",
    [
        "PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AoEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "PUBLIC+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
    ],
)
def test_bad_private_key_strings(skey: str) -> None:
    with pytest.raises(MalformedNoteError):
        Signer.from_private_key_string(skey)
