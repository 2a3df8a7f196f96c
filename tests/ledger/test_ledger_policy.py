"""The signing policy (两人以上共同签署), through the real signed path: every default rule and
its boundaries, who may fill a seat, co-signers out of term or with a rotated key, a policy
change that applies from the next entry on, a log from before the policy, and the recovery of
the 主任's lost key."""

from __future__ import annotations

import os
from typing import Any

import orjson
import pytest

from ledger.application import Sunlight
from ledger.domain.errors import DomainError, NotAuthorised
from ledger.domain.kinds import DEFAULT_POLICY, KINDS, policy_lines
from ledger.domain.policy import Condition
from ledger.domain.state import CommunityState
from ledger.replay import replay
from ledger.signing import MemberKey
from tests.committee import Clock, Committee, member_keys
from tests.ledger.test_ledger_rules import refused, spend


def grant_ready(c: Committee) -> dict[str, Any]:
    c.clock.advance(days=1)
    c.fund()
    c.donate("d1", 10_000)
    c.decide("R1", [{"type": "grant", "fund_id": "f1", "cap_fen": 20_000}])
    return {"fund_id": "f1", "grant_id": "g1", "amount_fen": 1_000, "purpose": "楼道照明",
            "decision_id": "R1", "granted_on": "2025-03-02"}


def budget_ready(c: Committee) -> None:
    c.record("treasurer", "fee.budget_set", {"estate_id": "e1", "year": 2025, "lines": [
        {"category": "elevators", "amount_fen": 10_000_000}]})


def test_the_default_policy_reads_as_the_issue_states_it() -> None:
    lines = policy_lines(DEFAULT_POLICY)
    assert "拨付资助须出纳和主任共同签署" in lines
    assert "5,000 元及以上的登记支出须登记人和主任或监督共同签署" in lines
    assert "修订年度预算须主任和监督共同签署" in lines
    assert "设定签署规则须主任和监督共同签署" in lines
    assert "主任的密钥遗失时，更换主任密钥须监督和另一位在任成员共同签署" in lines
    for kind in ("member.admitted", "member.revoked", "member.role_assigned"):
        (rule,) = KINDS[kind].cosign
        assert rule.when is Condition.COMMITTEE_OF_THREE


def test_a_grant_needs_the_treasurer_and_the_chair(committee: Committee) -> None:
    c = committee
    grant = grant_ready(c)
    err = refused(c, "treasurer", "fund.grant_made", grant, NotAuthorised, "needs-cosign")
    assert "拨付资助须出纳和主任共同签署" in err.message and "还须主任签名" in err.message
    err = refused(c, "chair", "fund.grant_made", grant, NotAuthorised, "needs-cosign")
    assert "还须出纳签名" in err.message
    refused(c, ["chair", "supervisor"], "fund.grant_made", grant, NotAuthorised, "needs-cosign")
    refused(c, ["treasurer", "supervisor"], "fund.grant_made", grant, NotAuthorised, "needs-cosign")
    c.record(["treasurer", "chair"], "fund.grant_made", grant)
    c.record(["chair", "treasurer", "member"], "fund.grant_made", grant | {"grant_id": "g2"})


def test_a_spend_from_5000_yuan_needs_a_second_signature(committee: Committee) -> None:
    c = committee
    budget_ready(c)
    c.record("treasurer", "fee.spend_recorded", spend("s1", 499_999))  # 4,999.99 元
    refused(c, "treasurer", "fee.spend_recorded", spend("s2", 500_000), NotAuthorised,
            "needs-cosign")  # 5,000.00 元
    refused(c, "chair", "fee.spend_recorded", spend("s2", 500_000), NotAuthorised, "needs-cosign")
    refused(c, ["treasurer", "member"], "fee.spend_recorded", spend("s2", 500_000), NotAuthorised,
            "needs-cosign")
    refused(c, ["supervisor", "member"], "fee.spend_recorded", spend("s2", 500_000), NotAuthorised,
            "role-not-permitted")  # nobody who may record a spend
    c.record(["treasurer", "supervisor"], "fee.spend_recorded", spend("s2", 500_000))
    c.record(["treasurer", "chair"], "fee.spend_recorded", spend("s3", 500_000))
    c.record(["chair", "supervisor"], "fee.spend_recorded", spend("s4", 500_000))


