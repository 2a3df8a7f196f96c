"""Rules that one person could walk around: budget rewrites, business dates, the same invoice
twice, backdating around a term. Each through the real signed path, as a committee member who
tries it would; each boundary both ways (the day itself allowed, the day after refused)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ledger.domain.errors import Conflict, InvalidInput, NotAuthorised, NotFound, RuleViolation
from tests.committee import Committee
from tests.ledger.test_ledger_rules import disclosure, refused, sha, spend


def budget(amount: int = 10_000, year: int = 2025, **extra: Any) -> dict[str, Any]:
    return {"estate_id": "e1", "year": year,
            "lines": [{"category": "elevators", "amount_fen": amount}]} | extra


def budget_authorisation(cap: int, estate_id: str = "e1", year: int = 2025) -> dict[str, Any]:
    return {"type": "budget", "estate_id": estate_id, "year": year, "cap_fen": cap}


def at_shanghai(c: Committee, day: str, hour: int, minute: int = 0) -> datetime:
    """Moves the committee's clock to ``day hour:minute`` in Asia/Shanghai; returns that time."""
    y, m, d = (int(p) for p in day.split("-"))
    c.clock.now = datetime(y, m, d, hour, minute, tzinfo=UTC) - timedelta(hours=8)
    return c.clock.now


# --- budget rewrites ----------------------------------------------------------------------------

REVISERS = ["treasurer", "chair", "supervisor"]  # a revision: the 主任 and the 监督 sign too

def test_the_treasurer_alone_cannot_rewrite_a_budget_to_spend_past_it(committee: Committee) -> None:
    c = committee
    c.record("treasurer", "fee.budget_set", budget(10_000))
    c.record("treasurer", "fee.spend_recorded", spend("s1", 6_000))
    refused(c, "treasurer", "fee.budget_set", budget(1_000_000), NotAuthorised, "needs-cosign")
    refused(c, "chair", "fee.budget_set", budget(1_000_000), NotAuthorised,
            "needs-cosign")  # nor the 主任 alone
    refused(c, REVISERS, "fee.budget_set", budget(1_000_000),
            RuleViolation, "budget-revision-needs-decision")  # nor all three without a decision
    # so the spend the old budget refused is still refused
    refused(c, "treasurer", "fee.spend_recorded", spend("s2", 4_001), InvalidInput,
            "over-budget-needs-decision")
    fees = c.app.state(c.community).fees["e1"]
    assert fees.budgets[2025] == {"elevators": 10_000} and len(fees.budget_history[2025]) == 1


def test_a_budget_revision_needs_a_decision_that_authorises_exactly_it(committee: Committee) -> None:
    c = committee
    c.record("treasurer", "fee.budget_set", budget(10_000))
    c.decide("R-spend", [{"type": "spend", "estate_id": "e1", "category": "elevators",
                          "cap_fen": 50_000}])
    c.decide("R-no", [], votes=(1, 4, 0), passed=False)
    c.decide("R-other", [budget_authorisation(50_000, "e2"), budget_authorisation(50_000, year=2026)])
    c.decide("R-small", [budget_authorisation(19_999)])
    c.decide("R1", [budget_authorisation(20_000)])
    refused(c, REVISERS, "fee.budget_set", budget(20_000, decision_id="R-nope"), NotFound,
            "decision-not-found")
    refused(c, REVISERS, "fee.budget_set", budget(20_000, decision_id="R-no"), RuleViolation,
            "decision-not-passed")
    for decision in ("R-spend", "R-other"):
        refused(c, REVISERS, "fee.budget_set", budget(20_000, decision_id=decision),
                RuleViolation, "not-authorised-by-decision")
    refused(c, REVISERS, "fee.budget_set", budget(20_000, decision_id="R-small"), RuleViolation,
            "authorisation-exceeded")
    c.record(REVISERS, "fee.budget_set", budget(20_000, decision_id="R1"))
    # one authorisation, one revision
    refused(c, REVISERS, "fee.budget_set", budget(15_000, decision_id="R1"), RuleViolation,
            "authorisation-used")
    c.record("treasurer", "fee.spend_recorded", spend("s1", 20_000))
    state = c.app.state(c.community)
    history = state.fees["e1"].budget_history[2025]
    assert [(h.revision, h.lines, h.decision_id) for h in history] == [
        (0, {"elevators": 10_000}, None), (1, {"elevators": 20_000}, "R1")]
    assert history[1].day == "2025-03-01" and history[1].log_index > history[0].log_index
    assert state.decisions["R1"].uses == [("fee.budget_set", "e1/2025/1")]


