"""Every rule of the domain, through the real signed path: each refusal has its code and a
Chinese message, and a refused statement leaves no trace."""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta
from typing import Any

import pytest

from ledger.domain.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotAuthorised,
    NotFound,
    PrivacyViolation,
    RuleViolation,
    SignatureInvalid,
)
from ledger.signing import MemberKey, PrivateRecord, Statement, Submission
from tests.committee import Committee


def refused(c: Committee, who: str | list[str], kind: str, body: dict[str, Any], error: type[DomainError],
            code: str, private: tuple[PrivateRecord, ...] = ()) -> DomainError:
    size = c.app.size(c.community)
    with pytest.raises(error) as err:
        c.record(who, kind, body, private)
    assert err.value.code == code, err.value
    assert any("\u4e00" <= ch <= "\u9fff" for ch in err.value.message), "message must be Chinese"
    assert c.app.size(c.community) == size, "a refused statement must not be logged"
    return err.value


def disclosure(did: str = "D1", **extra: Any) -> dict[str, Any]:
    return {"disclosure_id": did, "category": "decision", "period": "2025-03", "title": "标题",
            "body": "正文"} | extra


# --- signatures and signers -------------------------------------------------------------------

def test_altered_statement_fails_signature(committee: Committee) -> None:
    sub = committee.sign("member", "disclosure.published", disclosure())
    altered = sub.statement.replace("正文".encode(), "改动".encode())
    with pytest.raises(SignatureInvalid):
        committee.app.submit(Submission(altered, sub.signature, sub.key_id))
    assert committee.app.size(committee.community) == 6


def test_signature_by_a_key_claiming_another_id(committee: Committee) -> None:
    sub = committee.sign("member", "disclosure.published", disclosure())
    other = committee.keys["treasurer"]
    forged = Submission(sub.statement, other.private.sign(sub.statement), sub.key_id)
    with pytest.raises(SignatureInvalid):
        committee.app.submit(forged)


def test_unknown_key(committee: Committee) -> None:
    committee.keys["stranger"] = MemberKey.from_seed(b"\x09" * 32)
    refused(committee, "stranger", "disclosure.published", disclosure(), NotAuthorised, "unknown-key")


def test_role_without_the_right(committee: Committee) -> None:
    refused(committee, "supervisor", "fund.opened",
            {"fund_id": "f", "name": "n", "purpose": "p", "opened_on": "2025-03-01"},
            NotAuthorised, "role-not-permitted")
    refused(committee, "member", "member.revoked", {"member_id": "treasurer", "reason": "x"},
            NotAuthorised, "role-not-permitted")


def test_revoked_key(committee: Committee) -> None:
    committee.record(["chair", "supervisor"], "member.revoked", {"member_id": "member", "reason": "辞职"})
    refused(committee, "member", "disclosure.published", disclosure(), NotAuthorised, "key-revoked")


def test_rotated_key_stops_and_new_key_works(committee: Committee) -> None:
    new = MemberKey.from_seed(b"\x07" * 32)
    committee.record("chair", "member.key_rotated",
                     {"member_id": "member", "public_key": new.public_b64})
    refused(committee, "member", "disclosure.published", disclosure(), NotAuthorised, "key-rotated")
    committee.keys["member"] = new
    committee.record("member", "disclosure.published", disclosure())
    refused(committee, "chair", "member.key_rotated",
            {"member_id": "treasurer", "public_key": new.public_b64}, Conflict, "key-reused")


def test_term_over(committee: Committee) -> None:
    committee.record("chair", "member.term_set",
                     {"member_id": "member", "term_start": "2024-01-01", "term_end": "2025-02-28"})
    refused(committee, "member", "disclosure.published", disclosure(), NotAuthorised, "term-over")
    refused(committee, "chair", "member.term_set",
            {"member_id": "member", "term_start": "2025-01-01", "term_end": "2024-01-01"},
            InvalidInput, "term-invalid")


