"""C2SP tlog-checkpoint text: round trip, the spec's example, strict parsing."""

from __future__ import annotations

import base64

import pytest

from ledger.crypto.checkpoint import Checkpoint, open_checkpoint
from ledger.crypto.errors import MalformedError, UnverifiedNoteError, VerificationError
from ledger.crypto.merkle import EMPTY_ROOT
from ledger.crypto.note import Signer, sign_note, split_note

# c2sp.org/tlog-checkpoint example (the signature's key is not published; only the text is used).
SPEC_CHECKPOINT = (
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    "\n"
    "— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhc"
    "yv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
)
LOG = Signer.from_seed("sunlight.example/log", bytes(32))
ROOT = bytes(range(32))


def test_spec_example_text_parses_and_reformats() -> None:
    text, sigs = split_note(SPEC_CHECKPOINT)
    checkpoint = Checkpoint.parse(text)
    assert checkpoint.origin == "example.com/behind-the-sofa"
    assert checkpoint.size == 20852163
    assert checkpoint.root_hash == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert checkpoint.text() == text
    assert sigs[0].name == "example.com/behind-the-sofa" and len(sigs[0].signature) == 64


def test_text_format() -> None:
    checkpoint = Checkpoint("sunlight.example/log", 0, EMPTY_ROOT, ("ext one",))
    assert checkpoint.text() == (
        "sunlight.example/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\next one\n"
    )
    assert Checkpoint.parse(checkpoint.text()) == checkpoint


@pytest.mark.parametrize(
    "text",
    [
        "",
        "origin\n1\n",
        "origin\n1\nAAAA\n",  # root not 32 bytes
        "origin\n01\n" + base64.b64encode(ROOT).decode() + "\n",  # leading zero
        "origin\n+1\n" + base64.b64encode(ROOT).decode() + "\n",
        "origin\n-1\n" + base64.b64encode(ROOT).decode() + "\n",
        "origin\n1 \n" + base64.b64encode(ROOT).decode() + "\n",
        "origin\n18446744073709551616\n" + base64.b64encode(ROOT).decode() + "\n",
        "\n1\n" + base64.b64encode(ROOT).decode() + "\n",  # empty origin
        "origin\n1\n" + base64.b64encode(ROOT).decode(),  # no final newline
        "origin\n1\n" + base64.b64encode(ROOT).decode() + "\n\n",  # empty extension line
        "origin\n1\n" + base64.b64encode(ROOT).decode().rstrip("=") + "\n",  # unpadded
        "origin\n1\n" + base64.b64encode(ROOT).decode()[:-2] + "F=\n",  # non-canonical bits
        "origin\n١\n" + base64.b64encode(ROOT).decode() + "\n",  # non-ASCII digit
    ],
)
def test_parse_rejects(text: str) -> None:
    with pytest.raises(MalformedError):
        Checkpoint.parse(text)


@pytest.mark.parametrize(
    ("origin", "size", "root"), [("", 1, ROOT), ("a\nb", 1, ROOT), ("o", -1, ROOT), ("o", 1, b"")]
)
def test_constructor_rejects(origin: str, size: int, root: bytes) -> None:
    with pytest.raises(MalformedError):
        Checkpoint(origin, size, root)


def test_open_checkpoint() -> None:
    checkpoint = Checkpoint(LOG.name, 5, ROOT)
    note = sign_note(checkpoint.text(), LOG)
    opened, _ = open_checkpoint(note, [LOG.verifier()], origin=LOG.name)
    assert opened == checkpoint
    with pytest.raises(MalformedError):
        open_checkpoint(note, [LOG.verifier()], origin="other.example/log")
    other = Signer.from_seed("witness.example", bytes([7]) * 32)
    foreign = sign_note(checkpoint.text(), other)
    with pytest.raises(UnverifiedNoteError):
        open_checkpoint(foreign, [other.verifier()], origin=LOG.name)
    with pytest.raises(VerificationError):
        open_checkpoint(sign_note("not a checkpoint\n", LOG), [LOG.verifier()])
