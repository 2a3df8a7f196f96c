"""The supervisor's objection (监督异议), through the real signed path: who may raise and answer
it, what it may concern, that it is answered once, that a pending proposal it concerns is held,
and when an unanswered one is overdue (15 working days on the mainland calendar)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from ledger.domain.errors import Conflict, InvalidInput, NotAuthorised, NotFound, PrivacyViolation, RuleViolation
from ledger.domain.oversight import overdue
from ledger.domain.state import CommunityState
from ledger.domain.workdays import CalendarNotCovered, add_workdays, is_workday, workdays_between
from ledger.replay import replay
from tests.committee import Committee
from tests.ledger.test_ledger_rules import refused

RAISE = "oversight.objection_raised"
ANSWER = "oversight.objection_answered"


def objection(oid: str = "O1", **target: Any) -> dict[str, Any]:
    return {"objection_id": oid, "reason": "支出未附验收单，请说明。", "raised_on": "2025-03-01",
            **(target or {"log_index": 0})}


def answer(oid: str = "O1", on: str = "2025-03-01") -> dict[str, Any]:
    return {"objection_id": oid, "answer": "验收单已补充，见第 3 季度公示附件。", "answered_on": on}


def donation(c: Committee) -> int:
    c.fund()
    return c.donate("d1", 10_000).index  # recorded by the 出纳


def test_any_member_in_office_raises_an_objection_and_the_recorder_answers(
        committee: Committee) -> None:
    c = committee
    target = donation(c)
    c.record("supervisor", RAISE, objection(log_index=target))
    state = c.app.state(c.community)
    (o,) = state.open_objections()
    assert (o.raised_by, o.recorder, o.raised.log_index) == ("supervisor", "treasurer", target)
    refused(c, "member", ANSWER, answer(), NotAuthorised, "not-the-answerer")
    refused(c, "treasurer", ANSWER, answer(on="2025-02-28"), RuleViolation, "date-before-parent")
    c.record("treasurer", ANSWER, answer())
    assert c.app.state(c.community).open_objections() == []
    err = refused(c, "chair", ANSWER, answer(), Conflict, "objection-answered")
    assert "已于 2025-03-01 答复" in err.message
    # the 主任 answers an objection to anybody's record; a plain member raises one
    c.record("member", RAISE, objection("O2", log_index=target))
    c.record("chair", ANSWER, answer("O2"))
    # the verifier's replay re-derives the same objections from the log
    fresh = CommunityState(c.community)
    for _ in replay(fresh, c.app.entries(c.community)):
        pass
    assert {k: (v.raised_by, v.answered_index) for k, v in fresh.objections.items()} == {
        k: (v.raised_by, v.answered_index) for k, v in c.app.state(c.community).objections.items()}


def test_what_an_objection_may_concern(committee: Committee) -> None:
    c = committee
    size = c.app.size(c.community)
    refused(c, "supervisor", RAISE, objection(log_index=size), NotFound, "record-not-found")
    err = refused(c, "supervisor", RAISE, objection(log_index=size + 100), NotFound,
                  "record-not-found")
    assert f"第 {size + 100} 条" in err.message
    refused(c, "supervisor", RAISE, objection(log_index=-1), InvalidInput, "invalid-input")
    refused(c, "supervisor", RAISE, {"objection_id": "O1", "reason": "理由", "raised_on": "2025-03-01"},
            InvalidInput, "invalid-input")
    refused(c, "supervisor", RAISE, objection(log_index=0, proposal_id="Zq3xK0b9T2mVwQ8nR4sY1A"), InvalidInput,
            "invalid-input")
    c.record("supervisor", RAISE, objection(log_index=0))
    refused(c, "supervisor", RAISE, objection(log_index=1), Conflict, "id-exists")
    refused(c, "chair", ANSWER, answer("O9"), NotFound, "objection-not-found")


def test_who_may_not_sign_an_objection(committee: Committee) -> None:
    c = committee
    refused(c, "spare", RAISE, objection(), NotAuthorised, "unknown-key")  # not a member
    c.record("supervisor", RAISE, objection())
    refused(c, "spare", ANSWER, answer(), NotAuthorised, "unknown-key")


def test_the_reason_is_public_text(committee: Committee) -> None:
    for reason in ("请联系１３８００１３８０００核实", "经办人电话 138 0013 8000", "联系一三八〇〇一三八〇〇〇"):
        err = refused(committee, "supervisor", RAISE, objection() | {"reason": reason},
                      PrivacyViolation, "personal-data-in-public-text")
        assert "手机号码" in err.message


def test_an_objection_holds_a_proposal_until_answered(committee: Committee) -> None:
    c = committee
    c.record("supervisor", RAISE, objection("O1", proposal_id="Pq3xK0b9T2mVwQ8nR42025"))
    state = c.app.state(c.community)
    assert state.objection_holds("Pq3xK0b9T2mVwQ8nR42025") and not state.objection_holds("Pq3xK0b9T2mVwQ8nR42026")
    (o,) = state.open_objections()
    assert o.recorder is None
    refused(c, "treasurer", ANSWER, answer(), NotAuthorised, "not-the-answerer")  # the 主任 only
    c.record("chair", ANSWER, answer())
    assert not c.app.state(c.community).objection_holds("Pq3xK0b9T2mVwQ8nR42025")


def test_an_unanswered_objection_is_overdue_after_fifteen_working_days(
        committee: Committee) -> None:
    c = committee
    c.record("supervisor", RAISE, objection())  # Saturday 2025-03-01
    state = c.app.state(c.community)
    (o,) = state.open_objections()
    assert o.due() == date(2025, 3, 21)  # the 15th working day after: three weeks of Mon-Fri
    assert state.overdue_objections(date(2025, 3, 21)) == []
    assert state.overdue_objections(date(2025, 3, 24)) == [o]
    c.record("chair", ANSWER, answer())
    assert c.app.state(c.community).overdue_objections(date(2025, 3, 24)) == []


def test_working_days_follow_the_mainland_holiday_calendar() -> None:
    # National Day 2025: 1-8 October off, Sunday 28 September and Saturday 11 October worked
    assert is_workday(date(2025, 9, 28)) and is_workday(date(2025, 10, 11))
    assert not is_workday(date(2025, 10, 1)) and not is_workday(date(2025, 10, 6))
    assert workdays_between(date(2025, 9, 30), date(2025, 10, 8)) == 0
    assert workdays_between(date(2025, 9, 26), date(2025, 10, 12)) == 6  # 28-30 Sep, 9-11 Oct
    assert add_workdays(date(2025, 9, 26), 15) == date(2025, 10, 23)
    assert not overdue("2025-09-26", date(2025, 10, 23)) and overdue("2025-09-26", date(2025, 10, 24))
    # a year the holiday schedule does not cover yet is not guessed
    with pytest.raises(CalendarNotCovered):
        overdue("2099-01-05", date(2099, 2, 5))


@pytest.mark.parametrize("proposal_id", ["-Zq3xK0b9T2mVwQ8nR4sY1", "_Zq3xK0b9T2mVwQ8nR4sY1",
                                         "Zq3xK0b9T2mVwQ8nR4sY1-"])
def test_an_objection_names_any_proposal_id_the_service_makes(committee: Committee,
                                                             proposal_id: str) -> None:
    """Proposal ids are URL-safe base64 and may begin with - or _: every one can be objected to."""
    c = committee
    c.record("supervisor", RAISE, objection(proposal_id=proposal_id))
    assert c.app.state(c.community).objection_holds(proposal_id)


@pytest.mark.parametrize("proposal_id", ["short", "has space in it 1234567", "x" * 23])
def test_an_objection_to_something_that_is_no_proposal_id_is_refused(committee: Committee,
                                                                     proposal_id: str) -> None:
    with pytest.raises(InvalidInput):
        committee.record("supervisor", RAISE, objection(proposal_id=proposal_id))