def test_role_change_changes_rights(committee: Committee) -> None:
    committee.record(["chair", "member"], "member.role_assigned",
                     {"member_id": "supervisor", "role": "treasurer"})
    committee.record("supervisor", "fund.opened",
                     {"fund_id": "f", "name": "n", "purpose": "p", "opened_on": "2025-03-01"})


def test_last_chair_cannot_be_revoked(committee: Committee) -> None:
    refused(committee, ["chair", "supervisor"], "member.revoked", {"member_id": "chair", "reason": "x"},
            Conflict, "last-chair")


def test_founding_rules(committee: Committee) -> None:
    body = {"name": "x", "founder_id": "z", "founder_name": "z",
            "founder_public_key": committee.keys["chair"].public_b64, "term_start": "2024-01-01"}
    refused(committee, "chair", "community.founded", body, Conflict, "community-exists")
    spare = committee.keys["spare"]
    sub = spare.sign(Statement("other", "community.founded", committee.clock(), body))
    with pytest.raises(NotAuthorised):  # signed by a key other than the founder's
        committee.app.found([sub], origin="test.example/other", key_seed=os.urandom(32))
    assert [c.community_id for c in committee.app.communities()] == [committee.community]
    sub = spare.sign(Statement("other", "disclosure.published", committee.clock(), disclosure()))
    with pytest.raises(NotFound):
        committee.app.submit(sub)


def test_statement_time_window(committee: Committee) -> None:
    for delta in (timedelta(hours=25), -timedelta(minutes=6)):
        sub = committee.sign("member", "disclosure.published", disclosure(),
                             at=committee.clock() - delta)
        with pytest.raises(InvalidInput) as err:
            committee.app.submit(sub)
        assert err.value.code == "stale-statement"


def test_statement_for_another_community(committee: Committee) -> None:
    sub = committee.sign("member", "disclosure.published", disclosure())
    st = Statement.from_bytes(sub.statement)
    other = committee.keys["member"].sign(Statement("nowhere", st.kind, st.at, st.body))
    with pytest.raises(NotFound):
        committee.app.submit(other)


# --- idempotency --------------------------------------------------------------------------------

def test_same_signed_statement_twice_is_recorded_once(committee: Committee) -> None:
    sub = committee.sign("member", "disclosure.published", disclosure())
    first = committee.app.submit(sub)
    again = committee.app.submit(sub)
    assert not first.duplicate and again.duplicate
    assert again.index == first.index and again.statement_hash == first.statement_hash
    assert committee.app.size(committee.community) == first.index + 1
    batch = committee.app.submit_batch([sub, committee.sign("member", "disclosure.published",
                                                            disclosure("D2"))])
    assert batch[0].duplicate and batch[0].index == first.index and not batch[1].duplicate


def test_reused_id_with_different_content_is_a_conflict(committee: Committee) -> None:
    committee.record("member", "disclosure.published", disclosure())
    refused(committee, "member", "disclosure.published", disclosure(title="另一个"), Conflict, "id-exists")


# --- disclosure ---------------------------------------------------------------------------------

def test_correction_and_retraction_keep_the_original(committee: Committee) -> None:
    committee.record("member", "disclosure.published", disclosure())
    committee.record("member", "disclosure.corrected", {
        "disclosure_id": "D1", "correction_id": "D1-C1", "body": "更正后的正文", "reason": "笔误"})
    committee.record("member", "disclosure.retracted", {"disclosure_id": "D1", "reason": "作废"})
    d = committee.app.state(committee.community).disclosures["D1"]
    assert d.published.body == "正文" and len(d.corrections) == 1 and d.retracted is not None
    refused(committee, "member", "disclosure.corrected", {
        "disclosure_id": "D1", "correction_id": "D1-C2", "body": "x", "reason": "y"},
        Conflict, "disclosure-retracted")
    refused(committee, "member", "disclosure.corrected", {
        "disclosure_id": "NOPE", "correction_id": "C", "body": "x", "reason": "y"},
        NotFound, "disclosure-not-found")