def test_a_budget_never_goes_below_what_is_spent(committee: Committee) -> None:
    c = committee
    c.record("treasurer", "fee.budget_set", {"estate_id": "e1", "year": 2025, "lines": [
        {"category": "elevators", "amount_fen": 10_000}, {"category": "cleaning", "amount_fen": 500}]})
    c.record("treasurer", "fee.spend_recorded", spend("s1", 6_000))
    c.decide("R1", [budget_authorisation(100_000)])
    refused(c, REVISERS, "fee.budget_set", budget(5_999, decision_id="R1"), RuleViolation,
            "budget-below-spent")
    # a line with spending cannot be dropped
    refused(c, REVISERS, "fee.budget_set", {
        "estate_id": "e1", "year": 2025, "decision_id": "R1",
        "lines": [{"category": "cleaning", "amount_fen": 90_000}]}, RuleViolation, "budget-below-spent")
    c.record(REVISERS, "fee.budget_set", budget(6_000, decision_id="R1"))  # exactly spent: fine
    assert c.app.state(c.community).fees["e1"].remaining(2025, "elevators") == 0


def test_a_first_budget_needs_no_decision_but_may_cite_one(committee: Committee) -> None:
    c = committee
    c.decide("R1", [budget_authorisation(30_000, "e2")])
    c.record("treasurer", "fee.budget_set", budget(10_000))
    refused(c, REVISERS, "fee.budget_set", budget(40_000, estate_id="e2", decision_id="R1"),
            RuleViolation, "authorisation-exceeded")
    c.record(REVISERS, "fee.budget_set", budget(30_000, estate_id="e2", decision_id="R1"))
    refused(c, "member", "decision.resolved", {
        "decision_id": "R2", "meeting_id": "M-R1", "agenda_item": "议题", "resolution": "决议",
        "votes": {"for": 4, "against": 1, "abstain": 0}, "passed": True,
        "authorises": [{"type": "budget", "estate_id": "e1", "cap_fen": 1}]},
        InvalidInput, "authorisation-invalid")  # a budget authorisation names its year


# --- business dates -----------------------------------------------------------------------------

def fund_opened(on: str, fund_id: str = "f1") -> dict[str, Any]:
    return {"fund_id": fund_id, "name": "微基金", "purpose": "资助小项目", "opened_on": on}


@pytest.mark.parametrize(("on", "code"), [
    ("2099-01-01", "date-in-future"),
    ("2025-03-02", "date-in-future"),  # the day after the statement
    ("1970-01-01", "date-too-early"),
    ("1999-12-31", "date-too-early"),
])
def test_absurd_or_future_dates_are_refused(committee: Committee, on: str, code: str) -> None:
    refused(committee, "treasurer", "fund.opened", fund_opened(on), InvalidInput, code)


@pytest.mark.parametrize("on", ["2025-03-01", "2000-01-01", "2019-06-30"])
def test_the_statement_day_and_historical_dates_are_fine(committee: Committee, on: str) -> None:
    committee.record("treasurer", "fund.opened", fund_opened(on))


def test_the_statement_day_is_its_day_in_shanghai(committee: Committee) -> None:
    c = committee
    at_shanghai(c, "2025-03-01", 23, 59)  # 15:59 UTC
    refused(c, "treasurer", "fund.opened", fund_opened("2025-03-02"), InvalidInput, "date-in-future")
    at_shanghai(c, "2025-03-02", 0, 1)  # 16:01 UTC, still 1 March in UTC
    c.record("treasurer", "fund.opened", fund_opened("2025-03-02"))