def test_a_budget_revision_needs_the_chair_and_the_supervisor(committee: Committee) -> None:
    c = committee
    budget_ready(c)
    c.decide("R1", [{"type": "budget", "estate_id": "e1", "year": 2025, "cap_fen": 20_000_000}])
    revised = {"estate_id": "e1", "year": 2025, "decision_id": "R1",
               "lines": [{"category": "elevators", "amount_fen": 12_000_000}]}
    refused(c, ["treasurer", "chair"], "fee.budget_set", revised, NotAuthorised, "needs-cosign")
    refused(c, ["treasurer", "supervisor"], "fee.budget_set", revised, NotAuthorised, "needs-cosign")
    c.record(["chair", "supervisor"], "fee.budget_set", revised)
    # the year's first budget for another estate is no revision: one signature
    c.record("treasurer", "fee.budget_set", {"estate_id": "e2", "year": 2025, "lines": [
        {"category": "elevators", "amount_fen": 1}]})


def small_committee(tmp_path: Any) -> Committee:
    clock = Clock()
    c = Committee(Sunlight(f"sqlite:///{tmp_path / 'small.db'}", clock=clock), clock, member_keys())
    c.app.found([c.founding()], origin="test.example/small", key_seed=os.urandom(32))
    return c


def admission(c: Committee, member_id: str, role: str) -> dict[str, Any]:
    return {"member_id": member_id, "name": f"{member_id}-name", "role": role,
            "public_key": c.keys[member_id].public_b64, "term_start": "2024-01-01",
            "term_end": "2027-12-31"}


def test_committee_changes_need_a_second_member_once_three_are_in_office(tmp_path: Any) -> None:
    c = small_committee(tmp_path)
    c.record("chair", "member.admitted", admission(c, "member", "member"))  # 1 in office
    c.record("chair", "member.admitted", admission(c, "treasurer", "treasurer"))  # 2 in office
    err = refused(c, "chair", "member.admitted", admission(c, "supervisor", "supervisor"),
                  NotAuthorised, "needs-cosign")
    assert "还须另一位在任成员签名" in err.message
    refused(c, ["member", "treasurer"], "member.admitted", admission(c, "supervisor", "supervisor"),
            NotAuthorised, "role-not-permitted")
    c.record(["chair", "treasurer"], "member.admitted", admission(c, "supervisor", "supervisor"))
    refused(c, "chair", "member.role_assigned", {"member_id": "member", "role": "supervisor"},
            NotAuthorised, "needs-cosign")
    refused(c, "chair", "member.revoked", {"member_id": "member", "reason": "辞职"},
            NotAuthorised, "needs-cosign")
    c.record(["chair", "member"], "member.revoked", {"member_id": "member", "reason": "辞职"})
    c.record(["chair", "supervisor"], "member.role_assigned",
             {"member_id": "treasurer", "role": "member"})
    # a term set or a key rotated by the 主任 stays one signature
    c.record("chair", "member.term_set", {"member_id": "treasurer", "term_start": "2024-01-01",
                                          "term_end": "2027-06-30"})


def test_the_same_member_twice_fills_one_seat(committee: Committee) -> None:
    c = committee
    grant = grant_ready(c)
    sub = c.cosign(["treasurer"], "fund.grant_made", grant)
    with pytest.raises(DomainError) as err:
        c.app.submit(sub.with_signature(*sub.signatures[0]))
    assert err.value.code == "duplicate-signature"
    # the 出纳's old key and new one are the same member
    old = c.keys["treasurer"]
    new = MemberKey.from_seed(b"\x17" * 32)
    c.record("chair", "member.key_rotated", {"member_id": "treasurer", "public_key": new.public_b64})
    sub = old.cosign(_signed_by(c, new, "fund.grant_made", grant))
    with pytest.raises(NotAuthorised) as refusal:
        c.app.submit(sub)
    assert refusal.value.code == "same-member-twice"


def _signed_by(c: Committee, key: MemberKey, kind: str, body: dict[str, Any]) -> Any:
    c.keys["_one"] = key
    try:
        return c.sign("_one", kind, body)
    finally:
        del c.keys["_one"]


def test_a_co_signer_out_of_term_or_with_a_rotated_key_fills_no_seat(committee: Committee) -> None:
    c = committee
    budget_ready(c)
    c.record("chair", "member.term_set", {"member_id": "supervisor", "term_start": "2024-01-01",
                                          "term_end": "2025-02-28"})
    refused(c, ["treasurer", "supervisor"], "fee.spend_recorded", spend("s1", 600_000),
            NotAuthorised, "term-over")
    old = c.keys["chair"]
    c.keys["chair"] = MemberKey.from_seed(b"\x18" * 32)
    c.app.submit(_signed_by(c, old, "member.key_rotated",
                            {"member_id": "chair", "public_key": c.keys["chair"].public_b64}))
    c.keys["old-chair"] = old
    refused(c, ["treasurer", "old-chair"], "fee.spend_recorded", spend("s1", 600_000),
            NotAuthorised, "key-rotated")
    c.record(["treasurer", "chair"], "fee.spend_recorded", spend("s1", 600_000))


