"""tlog-witness add-checkpoint: request format and every status code of the decision."""

from __future__ import annotations

import base64

import pytest
from reference_tree import ReferenceTree

from ledger.crypto.checkpoint import Checkpoint
from ledger.crypto.cosignature import CosignatureSigner
from ledger.crypto.errors import MalformedError
from ledger.crypto.merkle import EMPTY_ROOT, consistency_proof
from ledger.crypto.note import Signer, open_note, sign_note
from ledger.crypto.witness_protocol import (
    AddCheckpointRequest,
    Cosigned,
    Rejected,
    WitnessState,
    format_add_checkpoint_request,
    parse_add_checkpoint_request,
)

# c2sp.org/tlog-witness example request body (its signatures cannot be verified: no keys).
SPEC_BODY = """\
old 20852014
PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=
jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=
5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=
/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=

example.com/behind-the-sofa
20852163
CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=

— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=
— example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=
"""  # noqa: E501

LOG = Signer.from_seed("sunlight.example/log", bytes([5]) * 32)
STRANGER = Signer.from_seed("sunlight.example/log", bytes([6]) * 32)
WITNESS = CosignatureSigner.from_seed("witness.example/w", bytes([4]) * 32)
STATE = WitnessState(WITNESS, {LOG.name: [LOG.verifier()]})
TREE = ReferenceTree([b"e%d" % i for i in range(40)])
NOW = 1_700_000_000


def checkpoint(size: int, root: bytes | None = None) -> Checkpoint:
    return Checkpoint(LOG.name, size, TREE.mth(0, size) if root is None else root)


def request(
    old: int, new: Checkpoint, proof: list[bytes] | None = None, signer: Signer = LOG
) -> AddCheckpointRequest:
    if proof is None:
        proof = consistency_proof(old, new.size, TREE.get_nodes) if old else []
    body = format_add_checkpoint_request(old, proof, sign_note(new.text(), signer))
    return parse_add_checkpoint_request(body)


def test_spec_example_body_round_trips() -> None:
    parsed = parse_add_checkpoint_request(SPEC_BODY.encode())
    assert parsed.old_size == 20852014
    assert len(parsed.proof) == 4
    assert parsed.origin == "example.com/behind-the-sofa"
    assert parsed.checkpoint.size == 20852163
    assert parsed.body() == SPEC_BODY


@pytest.mark.parametrize(
    "body",
    [
        "",
        "old 1\n",
        "old 01\n\n" + "o\n1\n" + "A" * 43 + "=\n\n— k AAAAAAA=\n",
        "new 1\n\nx\n",
        "old 1\nnot base64\n\n" + SPEC_BODY.split("\n\n", 1)[1],
        "old 1\nAAAA\n\n" + SPEC_BODY.split("\n\n", 1)[1],  # 3-byte hash
        "old 1\n" + "A" * 43 + "=\n" * 64 + "\n" + SPEC_BODY.split("\n\n", 1)[1],
        "old 1\n\nnot a checkpoint\n\n— k AAAAAAA=\n",
        "old 1\n\n" + SPEC_BODY.split("\n\n", 1)[1] + "garbage",
    ],
)
def test_malformed_bodies(body: str) -> None:
    with pytest.raises(MalformedError):
        parse_add_checkpoint_request(body)


def test_first_checkpoint_is_cosigned() -> None:
    new = checkpoint(10)
    result = STATE.add_checkpoint(None, request(0, new), NOW)
    assert isinstance(result, Cosigned) and result.status == 200
    assert result.checkpoint == new
    assert result.body.startswith("— witness.example/w ") and result.body.endswith("\n")
    opened = open_note(result.signed_checkpoint, [LOG.verifier(), WITNESS.verifier()])
    assert len(opened.signatures) == 2


def test_consistent_update_is_cosigned() -> None:
    result = STATE.add_checkpoint(checkpoint(10), request(10, checkpoint(33)), NOW)
    assert isinstance(result, Cosigned) and result.checkpoint.size == 33


def test_same_checkpoint_again_is_cosigned() -> None:
    result = STATE.add_checkpoint(checkpoint(10), request(10, checkpoint(10)), NOW)
    assert isinstance(result, Cosigned)


def rejected(result: Cosigned | Rejected) -> Rejected:
    assert isinstance(result, Rejected), result
    return result


def test_unknown_origin_is_404() -> None:
    other = Signer.from_seed("other.example/log", bytes([1]) * 32)
    new = Checkpoint(other.name, 1, TREE.mth(0, 1))
    req = parse_add_checkpoint_request(
        format_add_checkpoint_request(0, [], sign_note(new.text(), other))
    )
    assert rejected(STATE.add_checkpoint(None, req, NOW)).status == 404


def test_untrusted_key_is_403() -> None:
    assert (
        rejected(STATE.add_checkpoint(None, request(0, checkpoint(3), signer=STRANGER), NOW)).status
        == 403
    )


def test_bad_signature_by_trusted_key_is_403() -> None:
    good = sign_note(checkpoint(3).text(), LOG)
    forged = good.replace("\n3\n", "\n4\n", 1).replace(
        base64.b64encode(TREE.mth(0, 3)).decode(), base64.b64encode(TREE.mth(0, 4)).decode()
    )
    req = parse_add_checkpoint_request(format_add_checkpoint_request(0, [], forged))
    assert rejected(STATE.add_checkpoint(None, req, NOW)).status == 403


def test_old_size_above_checkpoint_size_is_400() -> None:
    req = request(20, checkpoint(10), proof=[])
    assert rejected(STATE.add_checkpoint(checkpoint(20), req, NOW)).status == 400


def test_old_size_mismatch_is_409_with_the_known_size() -> None:
    result = rejected(STATE.add_checkpoint(checkpoint(12), request(10, checkpoint(33)), NOW))
    assert (result.status, result.body, result.content_type) == (409, "12\n", "text/x.tlog.size")
    first = rejected(STATE.add_checkpoint(None, request(10, checkpoint(33)), NOW))
    assert (first.status, first.body) == (409, "0\n")


def test_empty_checkpoint_must_have_the_empty_root() -> None:
    assert isinstance(
        STATE.add_checkpoint(None, request(0, checkpoint(0, EMPTY_ROOT)), NOW), Cosigned
    )
    result = STATE.add_checkpoint(None, request(0, checkpoint(0, TREE.mth(0, 1))), NOW)
    assert rejected(result).status == 422


def test_proof_from_zero_must_be_empty() -> None:
    req = request(0, checkpoint(5), proof=[TREE.mth(0, 1)])
    assert rejected(STATE.add_checkpoint(None, req, NOW)).status == 422


def test_bad_consistency_proof_is_422() -> None:
    proof = consistency_proof(10, 33, TREE.get_nodes)
    proof[0] = bytes(32)
    assert (
        rejected(
            STATE.add_checkpoint(checkpoint(10), request(10, checkpoint(33), proof), NOW)
        ).status
        == 422
    )


def test_fork_is_422() -> None:
    forked = checkpoint(33, root=bytes(32))
    assert rejected(STATE.add_checkpoint(checkpoint(10), request(10, forked), NOW)).status == 422


def test_same_size_different_root_is_422() -> None:
    result = STATE.add_checkpoint(checkpoint(10), request(10, checkpoint(10, bytes(32))), NOW)
    assert rejected(result).status == 422


def test_stored_checkpoint_of_another_log_is_a_programmer_error() -> None:
    with pytest.raises(ValueError):
        STATE.add_checkpoint(Checkpoint("x/y", 1, bytes(32)), request(0, checkpoint(1)), NOW)
