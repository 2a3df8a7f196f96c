"""The verifier refuses a log whose writer skipped the rules one person could walk around (budget
rewrites, business dates, the same invoice twice, backdating around a term): the entries below are
correctly signed by members of the community and appended bypassing the ledger's checks, the tiles
rebuilt and the checkpoint re-signed with the log's own key. Each failure is located at its entry."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ledger.audit.source import DirectorySource
from ledger.audit.verify import Policy, verify_log
from ledger.crypto.note import Verifier
from ledger.signing import Statement, encode_entry
from tests.tlog.conftest import Built
from tests.tlog.logbuild import forged, problems, write_log

N = 292  # the audited log's size: the first appended entry's index


def appended(built: Built, tmp_path: Path, *records: tuple[str | list[str], str, dict[str, Any]]
             ) -> list[tuple[int | None, str]]:
    """Appends ``(who, kind, body)`` records, each signed by that member and accepted a minute
    after the entry before it; returns what the verifier finds."""
    assert built.committee is not None
    entries = list(built.entries)
    for who, kind, body in records:
        keys = built.committee.keys
        signers = keys[who] if isinstance(who, str) else [keys[w] for w in who]
        entries.append(forged(entries[-1], signers, built.community, kind, body))
    return verify(built, tmp_path, entries)


def verify(built: Built, tmp_path: Path, entries: list[bytes]) -> list[tuple[int | None, str]]:
    write_log(tmp_path, entries, built.signer)
    report = verify_log(DirectorySource(tmp_path), Policy(Verifier.from_key_string(built.vkey)))
    return problems(report)


def donation(donation_id: str, received_on: str) -> tuple[str, str, dict[str, Any]]:
    return ("treasurer", "fund.donation_recorded", {
        "fund_id": "f1", "donation_id": donation_id, "amount_fen": 100, "channel": "cash",
        "receipt_no": f"R-{donation_id}", "received_on": received_on, "donor_commitment": "cd" * 32})


def budget(amount: int) -> tuple[str | list[str], str, dict[str, Any]]:
    return ("treasurer", "fee.budget_set", {
        "estate_id": "e1", "year": 2025, "lines": [{"category": "repairs", "amount_fen": amount}]})


def spend(spend_id: str, amount: int, invoice: str) -> tuple[str, str, dict[str, Any]]:
    return ("treasurer", "fee.spend_recorded", {
        "estate_id": "e1", "spend_id": spend_id, "category": "repairs", "vendor": "维修部",
        "amount_fen": amount, "invoice_sha256": hashlib.sha256(invoice.encode()).hexdigest(),
        "spent_on": "2025-03-01", "description": "维修"})


def test_a_date_after_the_statement(audited: Built, tmp_path: Path) -> None:
    assert appended(audited, tmp_path, donation("X1", "2099-01-01")) == [(N, "date-in-future")]


def test_an_absurdly_early_date(audited: Built, tmp_path: Path) -> None:
    assert appended(audited, tmp_path, donation("X1", "1970-01-01")) == [(N, "date-too-early")]


def test_a_donation_before_its_fund_was_opened(audited: Built, tmp_path: Path) -> None:
    assert appended(audited, tmp_path, donation("X1", "2025-02-28"), donation("X2", "2025-03-01")
                    ) == [(N, "date-before-parent")]


def test_a_budget_rewritten_without_a_decision(audited: Built, tmp_path: Path) -> None:
    _, kind, body = budget(1_000_000)
    found = appended(audited, tmp_path, budget(10_000), spend("S1", 6_000, "inv1"),
                     budget(1_000_000), (["treasurer", "chair", "supervisor"], kind, body),
                     spend("S2", 9_000, "inv2"))
    # the rewrite is refused (by the 出纳 alone: not co-signed; by three: no decision), so the
    # spend it was for is over the budget that stands
    assert found == [(N + 2, "needs-cosign"), (N + 3, "budget-revision-needs-decision"),
                     (N + 4, "over-budget-needs-decision")]


def test_the_same_invoice_twice(audited: Built, tmp_path: Path) -> None:
    found = appended(audited, tmp_path, budget(10_000), spend("S1", 1_000, "inv"),
                     spend("S2", 1_000, "inv"))
    assert found == [(N + 2, "invoice-reused")]


def test_a_statement_accepted_after_its_signers_term_ended(audited: Built, tmp_path: Path) -> None:
    assert audited.committee is not None
    end_term = forged(audited.entries[-1], audited.committee.keys["chair"], audited.community,
                      "member.term_set", {"member_id": "treasurer", "term_start": "2024-01-01",
                                          "term_end": "2025-03-01"})
    # signed at 23:00 on the term's last day (Asia/Shanghai), accepted at 01:00 the next day
    at = datetime(2025, 3, 1, 15, 0, tzinfo=UTC)
    accepted_at = datetime(2025, 3, 1, 17, 0, tzinfo=UTC)
    _, kind, body = donation("X1", "2025-03-01")
    signed = audited.committee.keys["treasurer"].sign(Statement(audited.community, kind, at, body))
    late = encode_entry(signed.statement, signed.signature, signed.key_id, accepted_at)
    assert verify(audited, tmp_path, [*audited.entries, end_term, late]) == [(N + 1, "term-over")]
