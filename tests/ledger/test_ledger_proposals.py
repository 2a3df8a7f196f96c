"""Proposals waiting for a second signature, through the real signed path: kept out of the log
until the last required signature, appended once (also when two final co-signatures race, on
SQLite and PostgreSQL), checked against every rule when proposed and when appended, private data
erased on expiry, and a log with a proposal appended days after it was signed verifies."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from ledger.application import Receipt, Sunlight
from ledger.audit.source import DirectorySource
from ledger.audit.verify import Policy, verify_log
from ledger.crypto.note import Verifier
from ledger.domain.errors import Conflict, DomainError, NotAuthorised, NotFound, RuleViolation
from ledger.proposals import Proposal, Proposals
from ledger.signing import MemberKey, PrivateRecord, Statement, Submission
from ledger.tlog.export import export_tiles
from tests.committee import Committee
from tests.ledger.test_ledger_oversight import ANSWER, RAISE, answer, objection
from tests.ledger.test_ledger_policy import grant_ready


def proposed(c: Committee, who: str | list[str], kind: str, body: dict[str, Any],
             private: tuple[PrivateRecord, ...] = ()) -> Proposal:
    result = Proposals(c.app).propose(c.cosign([who] if isinstance(who, str) else who, kind, body,
                                               private))
    assert isinstance(result, Proposal), result
    return result


def cosign(c: Committee, proposal: Proposal, who: str) -> Receipt | Proposal:
    key = c.keys[who]
    signature = key.private.sign(proposal.row.statement)
    return Proposals(c.app).cosign(c.community, proposal.proposal_id, key.key_id, signature)


def test_a_grant_signed_by_the_treasurer_waits_for_the_chair(committee: Committee) -> None:
    c = committee
    grant = grant_ready(c)
    size = c.app.size(c.community)
    p = proposed(c, "treasurer", "fund.grant_made", grant)
    assert p.status == "pending" and c.app.size(c.community) == size  # not in the log
    assert p.missing == ("拨付资助须出纳和主任共同签署：还须主任签名",)
    assert len(p.proposal_id) == 22
    assert (p.row.expires_at - p.row.created_at).days == 14
    # the same signature again counts once
    again = cosign(c, p, "treasurer")
    assert isinstance(again, Proposal) and len(again.row.signatures) == 1
    receipt = cosign(c, p, "chair")
    assert isinstance(receipt, Receipt) and not receipt.duplicate
    assert c.app.size(c.community) == size + 1
    done = Proposals(c.app).get(c.community, p.proposal_id)
    assert done.status == "appended" and done.row.log_index == receipt.index
    # a late co-signature changes nothing
    late = cosign(c, p, "supervisor")
    assert isinstance(late, Proposal) and late.status == "appended"
    assert c.app.size(c.community) == size + 1



def test_proposing_keeps_the_writers_state(committee: Committee) -> None:
    """The check of a proposal folds its statement into a copy: the writers' cached state is
    neither changed nor dropped (the next write does not fold the log again)."""
    c = committee
    grant = grant_ready(c)
    with c.app._current(c.community) as before:
        size = before.domain.size
    p = proposed(c, "treasurer", "fund.grant_made", grant)
    assert p.status == "pending"
    with c.app._current(c.community) as after:
        assert after is before and after.domain.size == size
        assert grant["grant_id"] not in after.domain.funds[grant["fund_id"]].grants
    assert isinstance(cosign(c, p, "chair"), Receipt)
    with c.app._current(c.community) as written:
        assert written is before and written.domain.size == size + 1

def test_signatures_that_suffice_are_simply_appended(committee: Committee) -> None:
    c = committee
    grant = grant_ready(c)
    result = Proposals(c.app).propose(c.cosign(["treasurer", "chair"], "fund.grant_made", grant))
    assert isinstance(result, Receipt)
    assert Proposals(c.app).listing(c.community) == []


def test_a_co_signer_must_fill_an_empty_seat_be_in_office_and_sign_the_same_bytes(
        committee: Committee) -> None:
    c = committee
    p = proposed(c, "treasurer", "fund.grant_made", grant_ready(c))
    with pytest.raises(NotAuthorised) as err:
        cosign(c, p, "supervisor")  # a 监督 is no 主任
    assert err.value.code == "cosigner-not-needed" and "还须主任签名" in err.value.message
    stranger = MemberKey.generate()
    with pytest.raises(NotAuthorised) as err:
        Proposals(c.app).cosign(c.community, p.proposal_id, stranger.key_id,
                                stranger.private.sign(p.row.statement))
    assert err.value.code == "unknown-key"
    other = p.row.statement.replace(b'"amount_fen":1000', b'"amount_fen":9000')
    with pytest.raises(NotAuthorised) as err:
        Proposals(c.app).cosign(c.community, p.proposal_id, c.keys["chair"].key_id,
                                c.keys["chair"].private.sign(other))
    assert err.value.code == "signature-invalid"
    c.record("chair", "member.term_set", {"member_id": "chair", "term_start": "2024-01-01",
                                          "term_end": "2025-03-01"})
    c.clock.advance(days=1)
    with pytest.raises(NotAuthorised) as err:
        cosign(c, p, "chair")
    assert err.value.code == "term-over" and "任期" in err.value.message
    with pytest.raises(NotFound):
        Proposals(c.app).cosign(c.community, "x" * 22, c.keys["chair"].key_id, b"\0" * 64)


def test_a_proposal_is_checked_against_every_rule_when_proposed_and_when_appended(
        committee: Committee) -> None:
    c = committee
    grant = grant_ready(c)  # the fund holds 100 元
    with pytest.raises(DomainError) as err:
        proposed(c, "treasurer", "fund.grant_made", grant | {"amount_fen": 20_000})
    assert err.value.code != "needs-cosign"
    first = proposed(c, "treasurer", "fund.grant_made", grant | {"amount_fen": 8_000})
    second = proposed(c, "treasurer", "fund.grant_made", grant | {"grant_id": "g2",
                                                                  "amount_fen": 8_000})
    assert isinstance(cosign(c, first, "chair"), Receipt)
    size = c.app.size(c.community)
    with pytest.raises(RuleViolation):  # the balance no longer covers it
        cosign(c, second, "chair")
    assert c.app.size(c.community) == size
    assert Proposals(c.app).get(c.community, second.proposal_id).status == "pending"


def donation_policy(c: Committee) -> None:
    from ledger.domain.kinds import DEFAULT_POLICY

    rules = [r.model_dump(mode="json", exclude_none=True) for r in DEFAULT_POLICY]
    rules.append({"kind": "fund.donation_recorded", "seats": [["treasurer"], ["chair"]]})
    c.record(["chair", "supervisor"], "community.policy_set", {"rules": rules,
                                                               "proposal_days": 10})


def test_an_expired_proposal_loses_its_private_data_and_takes_no_signature(db_url: str) -> None:
    c = Committee.found(db_url)
    c.fund()
    donation_policy(c)
    donor = PrivateRecord.commit({"name": "李四", "phone": "13900139000"})
    p = proposed(c, "treasurer", "fund.donation_recorded", {
        "fund_id": "f1", "donation_id": "d9", "amount_fen": 500, "restriction": "general",
        "channel": "cash", "receipt_no": "R-9", "received_on": "2025-03-01",
        "donor_commitment": donor.commitment}, (donor,))
    assert (p.row.expires_at - p.row.created_at).days == 10  # the policy's proposal_days
    assert Proposals(c.app).get(c.community, p.proposal_id).row.private == (donor,)
    c.clock.advance(days=10, seconds=1)
    assert Proposals(c.app).expire() == 1
    expired = Proposals(c.app).get(c.community, p.proposal_id)
    assert expired.status == "expired" and expired.row.private is None
    with pytest.raises(Conflict) as err:
        cosign(c, p, "chair")
    assert err.value.code == "proposal-expired" and "过期" in err.value.message
    # the erased salt is never accepted again, and no file of the database holds the name
    assert c.app.store.salts_seen([__import__("hashlib").sha256(donor.salt).digest()])
    if db_url.startswith("sqlite"):  # (PostgreSQL: VACUUM FULL rewrote the table's files)
        db = Path(c.app.db_url.removeprefix("sqlite:///"))
        for path in db.parent.glob(db.name + "*"):
            assert "李四".encode() not in path.read_bytes(), path


def test_a_proposal_co_signed_days_later_is_appended_and_the_log_verifies(
        committee: Committee, tmp_path: Path) -> None:
    c = committee
    p = proposed(c, "treasurer", "fund.grant_made", grant_ready(c))
    c.clock.advance(days=5)
    assert isinstance(cosign(c, p, "chair"), Receipt)
    export_tiles(c.app, c.community, tmp_path / "log")
    verifier = Verifier.from_key_string(c.app.community(c.community).verifier_key)
    report = verify_log(DirectorySource(tmp_path / "log"), Policy(verifier))  # type: ignore[arg-type]
    assert report.verified, report.to_json() if hasattr(report, "to_json") else report
    # a single signature stays within a day
    c.clock.advance(days=1)
    late = c.sign("treasurer", "fund.opened", {"fund_id": "f2", "name": "基金", "purpose": "小项目",
                                               "opened_on": "2025-03-02"},
                  at=c.clock() - __import__("datetime").timedelta(days=2))
    with pytest.raises(DomainError) as err:
        c.app.submit(late)
    assert err.value.code == "stale-statement"


@pytest.mark.slow
def test_two_final_co_signatures_at_once_append_once(db_url: str) -> None:
    c = Committee.found(db_url)
    budget = {"estate_id": "e1", "year": 2025, "lines": [{"category": "elevators",
                                                          "amount_fen": 10_000_000}]}
    c.record("treasurer", "fee.budget_set", budget)
    from tests.ledger.test_ledger_rules import spend

    p = proposed(c, "treasurer", "fee.spend_recorded", spend("s1", 600_000))
    size = c.app.size(c.community)
    apps = [Sunlight(db_url, clock=c.clock) for _ in range(2)]  # two processes, as it were
    barrier = threading.Barrier(2)
    results: list[object] = [None, None]

    def final(n: int, who: str) -> None:
        key = c.keys[who]
        signature = key.private.sign(p.row.statement)
        proposals = Proposals(apps[n])
        proposals.listing(c.community)  # warm: both are ready before the race
        barrier.wait()
        try:
            results[n] = proposals.cosign(c.community, p.proposal_id, key.key_id, signature)
        except DomainError as exc:
            results[n] = exc

    threads = [threading.Thread(target=final, args=(0, "chair")),
               threading.Thread(target=final, args=(1, "supervisor"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for app in apps:
        app.close()
    assert sum(isinstance(r, Receipt) for r in results) >= 1, results
    assert not any(isinstance(r, DomainError) for r in results), results
    assert c.app.size(c.community) == size + 1
    final_state = Proposals(c.app).get(c.community, p.proposal_id)
    assert final_state.status == "appended" and final_state.row.log_index == size


def test_submission_signatures_join_a_pending_proposal_of_the_same_statement(
        committee: Committee) -> None:
    c = committee
    grant = grant_ready(c)
    first = c.sign("treasurer", "fund.grant_made", grant)
    p = Proposals(c.app).propose(first)
    assert isinstance(p, Proposal)
    chair_only = Submission(first.statement, c.keys["chair"].private.sign(first.statement),
                            c.keys["chair"].key_id)
    assert isinstance(Proposals(c.app).propose(chair_only), Receipt)


def test_a_co_signed_statement_may_be_as_old_as_proposal_days_and_no_older(
        committee: Committee) -> None:
    from datetime import timedelta

    c = committee
    grant = grant_ready(c)
    c.clock.advance(days=20)
    too_old = c.cosign(["treasurer", "chair"], "fund.grant_made", grant,
                       at=c.clock() - timedelta(days=14, minutes=1))
    with pytest.raises(DomainError) as err:
        c.app.submit(too_old)
    assert err.value.code == "stale-statement"
    waited = c.cosign(["treasurer", "chair"], "fund.grant_made", grant,
                      at=c.clock() - timedelta(days=13, hours=23))
    assert not c.app.submit(waited).duplicate


def test_an_objection_to_a_proposal_holds_it_until_answered_then_the_answer_releases_it(
        committee: Committee) -> None:
    """An unanswered objection holds a fully signed proposal out of the log; the chair's answer,
    recorded through the same path the service and the CLI use, releases it at once."""
    c = committee
    p = proposed(c, "treasurer", "fund.grant_made", grant_ready(c))
    c.record("supervisor", RAISE, objection("O1", proposal_id=p.proposal_id))
    size = c.app.size(c.community)
    held = cosign(c, p, "chair")
    assert isinstance(held, Proposal) and held.status == "pending"
    assert held.missing == () and len(held.row.signatures) == 2
    assert held.held is not None and "异议" in held.held
    assert c.app.size(c.community) == size  # not in the log while the objection is open
    assert isinstance(Proposals(c.app).release(c.community, p.proposal_id), Proposal)

    def answered(oid: str) -> Statement:
        submission = c.cosign(["chair"], ANSWER, answer(oid))
        assert not c.app.submit(submission).duplicate
        return Statement.from_bytes(submission.statement)

    # an answer to another objection releases nothing
    c.record("supervisor", RAISE, objection("O2", log_index=0))
    assert Proposals(c.app).after_append(c.community, answered("O2")) is None
    assert c.app.size(c.community) == size + 2
    released = Proposals(c.app).after_append(c.community, answered("O1"))
    assert isinstance(released, Receipt) and released.index == size + 3
    assert Proposals(c.app).get(c.community, p.proposal_id).status == "appended"