@pytest.mark.parametrize(("field", "value", "code"), [
    ("category", "gossip", "invalid-input"),
    ("period", "2025-13", "invalid-input"),
    ("title", "", "invalid-input"),
    ("disclosure_id", "有空格 的编号", "invalid-input"),
    ("body", "a\x00b", "hidden-character-in-text"),
    ("extra_field", "x", "invalid-input"),
])
def test_malformed_disclosures(committee: Committee, field: str, value: str, code: str) -> None:
    refused(committee, "member", "disclosure.published", disclosure(**{field: value}), InvalidInput, code)


# --- privacy ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "联系人身份证 110101199003071234",
    "身份证号11010519491231002X请核对",
    "请拨打 13800138000",
    "电话 138-0013-8000",
    "+86 139 1234 5678",
])
def test_public_text_refuses_id_and_mobile_numbers(committee: Committee, text: str) -> None:
    refused(committee, "member", "disclosure.published", disclosure(body=text),
            PrivacyViolation, "personal-data-in-public-text")


def test_ordinary_numbers_are_fine(committee: Committee) -> None:
    committee.record("member", "disclosure.published",
                     disclosure(body="共 38 项，金额 123456 元，发票号 2025030112345，电话 021-64001234"))


def test_donor_display_rules(committee: Committee) -> None:
    committee.fund()
    with pytest.raises(InvalidInput):  # masked name without consent
        committee.donate("d1", 100, display="masked", display_name="张*")
    with pytest.raises(InvalidInput):  # a person's full name
        committee.donate("d1", 100, display="named", display_name="张三")
    with pytest.raises(InvalidInput):  # masked must be a mask
        committee.donate("d1", 100, display="masked", display_name="张三", consent_sha256="0" * 64)
    committee.donate("d1", 100, display="masked", display_name="张*", consent_sha256="0" * 64)
    committee.donate("d2", 100, donor_type="organisation", display="named", display_name="便民超市")
    committee.donate("d3", 100)  # anonymous by default
    donations = committee.app.state(committee.community).funds["f1"].donations
    assert donations["d3"].display == "anonymous" and donations["d3"].display_name is None


def test_private_data_must_match_its_commitment(committee: Committee) -> None:
    committee.fund()
    record = PrivateRecord.commit({"name": "张三"})
    body = {"fund_id": "f1", "donation_id": "d1", "amount_fen": 100, "channel": "cash",
            "receipt_no": "R1", "received_on": "2025-03-01", "donor_commitment": "ab" * 32}
    refused(committee, "treasurer", "fund.donation_recorded", body, InvalidInput,
            "commitment-unused", (record,))
    forged = PrivateRecord(record.commitment, record.salt, {"name": "李四"})
    refused(committee, "treasurer", "fund.donation_recorded",
            body | {"donor_commitment": record.commitment}, InvalidInput, "commitment-mismatch",
            (forged,))


# --- micro-fund ---------------------------------------------------------------------------------

def test_grants_need_a_passed_decision_and_never_exceed_the_pool(committee: Committee) -> None:
    c = committee
    c.clock.advance(days=1)  # the grants are dated the day after the fund's opening
    c.fund()
    c.donate("d1", 10_000)
    c.donate("d2", 5_000, restriction="meals")
    grant = {"fund_id": "f1", "grant_id": "g1", "amount_fen": 8_000, "purpose": "楼道照明",
             "decision_id": "R1", "granted_on": "2025-03-02"}
    refused(c, ["treasurer", "chair"], "fund.grant_made", grant, NotFound, "decision-not-found")
    c.decide("R1", [{"type": "grant", "fund_id": "f1", "cap_fen": 20_000}])
    c.decide("R-no", [], votes=(1, 4, 0), passed=False)
    refused(c, ["treasurer", "chair"], "fund.grant_made", grant | {"decision_id": "R-no"}, RuleViolation,
            "decision-not-passed")
    refused(c, ["treasurer", "chair"], "fund.grant_made", grant | {"amount_fen": 10_001}, RuleViolation,
            "insufficient-balance")
    refused(c, ["treasurer", "chair"], "fund.grant_made", grant | {"restriction": "meals"}, RuleViolation,
            "insufficient-balance")
    c.record(["treasurer", "chair"], "fund.grant_made", grant)
    fund = c.app.state(c.community).funds["f1"]
    assert fund.available() == 2_000 and fund.available("meals") == 5_000 and fund.balance == 7_000
    refused(c, ["treasurer", "chair"], "fund.grant_made", grant | {"grant_id": "g2", "amount_fen": 2_001},
            RuleViolation, "insufficient-balance")