def test_every_business_date_is_checked(committee: Committee) -> None:
    c = committee
    c.fund()
    c.decide("R1", [{"type": "grant", "fund_id": "f1", "cap_fen": 100}])
    tomorrow = "2025-03-02"
    cases: list[tuple[str, str, dict[str, Any]]] = [
        ("treasurer", "fund.donation_recorded", {
            "fund_id": "f1", "donation_id": "d1", "amount_fen": 1, "channel": "cash",
            "receipt_no": "R1", "received_on": tomorrow, "donor_commitment": "ab" * 32}),
        (["treasurer", "chair"], "fund.grant_made", {
            "fund_id": "f1", "grant_id": "g1", "amount_fen": 1, "purpose": "p",
            "decision_id": "R1", "granted_on": tomorrow}),
        ("treasurer", "fee.income_recorded", {
            "estate_id": "e1", "income_id": "i1", "source": "parking", "period": "2025-03",
            "amount_fen": 1, "received_on": tomorrow}),
        ("treasurer", "fee.spend_recorded", spend("s1", 1, spent_on=tomorrow)),
        ("member", "decision.meeting_held", {
            "meeting_id": "M1", "body": "residents_committee", "title": "会", "held_on": tomorrow,
            "attendance": {"eligible": 5, "present": 5}}),
        ("supervisor", "evaluation.opened", {
            "round_id": "E1", "subject": "property_company", "title": "评议", "criteria": ["服务"],
            "method": "questionnaire", "opened_on": tomorrow}),
        ("member", "project.discovered", {
            "project_id": "P1", "title": "t", "description": "d", "source": "走访",
            "discovered_on": tomorrow}),
        ("chair", "community.estate_added", {"estate_id": "e3", "name": "三期", "added_on": tomorrow}),
    ]
    for who, kind, body in cases:
        refused(c, who, kind, body, InvalidInput, "date-in-future")


def test_terms_stay_within_the_years_but_may_end_later(committee: Committee) -> None:
    c = committee
    term = {"member_id": "member", "term_start": "2024-01-01", "term_end": "2100-12-31"}
    c.record("chair", "member.term_set", term)
    refused(c, "chair", "member.term_set", term | {"term_end": "2101-01-01"}, InvalidInput,
            "date-too-late")
    refused(c, "chair", "member.term_set", term | {"term_start": "1999-12-31"}, InvalidInput,
            "date-too-early")


def test_a_donation_or_grant_before_its_fund_was_opened(committee: Committee) -> None:
    c = committee
    c.record("treasurer", "fund.opened", fund_opened("2025-02-10"))
    body = {"fund_id": "f1", "donation_id": "d1", "amount_fen": 1_000, "channel": "cash",
            "receipt_no": "R1", "received_on": "2025-02-09", "donor_commitment": "ab" * 32}
    refused(c, "treasurer", "fund.donation_recorded", body, RuleViolation, "date-before-parent")
    c.record("treasurer", "fund.donation_recorded", body | {"received_on": "2025-02-10"})
    c.decide("R1", [{"type": "grant", "fund_id": "f1", "cap_fen": 1_000}])  # held 2025-03-01
    grant = {"fund_id": "f1", "grant_id": "g1", "amount_fen": 100, "purpose": "p",
             "decision_id": "R1", "granted_on": "2025-02-28"}
    refused(c, ["treasurer", "chair"], "fund.grant_made", grant, RuleViolation, "date-before-parent")
    c.record(["treasurer", "chair"], "fund.grant_made", grant | {"granted_on": "2025-03-01"})


def test_a_grant_to_a_project_before_its_design(committee: Committee) -> None:
    c = committee
    at_shanghai(c, "2025-03-10", 10)
    c.fund()
    c.donate("d1", 10_000)
    c.record("member", "project.discovered", {"project_id": "P1", "title": "t", "description": "d",
                                              "source": "走访", "discovered_on": "2025-03-01"})
    c.record("member", "project.classified", {"project_id": "P1", "category": "c",
                                              "classified_on": "2025-03-02"})
    c.record("member", "project.designed", {"project_id": "P1", "plan": "p", "budget_fen": 1,
                                            "designed_on": "2025-03-08"})
    c.decide("R1", [{"type": "grant", "fund_id": "f1", "project_id": "P1", "cap_fen": 10_000}])
    grant = {"fund_id": "f1", "grant_id": "g1", "amount_fen": 100, "project_id": "P1",
             "purpose": "p", "decision_id": "R1", "granted_on": "2025-03-07"}
    refused(c, ["treasurer", "chair"], "fund.grant_made", grant, RuleViolation, "date-before-parent")
    c.record(["treasurer", "chair"], "fund.grant_made", grant | {"granted_on": "2025-03-08"})