def test_a_policy_change_applies_from_the_next_entry_on(committee: Committee) -> None:
    c = committee
    grant = grant_ready(c)
    c.record(["treasurer", "chair"], "fund.grant_made", grant)
    without_grants = [r.model_dump(mode="json", exclude_none=True) for r in DEFAULT_POLICY
                      if r.kind != "fund.grant_made"]
    err = refused(c, "chair", "community.policy_set", {"rules": without_grants}, NotAuthorised,
                  "needs-cosign")
    assert "设定签署规则须主任和监督共同签署" in err.message
    # a policy asking the 出纳 alone to set policies does not let the 出纳 set it
    refused(c, ["treasurer", "member"], "community.policy_set", {"rules": []}, NotAuthorised,
            "role-not-permitted")
    c.record(["chair", "supervisor"], "community.policy_set", {"rules": without_grants})
    c.record("treasurer", "fund.grant_made", grant | {"grant_id": "g2"})
    state = c.app.state(c.community)
    assert state.policy_from == c.app.size(c.community) - 2
    # the earlier co-signed grant and the later single one both replay
    fresh = CommunityState(c.community)
    for _ in replay(fresh, c.app.entries(c.community)):
        pass
    assert fresh.size == state.size and fresh.policy == state.policy


def test_a_log_from_before_the_policy_needs_one_signature_until_it_sets_one(tmp_path: Any) -> None:
    clock = Clock()
    c = Committee(Sunlight(f"sqlite:///{tmp_path / 'old.db'}", clock=clock), clock, member_keys())
    founding = c.founding()
    old = c.sign("chair", "community.founded", {
        k: v for k, v in orjson.loads(founding.statement)["body"].items()
        if k != "policy"})
    c.app.found([old], origin="test.example/old", key_seed=os.urandom(32))
    c.record("chair", "community.estate_added", {"estate_id": "e1", "name": "一期"})
    for role in ("member", "treasurer", "supervisor"):
        c.record("chair", "member.admitted", admission(c, role, role))
    grant = grant_ready(c)
    c.record("treasurer", "fund.grant_made", grant)  # no policy: as before
    assert c.app.state(c.community).policy is None
    rules = [r.model_dump(mode="json", exclude_none=True) for r in DEFAULT_POLICY]
    c.record("chair", "community.policy_set", {"rules": rules})  # no policy yet: one signature
    refused(c, "treasurer", "fund.grant_made", grant | {"grant_id": "g2"}, NotAuthorised,
            "needs-cosign")
    assert c.app.state(c.community).policy == DEFAULT_POLICY


def test_the_chairs_lost_key_is_rotated_by_the_supervisor_and_another_member(
        committee: Committee) -> None:
    c = committee
    new = MemberKey.from_seed(b"\x19" * 32)
    rotation = {"member_id": "chair", "public_key": new.public_b64, "reason": "手机遗失"}
    err = refused(c, ["member", "treasurer"], "member.key_rotated", rotation, NotAuthorised,
                  "needs-cosign")
    assert "主任的密钥遗失时" in err.message
    refused(c, "supervisor", "member.key_rotated", rotation, NotAuthorised, "needs-cosign")
    refused(c, "member", "member.key_rotated", {"member_id": "treasurer",
                                                "public_key": new.public_b64},
            NotAuthorised, "role-not-permitted")  # recovery is for the 主任's key only
    c.record(["supervisor", "member"], "member.key_rotated", rotation)
    # the lost key signs nothing afterwards; the new one signs as the 主任
    refused(c, "chair", "member.term_set", {"member_id": "member", "term_start": "2024-01-01"},
            NotAuthorised, "key-rotated")
    c.keys["chair"] = new
    c.record("chair", "member.term_set", {"member_id": "member", "term_start": "2024-01-01",
                                          "term_end": "2027-12-31"})


def test_the_readmes_policy_table_is_generated_from_the_registry() -> None:
    from pathlib import Path

    from ledger.domain.kinds import policy_markdown

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    table = readme.split("<!-- policy:begin -->\n", 1)[1].split("<!-- policy:end -->", 1)[0]
    assert table == policy_markdown(), "regenerate the README's table with policy_markdown()"