def test_decision_authorisation_cap_and_scope(committee: Committee) -> None:
    c = committee
    c.clock.advance(days=1)
    c.fund()
    c.fund("f2")
    c.donate("d1", 100_000)
    c.donate("d2", 100_000, fund_id="f2")
    c.decide("R1", [{"type": "grant", "fund_id": "f1", "cap_fen": 5_000}])
    base = {"fund_id": "f1", "purpose": "p", "decision_id": "R1", "granted_on": "2025-03-02"}
    c.record(["treasurer", "chair"], "fund.grant_made", base | {"grant_id": "g1", "amount_fen": 3_000})
    refused(c, ["treasurer", "chair"], "fund.grant_made", base | {"grant_id": "g2", "amount_fen": 2_001},
            RuleViolation, "authorisation-exceeded")
    refused(c, ["treasurer", "chair"], "fund.grant_made",
            base | {"fund_id": "f2", "grant_id": "g3", "amount_fen": 10}, RuleViolation,
            "not-authorised-by-decision")


def test_grant_to_a_project_needs_its_design(committee: Committee) -> None:
    c = committee
    c.clock.advance(days=3)
    c.fund()
    c.donate("d1", 100_000)
    c.record("member", "project.discovered", {
        "project_id": "P1", "title": "照明", "description": "楼道灯坏", "source": "走访",
        "discovered_on": "2025-03-01"})
    c.decide("R1", [{"type": "grant", "fund_id": "f1", "project_id": "P1", "cap_fen": 50_000}])
    grant = {"fund_id": "f1", "grant_id": "g1", "amount_fen": 1_000, "project_id": "P1",
             "purpose": "p", "decision_id": "R1", "granted_on": "2025-03-03"}
    refused(c, ["treasurer", "chair"], "fund.grant_made", grant, InvalidInput, "project-not-ready")
    c.record("member", "project.classified", {"project_id": "P1", "category": "安全",
                                              "classified_on": "2025-03-02"})
    c.record("member", "project.designed", {"project_id": "P1", "plan": "换灯", "budget_fen": 1_000,
                                            "designed_on": "2025-03-03"})
    c.record(["treasurer", "chair"], "fund.grant_made", grant)
    assert c.app.state(c.community).projects["P1"].grants == ["g1"]


def test_receipt_numbers_are_unique(committee: Committee) -> None:
    committee.fund()
    committee.donate("d1", 100)
    with pytest.raises(Conflict) as err:
        committee.donate("d2", 100, receipt_no="R-d1")
    assert err.value.code == "receipt-reused"


def test_money_is_integer_fen(committee: Committee) -> None:
    committee.fund()
    for bad in (0, -5, "100", True, 10**13):
        with pytest.raises(InvalidInput):
            committee.donate("d1", bad)  # type: ignore[arg-type]


# --- property fees ------------------------------------------------------------------------------

def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def spend(spend_id: str, amount: int, **extra: Any) -> dict[str, Any]:
    return {"estate_id": "e1", "spend_id": spend_id, "category": "elevators", "vendor": "电梯公司",
            "amount_fen": amount, "invoice_sha256": sha(f"invoice/{spend_id}"), "spent_on": "2025-03-01",
            "description": "维保"} | extra