def test_fee_records_before_their_estate_was_added(committee: Committee) -> None:
    c = committee  # e1 was added on 2025-03-01 (Asia/Shanghai)
    refused(c, "treasurer", "fee.spend_recorded", spend("s1", 1, spent_on="2025-02-28"),
            RuleViolation, "date-before-parent")
    refused(c, "treasurer", "fee.income_recorded", {
        "estate_id": "e1", "income_id": "i1", "source": "parking", "period": "2025-02",
        "amount_fen": 1, "received_on": "2025-02-28"}, RuleViolation, "date-before-parent")
    # an estate added for a historical import says from when its accounts are kept
    c.record("chair", "community.estate_added", {"estate_id": "old", "name": "老小区",
                                                 "added_on": "2020-01-01"})
    c.record("treasurer", "fee.budget_set", {"estate_id": "old", "year": 2020,
                                             "lines": [{"category": "repairs", "amount_fen": 500}]})
    c.record("treasurer", "fee.spend_recorded", spend("s-old", 500, estate_id="old",
                                                      category="repairs", spent_on="2020-01-01"))
    refused(c, "treasurer", "fee.spend_recorded", spend("s-older", 1, estate_id="old",
                                                        spent_on="2019-12-31"),
            RuleViolation, "date-before-parent")


def test_a_decision_before_its_meeting(committee: Committee) -> None:
    c = committee
    signed = at_shanghai(c, "2025-03-01", 23, 0)
    sub = c.sign("member", "decision.resolved", {
        "decision_id": "R1", "meeting_id": "M1", "agenda_item": "议题", "resolution": "决议",
        "votes": {"for": 4, "against": 1, "abstain": 0}, "passed": True}, at=signed)
    at_shanghai(c, "2025-03-02", 9)
    c.record("member", "decision.meeting_held", {
        "meeting_id": "M1", "body": "residents_committee", "title": "例会", "held_on": "2025-03-02",
        "attendance": {"eligible": 7, "present": 5}})
    with pytest.raises(RuleViolation) as err:  # signed the evening before the meeting was held
        c.app.submit(sub)
    assert err.value.code == "date-before-parent" and "会议" in err.value.message
    c.record("member", "decision.resolved", {
        "decision_id": "R1", "meeting_id": "M1", "agenda_item": "议题", "resolution": "决议",
        "votes": {"for": 4, "against": 1, "abstain": 0}, "passed": True})


def test_project_steps_and_evaluations_keep_their_order_in_time(committee: Committee) -> None:
    c = committee
    at_shanghai(c, "2025-03-20", 10)
    c.record("member", "project.discovered", {"project_id": "P1", "title": "t", "description": "d",
                                              "source": "走访", "discovered_on": "2025-03-05"})
    refused(c, "member", "project.classified", {"project_id": "P1", "category": "c",
                                                "classified_on": "2025-03-04"},
            RuleViolation, "date-before-parent")
    c.record("member", "project.classified", {"project_id": "P1", "category": "c",
                                              "classified_on": "2025-03-05"})  # the same day: fine
    opened = {"round_id": "E1", "subject": "project", "subject_ref": "P1", "title": "评议",
              "criteria": ["效果"], "method": "assembly", "opened_on": "2025-03-04"}
    refused(c, "supervisor", "evaluation.opened", opened, RuleViolation, "date-before-parent")
    c.record("supervisor", "evaluation.opened", opened | {"opened_on": "2025-03-10"})
    results = {"round_id": "E1", "eligible": 100, "closed_on": "2025-03-09",
               "groups": [{"group": "全体", "satisfied": 5, "basically_satisfied": 0,
                           "dissatisfied": 0}]}
    refused(c, "supervisor", "evaluation.results_recorded", results, RuleViolation,
            "date-before-parent")
    c.record("supervisor", "evaluation.results_recorded", results | {"closed_on": "2025-03-10"})


# --- the same invoice twice ---------------------------------------------------------------------

def test_an_invoice_pays_for_one_spend(committee: Committee) -> None:
    c = committee
    c.record("treasurer", "fee.budget_set", budget(100_000))
    c.record("treasurer", "fee.budget_set", budget(100_000) | {"estate_id": "e2"})
    c.record("treasurer", "fee.spend_recorded", spend("s1", 1_000, invoice_sha256=sha("inv")))
    refused(c, "treasurer", "fee.spend_recorded", spend("s2", 1_000, invoice_sha256=sha("inv")),
            Conflict, "invoice-reused")
    refused(c, "treasurer", "fee.spend_recorded",  # nor in another estate of the community
            spend("s2", 1_000, estate_id="e2", invoice_sha256=sha("inv")), Conflict, "invoice-reused")
    refused(c, "chair", "fee.spend_recorded",
            spend("s2", 500, category="repairs", invoice_sha256=sha("inv")), Conflict, "invoice-reused")
    c.record("treasurer", "fee.spend_recorded", spend("s2", 1_000, invoice_sha256=sha("inv2")))
    # a refused spend claimed nothing: its id and invoice stay free
    c.record("treasurer", "fee.spend_recorded", spend("s3", 1, invoice_sha256=sha("inv3")))


