"""c2sp.org/tlog-proof@v1 files: the spec's example layout, round trip, verification."""

from __future__ import annotations

import base64

import pytest
from reference_tree import ReferenceTree

from ledger.crypto.checkpoint import Checkpoint
from ledger.crypto.cosignature import CosignatureSigner
from ledger.crypto.errors import MalformedError
from ledger.crypto.merkle import inclusion_proof
from ledger.crypto.note import Signer, add_signatures, sign_note
from ledger.crypto.proof_file import ProofFile, format_proof, parse_proof, verify_proof_file

# The example from c2sp.org/tlog-proof (signatures elided there with "[...]", so only the
# framing is parsed: the checkpoint part is kept verbatim, not verified).
SPEC_EXAMPLE = """\
c2sp.org/tlog-proof@v1
extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ
index 73894
gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=
B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=
EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=
RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=
AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=

example.com/fancylog
109482
sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=

— example.com/fancylog hI2DJw[...]1roloI=
"""

LOG = Signer.from_seed("sunlight.example/log", bytes([9]) * 32)
WITNESS = CosignatureSigner.from_seed("witness.example/w", bytes([8]) * 32)
TREE = ReferenceTree([b"entry %d" % i for i in range(21)])


def signed_checkpoint() -> str:
    text = Checkpoint(LOG.name, 21, TREE.mth()).text()
    return add_signatures(sign_note(text, LOG), [WITNESS.cosign(text, 1_700_000_000)])


def test_spec_example_framing() -> None:
    parsed = parse_proof(SPEC_EXAMPLE)
    assert parsed.extra is not None and parsed.extra.startswith(b"age-v1.2.1-darwin-arm64.tar.gz")
    assert parsed.index == 73894
    assert parsed.proof[0] == base64.b64decode("gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=")
    assert len(parsed.proof) == 5
    assert parsed.signed_checkpoint.startswith("example.com/fancylog\n109482\n")
    assert parsed.text() == SPEC_EXAMPLE


def test_format_and_verify() -> None:
    note = signed_checkpoint()
    proof = inclusion_proof(7, 21, TREE.get_nodes)
    text = format_proof(7, proof, note, extra=b"context")
    assert text.startswith("c2sp.org/tlog-proof@v1\nextra Y29udGV4dA==\nindex 7\n")
    assert text.endswith("\n\n" + note)
    parsed = parse_proof(text)
    assert parsed == ProofFile(7, tuple(proof), note, b"context")
    assert parsed.text() == text
    checkpoint = verify_proof_file(
        text,
        TREE.leaves[7],
        [LOG.verifier()],
        origin=LOG.name,
        witnesses=[WITNESS.verifier()],
        quorum=1,
    )
    assert checkpoint.size == 21


def test_origin_is_checked() -> None:
    text = format_proof(0, inclusion_proof(0, 21, TREE.get_nodes), signed_checkpoint())
    with pytest.raises(MalformedError):
        verify_proof_file(text, TREE.leaves[0], [LOG.verifier()], origin="elsewhere/log")


@pytest.mark.parametrize("data", [b"\xff", b"c2sp.org/tlog-proof@v1\nindex 0\n"])
def test_parse_rejects(data: bytes) -> None:
    with pytest.raises(MalformedError):
        parse_proof(data)


def test_format_rejects_bad_input() -> None:
    with pytest.raises(MalformedError):
        format_proof(0, [b"short"], signed_checkpoint())
    with pytest.raises(MalformedError):
        format_proof(-1, [], signed_checkpoint())