def test_over_budget_spend_needs_an_authorising_decision(committee: Committee) -> None:
    c = committee
    c.record("treasurer", "fee.budget_set", {"estate_id": "e1", "year": 2025,
                                             "lines": [{"category": "elevators", "amount_fen": 10_000}]})
    c.record("treasurer", "fee.spend_recorded", spend("s1", 6_000))
    refused(c, "treasurer", "fee.spend_recorded", spend("s2", 4_001), InvalidInput,
            "over-budget-needs-decision")
    c.decide("R1", [{"type": "spend", "estate_id": "e1", "category": "elevators", "cap_fen": 50_000}])
    c.decide("R2", [{"type": "spend", "estate_id": "e2", "category": "elevators", "cap_fen": 50_000}])
    refused(c, "treasurer", "fee.spend_recorded", spend("s2", 4_001, decision_id="R2"),
            RuleViolation, "not-authorised-by-decision")
    c.record("treasurer", "fee.spend_recorded", spend("s2", 40_000, decision_id="R1"))
    refused(c, "treasurer", "fee.spend_recorded", spend("s3", 10_001, decision_id="R1"),
            RuleViolation, "authorisation-exceeded")
    fees = c.app.state(c.community).fees["e1"]
    assert fees.remaining(2025, "elevators") == 10_000 - 46_000
    # a spend in another year has no budget at all
    c.clock.advance(days=366)
    refused(c, "treasurer", "fee.spend_recorded", spend("s4", 1, spent_on="2026-01-01"),
            InvalidInput, "over-budget-needs-decision")


def test_fee_records_need_a_known_estate(committee: Committee) -> None:
    refused(committee, "treasurer", "fee.income_recorded", {
        "estate_id": "nowhere", "income_id": "i1", "source": "parking", "period": "2025-03",
        "amount_fen": 100, "received_on": "2025-03-01"}, InvalidInput, "estate-not-found")
    refused(committee, "treasurer", "fee.budget_set", {"estate_id": "e1", "year": 2025, "lines": [
        {"category": "cleaning", "amount_fen": 1}, {"category": "cleaning", "amount_fen": 2}]},
        InvalidInput, "budget-duplicate-category")


# --- decisions ----------------------------------------------------------------------------------

def test_decision_outcome_must_match_votes_and_quorum(committee: Committee) -> None:
    c = committee
    c.fund()
    c.record("member", "decision.meeting_held", {
        "meeting_id": "M1", "body": "residents_assembly", "title": "会", "held_on": "2025-03-01",
        "attendance": {"eligible": 40, "present": 19}})
    base = {"decision_id": "R1", "meeting_id": "M1", "agenda_item": "议题", "resolution": "决议"}
    # 19 of 40 present: no quorum, so it cannot have passed
    refused(c, "member", "decision.resolved", base | {
        "votes": {"for": 19, "against": 0, "abstain": 0}, "passed": True},
        RuleViolation, "outcome-mismatch")
    refused(c, "member", "decision.resolved", base | {
        "votes": {"for": 19, "against": 1, "abstain": 0}, "passed": False},
        InvalidInput, "votes-exceed-attendance")
    refused(c, "member", "decision.resolved", base | {
        "votes": {"for": 0, "against": 0, "abstain": 0}, "passed": False,
        "authorises": [{"type": "grant", "fund_id": "f1", "cap_fen": 1}]},
        RuleViolation, "failed-decision-authorises")
    c.record("member", "decision.resolved", base | {
        "votes": {"for": 10, "against": 9, "abstain": 0}, "passed": False})
    refused(c, "member", "decision.meeting_held", {
        "meeting_id": "M2", "body": "residents_assembly", "title": "会", "held_on": "2025-03-01",
        "attendance": {"eligible": 4, "present": 5}}, InvalidInput, "attendance-invalid")


def test_two_thirds_rule(committee: Committee) -> None:
    c = committee
    c.record("member", "decision.meeting_held", {
        "meeting_id": "M1", "body": "owners_assembly", "title": "会", "held_on": "2025-03-01",
        "attendance": {"eligible": 30, "present": 30}})
    base = {"meeting_id": "M1", "agenda_item": "议题", "resolution": "决议",
            "quorum": {"attendance": "two_thirds", "approval": "two_thirds_of_present"}}
    refused(c, "member", "decision.resolved", base | {
        "decision_id": "R1", "votes": {"for": 19, "against": 11, "abstain": 0}, "passed": True},
        RuleViolation, "outcome-mismatch")
    c.record("member", "decision.resolved", base | {
        "decision_id": "R1", "votes": {"for": 20, "against": 10, "abstain": 0}, "passed": True})


