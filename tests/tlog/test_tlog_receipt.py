"""Receipts: c2sp.org/tlog-proof@v1 files a donor verifies offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.crypto.cosignature import CosignatureSigner
from ledger.crypto.errors import InsufficientCosignaturesError, InvalidProofError, VerificationError
from ledger.crypto.merkle import leaf_hash
from ledger.crypto.note import Signer, Verifier
from ledger.crypto.proof_file import format_proof, parse_proof
from ledger.domain.errors import NotFound
from ledger.tlog.cosignatures import store_cosignature
from ledger.tlog.receipt import check_receipt, make_receipt
from tests.committee import Committee
from tests.tlog.conftest import Built


def test_receipt_carries_the_entry_and_verifies(demo_log: Built) -> None:
    text = make_receipt(demo_log.app, demo_log.community, 42)
    assert text.startswith("c2sp.org/tlog-proof@v1\nextra ")
    assert parse_proof(text).extra == demo_log.entries[42]
    key = Verifier.from_key_string(demo_log.vkey)
    checked = check_receipt(text, key)
    assert (checked.index, checked.checkpoint.size, checked.entry) == (42, 399, demo_log.entries[42])
    statement = checked.statement()
    assert statement is not None and statement["community"] == "xingfuli"
    assert check_receipt(text, key, entry=demo_log.entries[42]).index == 42
    assert check_receipt(text, key, leaf=leaf_hash(demo_log.entries[42])).entry is None


def test_receipt_for_another_entry_or_key_fails(demo_log: Built) -> None:
    text = make_receipt(demo_log.app, demo_log.community, 42)
    key = Verifier.from_key_string(demo_log.vkey)
    with pytest.raises(InvalidProofError):
        check_receipt(text, key, entry=demo_log.entries[43])
    parsed = parse_proof(text)
    swapped = format_proof(parsed.index, list(parsed.proof), parsed.signed_checkpoint, demo_log.entries[41])
    with pytest.raises(InvalidProofError):
        check_receipt(swapped, key)
    other = Signer.from_seed(demo_log.signer.name, b"\x09" * 32).verifier()
    with pytest.raises(VerificationError):
        check_receipt(text, other)


def test_receipt_index_out_of_range(demo_log: Built) -> None:
    with pytest.raises(NotFound):
        make_receipt(demo_log.app, demo_log.community, 399)


def test_receipt_with_witness_quorum(committee: Committee, tmp_path: Path) -> None:
    app, cid = committee.app, committee.community
    witness = CosignatureSigner.from_seed("w.example", b"\x05" * 32)
    key = Verifier.from_key_string(app.community(cid).verifier_key)
    text = make_receipt(app, cid, 2)
    with pytest.raises(InsufficientCosignaturesError):
        check_receipt(text, key, witnesses=(witness.verifier(),), quorum=1)
    checkpoint_text = app.checkpoint(cid).split("\n\n")[0] + "\n"
    store_cosignature(app, cid, 6, witness.name, witness.cosign(checkpoint_text, 1_700_000_000))
    cosigned = make_receipt(app, cid, 2)
    assert check_receipt(cosigned, key, witnesses=(witness.verifier(),), quorum=1).index == 2
