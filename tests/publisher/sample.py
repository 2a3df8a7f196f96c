"""A small community of every record kind, recorded through the real signing path.

``HOSTILE`` text goes into every free-text field a resident will read; ``PRIVATE`` personal
data goes only into the private store, through the salted commitments the ledger keeps.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ledger.application import Sunlight
from ledger.signing import MemberKey, PrivateRecord, Statement, Submission

HOSTILE = ('<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
           "**加粗** [链接](javascript:alert(1)) {{ config.site_name }} {% raw %} &amp; <b>粗</b>")
LONG_WORD = "长" * 3 + "A" * 600  # one unbreakable run of text
PRIVATE = {"name": "赵秘密", "phone": "13912345678", "address": "幸福里9号楼秘密单元"}


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2025, 3, 1, 2, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Writer:
    app: Sunlight
    clock: Clock
    community_id: str
    keys: dict[str, MemberKey] = field(default_factory=dict)

    def record(self, member: str, kind: str, body: dict[str, Any],
               private: tuple[PrivateRecord, ...] = ()) -> int:
        self.clock.now += timedelta(days=1)  # business dates below stay before each record
        signed = self.keys[member].sign(Statement(self.community_id, kind, self.clock.now, body))
        receipt = self.app.submit(Submission(signed.statement, signed.signature, signed.key_id,
                                             private))
        return receipt.index


def seeded_key(label: str) -> MemberKey:
    return MemberKey.from_seed(hashlib.sha256(label.encode()).digest())


def build_sample(app: Sunlight, clock: Clock, community_id: str = "testville",
                 hostile: str = HOSTILE) -> Writer:
    w = Writer(app, clock, community_id)
    for who in ("chair", "treasurer", "member"):
        w.keys[who] = seeded_key(who)
    w.clock.now += timedelta(hours=7)
    founded = w.keys["chair"].sign(Statement(community_id, "community.founded", clock.now, {
        "name": "测试社区", "description": "用于测试的社区。", "founder_id": "chair",
        "founder_name": "王主任", "founder_public_key": w.keys["chair"].public_b64,
        "term_start": "2025-01-01"}))
    app.found([founded], origin=f"sunlight.test/{community_id}", key_seed=b"\x01" * 32)
    w.record("chair", "community.estate_added", {"estate_id": "e1", "name": "一期",
                                                 "households": 100})
    w.record("chair", "member.admitted", {
        "member_id": "treasurer", "name": "李出纳", "role": "treasurer",
        "public_key": w.keys["treasurer"].public_b64, "term_start": "2025-01-01"})
    w.record("chair", "member.admitted", {
        "member_id": "member", "name": "张委员", "role": "member",
        "public_key": w.keys["member"].public_b64, "term_start": "2025-01-01"})
    w.record("member", "disclosure.published", {
        "disclosure_id": "d1", "category": "decision", "period": "2025-03",
        "title": "加装电梯方案" + hostile[:60], "body": hostile + "\n\n" + LONG_WORD,
        "attachments": [{"name": "会议纪要.pdf", "sha256": sha("minutes")}]})
    w.record("member", "disclosure.corrected", {
        "disclosure_id": "d1", "correction_id": "d1-c1", "body": "更正后的内容：" + hostile,
        "reason": "金额写错了"})
    w.record("member", "disclosure.published", {
        "disclosure_id": "d2", "category": "work_items", "period": "2025",
        "title": "2025 年社区工作事项准入清单", "body": "清单内容"})
    w.record("member", "disclosure.retracted", {"disclosure_id": "d2", "reason": "重复发布"})
    w.record("treasurer", "fund.opened", {"fund_id": "f1", "name": "幸福微基金",
                                          "purpose": "社区小项目", "opened_on": "2025-03-01"})
    donor = PrivateRecord.commit(PRIVATE)
    w.record("treasurer", "fund.donation_recorded", {
        "fund_id": "f1", "donation_id": "don1", "amount_fen": 500_000, "channel": "wechat",
        "receipt_no": "R001", "received_on": "2025-03-02", "donor_commitment": donor.commitment,
        "display": "masked", "display_name": "赵*", "consent_sha256": sha("consent")},
        (donor,))
    anon = PrivateRecord.commit({"name": "钱隐名", "phone": "13800001111"})
    w.record("treasurer", "fund.donation_recorded", {
        "fund_id": "f1", "donation_id": "don2", "amount_fen": 120_050, "channel": "cash",
        "receipt_no": "R002", "received_on": "2025-03-03", "restriction": "elderly",
        "donor_commitment": anon.commitment, "note": hostile[:150]}, (anon,))
    w.record("member", "project.discovered", {
        "project_id": "p1", "title": "楼道照明改造", "description": hostile,
        "estate_id": "e1", "source": "走访", "discovered_on": "2025-03-04"})
    w.record("member", "project.classified", {"project_id": "p1", "category": "设施",
                                              "classified_on": "2025-03-05"})
    w.record("member", "decision.meeting_held", {
        "meeting_id": "m1", "body": "residents_assembly", "title": "三月居民代表会议",
        "held_on": "2025-03-06", "attendance": {"eligible": 30, "present": 25}})
    w.record("member", "decision.resolved", {
        "decision_id": "dec1", "meeting_id": "m1", "agenda_item": "楼道照明改造拨款",
        "votes": {"for": 20, "against": 3, "abstain": 2}, "passed": True,
        "resolution": "同意从微基金拨款。" + hostile,
        "authorises": [{"type": "grant", "fund_id": "f1", "project_id": "p1",
                        "cap_fen": 300_000},
                       {"type": "spend", "estate_id": "e1", "category": "repairs",
                        "cap_fen": 1_000_000}]})
    w.record("member", "project.designed", {"project_id": "p1", "plan": "更换 LED 灯",
                                            "budget_fen": 250_000, "decision_id": "dec1",
                                            "designed_on": "2025-03-07"})
    w.record("treasurer", "fund.grant_made", {
        "fund_id": "f1", "grant_id": "g1", "amount_fen": 250_000, "project_id": "p1",
        "purpose": "楼道照明改造", "decision_id": "dec1", "granted_on": "2025-03-08"})
    w.record("treasurer", "fee.budget_set", {"estate_id": "e1", "year": 2025, "lines": [
        {"category": "cleaning", "amount_fen": 2_000_000},
        {"category": "repairs", "amount_fen": 500_000}]})
    w.record("treasurer", "fee.income_recorded", {
        "estate_id": "e1", "income_id": "i1", "source": "property_fee", "period": "2025-03",
        "amount_fen": 3_000_000, "received_on": "2025-03-10"})
    w.record("treasurer", "fee.income_recorded", {
        "estate_id": "e1", "income_id": "i2", "source": "parking", "period": "2025-03",
        "amount_fen": 400_000, "received_on": "2025-03-10"})
    w.record("treasurer", "fee.spend_recorded", {
        "estate_id": "e1", "spend_id": "s1", "category": "cleaning", "vendor": "洁净保洁公司",
        "amount_fen": 150_000, "invoice_sha256": sha("inv1"), "spent_on": "2025-03-11",
        "description": "三月保洁"})
    spend = w.record("treasurer", "fee.spend_recorded", {
        "estate_id": "e1", "spend_id": "s2", "category": "repairs", "vendor": hostile[:100],
        "amount_fen": 800_000, "invoice_sha256": sha("inv2"), "spent_on": "2025-03-12",
        "description": "水泵大修", "decision_id": "dec1"})
    w.record("member", "project.implemented", {"project_id": "p1", "summary": "已完工",
                                               "completed_on": "2025-03-13"})
    w.record("member", "evaluation.opened", {
        "round_id": "ev1", "subject": "property_company", "title": "2025 年一季度物业评议",
        "criteria": ["保洁", "安保"], "method": "questionnaire", "opened_on": "2025-03-14"})
    w.record("member", "evaluation.results_recorded", {
        "round_id": "ev1", "eligible": 100, "closed_on": "2025-03-20",
        "groups": [{"group": "全体", "satisfied": 40, "basically_satisfied": 30,
                    "dissatisfied": 10, "score_centi": 8550}]})
    w.record("member", "evaluation.consequence_recorded", {
        "round_id": "ev1", "consequence": "物业费绩效部分足额发放。", "decision_id": "dec1"})
    w.record("member", "project.evaluated", {"project_id": "p1", "summary": "居民满意",
                                             "evaluated_on": "2025-03-21"})
    # an objection to the big repair, answered by its recorder; one to a proposal, open
    w.record("member", "oversight.objection_raised", {
        "objection_id": "o1", "log_index": spend, "reason": "水泵大修的验收单在哪里？" + hostile[:80],
        "raised_on": "2025-03-22"})
    w.record("treasurer", "oversight.objection_answered", {
        "objection_id": "o1", "answer": "验收单已存居委会备查。" + hostile[:80],
        "answered_on": "2025-03-23"})
    w.record("member", "oversight.objection_raised", {
        "objection_id": "o2", "proposal_id": "prop1xK0b9T2mVwQ8nR4sY", "reason": "请先公开比价材料。",
        "raised_on": "2025-03-24"})
    return w