# --- evaluation ---------------------------------------------------------------------------------

def test_evaluation_groups_under_five_are_refused(committee: Committee) -> None:
    c = committee
    c.clock.advance(days=5)
    c.record("supervisor", "evaluation.opened", {
        "round_id": "E1", "subject": "property_company", "title": "评议", "criteria": ["服务"],
        "method": "questionnaire", "opened_on": "2025-03-01"})
    group = {"group": "一期", "satisfied": 2, "basically_satisfied": 1, "dissatisfied": 1}
    refused(c, "supervisor", "evaluation.results_recorded", {
        "round_id": "E1", "eligible": 100, "groups": [group], "closed_on": "2025-03-05"},
        RuleViolation, "group-too-small")
    refused(c, "supervisor", "evaluation.consequence_recorded", {"round_id": "E1", "consequence": "x"},
            RuleViolation, "results-missing")
    ok = group | {"satisfied": 3}
    c.record("supervisor", "evaluation.results_recorded", {
        "round_id": "E1", "eligible": 100, "groups": [ok], "closed_on": "2025-03-05"})
    refused(c, "supervisor", "evaluation.results_recorded", {
        "round_id": "E1", "eligible": 100, "groups": [ok], "closed_on": "2025-03-05"},
        Conflict, "results-exist")
    c.record("supervisor", "evaluation.consequence_recorded", {"round_id": "E1", "consequence": "整改"})
    refused(c, "supervisor", "evaluation.opened", {
        "round_id": "E2", "subject": "project", "subject_ref": "NOPE", "title": "评议",
        "criteria": ["效果"], "method": "assembly", "opened_on": "2025-03-01"},
        NotFound, "project-not-found")


# --- needs projects -----------------------------------------------------------------------------

def test_project_steps_strictly_in_order(committee: Committee) -> None:
    c = committee
    c.clock.advance(days=6)
    c.record("member", "project.discovered", {"project_id": "P1", "title": "t", "description": "d",
                                              "source": "走访", "discovered_on": "2025-03-01"})
    refused(c, "member", "project.designed", {"project_id": "P1", "plan": "p", "budget_fen": 1,
                                              "designed_on": "2025-03-01"},
            RuleViolation, "step-out-of-order")
    steps: list[tuple[str, dict[str, Any]]] = [
        ("project.classified", {"category": "c", "classified_on": "2025-03-02"}),
        ("project.designed", {"plan": "p", "budget_fen": 1, "designed_on": "2025-03-03"}),
        ("project.implemented", {"summary": "s", "completed_on": "2025-03-04"}),
        ("project.evaluated", {"summary": "s", "evaluated_on": "2025-03-05"}),
    ]
    for kind, body in steps:
        c.record("member", kind, {"project_id": "P1"} | body)
    refused(c, "member", "project.evaluated", {"project_id": "P1", "summary": "again",
                                               "evaluated_on": "2025-03-06"},
            RuleViolation, "project-complete")
    assert c.app.state(c.community).projects["P1"].step == "evaluated"


def test_acceptance_times_never_go_back_when_the_clock_does(committee: Committee) -> None:
    from ledger.signing import Entry

    committee.clock.advance(hours=3)  # both statements signed after the member's key was registered
    first = committee.record("member", "disclosure.published", disclosure("D1"))
    committee.clock.advance(hours=-2)
    second = committee.record("member", "disclosure.published", disclosure("D2"))
    entries = dict(committee.app.entries(committee.community, first.index, second.index + 1))
    assert Entry.decode(entries[second.index]).accepted_at >= Entry.decode(entries[first.index]).accepted_at
