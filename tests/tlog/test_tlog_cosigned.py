"""Co-signed (version 2) entries end to end: the ledger writes one entry for a statement signed by
several members, the auditor's ``verify_log`` checks every signature of it, and a log mixing
version 1 and 2 entries verifies; a forged co-signature is found at its entry."""

from __future__ import annotations

import base64
from pathlib import Path

import orjson
import pytest

from ledger.audit.source import DirectorySource
from ledger.audit.verify import Policy, verify_log
from ledger.crypto.note import Verifier
from ledger.domain.errors import DomainError
from ledger.signing import Entry
from tests.committee import Committee
from tests.tlog.logbuild import entries_of, log_signer, problems, write_log


def found(tmp_path: Path) -> Committee:
    c = Committee.found(f"sqlite:///{tmp_path / 'cosigned.db'}")
    c.record(["treasurer", "chair"], "fund.opened", {
        "fund_id": "f1", "name": "微基金", "purpose": "资助小项目", "opened_on": "2025-03-01"})
    c.record(["treasurer", "chair", "supervisor"], "fund.opened", {
        "fund_id": "f2", "name": "助学金", "purpose": "助学", "opened_on": "2025-03-01"})
    c.fund("f3")
    return c


def audit(c: Committee, out: Path, entries: list[bytes]) -> tuple[list[tuple[int | None, str]], int]:
    signer = log_signer(c.app, c.community)
    write_log(out, entries, signer)
    report = verify_log(DirectorySource(out), Policy(Verifier.from_key_string(signer.verifier_key())))
    return problems(report), report.signatures_checked


def test_the_ledger_writes_one_version_2_entry_and_the_auditor_checks_every_signature(
        tmp_path: Path) -> None:
    c = found(tmp_path)
    entries = entries_of(c.app, c.community)
    versions = [Entry.decode(e).version for e in entries]
    assert versions[-3:] == [2, 2, 1]
    assert [len(Entry.decode(e).signatures) for e in entries[-3:]] == [2, 3, 1]
    found_problems, signatures = audit(c, tmp_path / "log", entries)
    assert found_problems == []
    assert signatures == sum(len(Entry.decode(e).signatures) for e in entries)
    assert signatures == len(entries) + 1 + 1 + 2  # the 监督's admission too is co-signed


def test_a_forged_co_signature_is_found_at_its_entry(tmp_path: Path) -> None:
    c = found(tmp_path)
    entries = entries_of(c.app, c.community)
    index = len(entries) - 2  # signed by three members
    obj = orjson.loads(entries[index])
    sig = bytearray(base64.b64decode(obj["sigs"][2]["sig"]))
    sig[5] ^= 1
    obj["sigs"][2]["sig"] = base64.b64encode(bytes(sig)).decode()
    entries[index] = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
    assert audit(c, tmp_path / "log", entries)[0] == [(index, "signature-invalid")]


def test_a_co_signer_dropped_from_the_entry_is_found(tmp_path: Path) -> None:
    c = found(tmp_path)
    entries = entries_of(c.app, c.community)
    index = len(entries) - 3
    obj = orjson.loads(entries[index])
    obj["sigs"] = obj["sigs"][:1]
    entries[index] = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
    assert audit(c, tmp_path / "log", entries)[0] == [(index, "entry-malformed")]


def test_the_same_member_cannot_sign_twice_through_the_ledger(tmp_path: Path) -> None:
    c = found(tmp_path)
    submission = c.cosign(["treasurer", "chair"], "fund.opened", {
        "fund_id": "f9", "name": "微基金", "purpose": "资助小项目", "opened_on": "2025-03-01"})
    twice = submission.with_signature(*submission.signatures[0])
    with pytest.raises(DomainError) as refused:
        c.app.submit(twice)
    assert refused.value.code == "duplicate-signature"
