"""Objections on the portal: beside the record they concern (reason, who, when, the answer or
尚未答复), linked both ways from their own pages, and listed on 审计 when unanswered for more
than 15 working days. Rendered from a real signed log, through the publisher's own stages."""

from __future__ import annotations

from publisher.describe import record_path, title
from publisher.pages import late_objections, record_list
from publisher.readmodel import Portal, fold
from publisher.record_page import Seal, render
from publisher.records import read_records
from tests.committee import Committee

RAISE = "oversight.objection_raised"
ANSWER = "oversight.objection_answered"


def portal(c: Committee) -> tuple[Portal, int]:
    """A donation with two objections: the 监督's, answered by its recorder ten days later, and a
    member's, never answered; then a record five weeks on."""
    c.fund()
    target = c.donate("d1", 10_000).index
    c.record("supervisor", RAISE, {"objection_id": "O1", "log_index": target,
                                   "reason": "捐赠收据号与公示不一致。", "raised_on": "2025-03-01"})
    c.record("member", RAISE, {"objection_id": "O2", "log_index": target,
                               "reason": "请说明这笔捐赠的用途。", "raised_on": "2025-03-01"})
    c.clock.advance(days=10)
    c.record("treasurer", ANSWER, {"objection_id": "O1", "answer": "收据号已核对，公示笔误已更正。",
                                   "answered_on": "2025-03-11"})
    c.clock.advance(days=35)  # 2025-04-15: O2 is more than 15 working days old
    c.record("member", "disclosure.published", {
        "disclosure_id": "D1", "category": "other", "period": "2025-04", "title": "四月公示",
        "body": "内容"})
    return fold(c.community, read_records(c.app.entries(c.community))), target


def page(p: Portal, index: int) -> str:
    return render(p, p.records[index], f"https://x.test/{record_path(index)}", "",
                  Seal("testcom", len(p.records), "AAAA"))[1]


def test_an_objection_is_shown_beside_its_record_with_its_answer_or_none(committee: Committee) -> None:
    p, target = portal(committee)
    o1, o2 = p.objections["O1"].record.index, p.objections["O2"].record.index
    answer = p.objections["O1"].answer
    assert answer is not None
    html = page(p, target)
    assert "有成员对本记录提出了 2 条异议，其中 1 条尚未答复" in html
    assert "捐赠收据号与公示不一致。" in html and "supervisor-name（监督）于 2025-03-01 提出" in html
    assert "收据号已核对，公示笔误已更正。" in html and "treasurer-name（出纳），2025-03-11" in html
    assert "请说明这笔捐赠的用途。" in html and html.count("尚未答复") == 2  # banner and O2
    for index in (o1, o2, answer.index):
        assert f'href="../../{record_path(index)}"' in html
    # the objection's own page: what it concerns, by link and in plain words, and its answer
    assert title(p, p.records[o1]) == f"对第 {target} 条记录提出异议"
    own = page(p, o1)
    assert f'<a href="../../{record_path(target)}">日志第 {target} 条：' in own
    assert f'data-sl-ref="{target}"' in own  # the record page's own check compares the index
    assert f"查看答复记录（第 {answer.index} 条）" in own
    assert "答复：尚未答复" in page(p, o2)
    # the answer's page shows the objection it answers and links back
    reply = page(p, answer.index)
    assert "所答复的异议" in reply and "捐赠收据号与公示不一致。" in reply
    assert f'href="../../{record_path(o1)}"' in reply
    # lists name both kinds in plain Chinese, from the registry
    listed = record_list(p, [p.records[o1], answer], "../")
    assert "提出异议" in listed and "答复异议：O1" in listed and "oversight." not in listed


def test_the_audit_page_lists_only_late_unanswered_objections(committee: Committee) -> None:
    p, target = portal(committee)
    html = "".join(late_objections(p, "../"))
    assert "截至 2025 年 04 月 15 日" in html
    assert "请说明这笔捐赠的用途。" in html and "member-name（委员）" in html
    assert "捐赠收据号与公示不一致。" not in html  # answered
    assert "2025-03-21" in html  # the last day to answer: 15 working days after 2025-03-01
    assert f"第 {target} 条：" in html


def test_no_late_objection_is_said_so(committee: Committee) -> None:
    committee.record("supervisor", RAISE, {"objection_id": "O1", "log_index": 0,
                                           "reason": "理由", "raised_on": "2025-03-01"})
    p = fold(committee.community, read_records(committee.app.entries(committee.community)))
    assert "没有逾期未答复的异议" in "".join(late_objections(p, "../"))


def test_a_year_the_holiday_calendar_lacks_is_said_not_guessed(committee: Committee) -> None:
    committee.clock.advance(days=680)  # 2027-01-10: chinesecalendar 1.11 knows up to 2026
    committee.record("supervisor", RAISE, {"objection_id": "O1", "log_index": 0,
                                           "reason": "理由", "raised_on": "2027-01-10"})
    committee.clock.advance(days=30)
    committee.record("member", "disclosure.published", {
        "disclosure_id": "D1", "category": "other", "period": "2027-02", "title": "二月公示",
        "body": "内容"})
    p = fold(committee.community, read_records(committee.app.entries(committee.community)))
    html = "".join(late_objections(p, "../"))
    assert "无法按工作日判断是否逾期" in html and "2027 年的法定节假日和调休安排尚未收录" in html