# --- backdating around a term -------------------------------------------------------------------

def test_authority_must_hold_when_the_log_accepts_the_statement(committee: Committee) -> None:
    c = committee
    c.record("chair", "member.term_set",
             {"member_id": "member", "term_start": "2024-01-01", "term_end": "2025-03-01"})
    signed = at_shanghai(c, "2025-03-01", 22)  # the last evening of the term
    late = c.sign("member", "disclosure.published", disclosure("D1"), at=signed)
    on_time = c.sign("member", "disclosure.published", disclosure("D2"), at=signed)
    c.app.submit(on_time)  # signed and accepted on the term's last day: fine
    at_shanghai(c, "2025-03-02", 8)  # accepted the morning after: 10 hours late, term over
    with pytest.raises(NotAuthorised) as err:
        c.app.submit(late)
    assert err.value.code == "term-over" and "2025-03-02" in err.value.message
    # backdating a fresh statement into the term changes nothing
    backdated = c.sign("member", "disclosure.published", disclosure("D3"), at=signed)
    with pytest.raises(NotAuthorised):
        c.app.submit(backdated)
    assert c.app.size(c.community) == 8


def test_a_term_that_starts_tomorrow_does_not_let_in_a_statement_dated_tomorrow(
        committee: Committee) -> None:
    c = committee
    c.record("chair", "member.term_set",
             {"member_id": "member", "term_start": "2025-03-02", "term_end": "2025-12-31"})
    at_shanghai(c, "2025-03-01", 23, 58)
    early = c.sign("member", "disclosure.published", disclosure("D1"),
                   at=c.clock.now + timedelta(minutes=4))  # 00:02 tomorrow, within the 5 minutes
    with pytest.raises(NotAuthorised) as err:
        c.app.submit(early)
    assert err.value.code == "term-over"


def test_no_statement_dated_before_its_signer_had_the_key_or_the_role(committee: Committee) -> None:
    from ledger.signing import MemberKey

    c = committee
    c.clock.advance(hours=2)
    earlier = c.clock.now - timedelta(hours=1)
    new = MemberKey.from_seed(b"\x0b" * 32)
    c.record("chair", "member.key_rotated", {"member_id": "member", "public_key": new.public_b64})
    c.keys["member"] = new
    backdated = c.sign("member", "disclosure.published", disclosure("D1"), at=earlier)
    with pytest.raises(NotAuthorised) as err:  # the new key did not exist an hour ago
        c.app.submit(backdated)
    assert err.value.code == "key-not-yet-valid"
    c.record("member", "disclosure.published", disclosure("D1"))
    c.record(["chair", "supervisor"], "member.role_assigned", {"member_id": "supervisor", "role": "treasurer"})
    backdated = c.sign("supervisor", "fund.opened", fund_opened("2025-03-01"), at=earlier)
    with pytest.raises(NotAuthorised) as err:  # nor was the supervisor the 出纳 then
        c.app.submit(backdated)
    assert err.value.code == "role-not-yet-held"
    c.record("supervisor", "fund.opened", fund_opened("2025-03-01"))


def test_every_date_field_is_found_by_its_name() -> None:
    """The date checks find a body's dates by name (``*_on``, ``term_start``, ``term_end``): every
    field of type ``Day`` must be so named, and every field so named must be a ``Day``."""
    from ledger.domain.dates import date_fields
    from ledger.domain.state import BODY_TYPES

    for kind, cls in BODY_TYPES.items():
        days = {name for name, f in cls.model_fields.items()
                if "_check_day" in repr(f.metadata) + repr(f.annotation)}
        assert {name for name, _ in date_fields(cls)} == days, kind
    assert {"received_on", "term_end"} <= {n for n, _ in date_fields(BODY_TYPES["fund.donation_recorded"])} \
        | {n for n, _ in date_fields(BODY_TYPES["member.term_set"])}
