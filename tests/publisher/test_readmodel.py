"""The fold that arranges records for reading (pure: records in, views out)."""

from __future__ import annotations

from publisher.readmodel import fold
from publisher.records import read_records
from tests.committee import Committee
from tests.publisher.conftest import Site


def test_fold_links_records_both_ways(site: Site) -> None:
    p = fold("testville", read_records(site.app.entries("testville")))
    assert p.name == "测试社区"
    assert len(p.records) == site.app.size("testville")
    d1 = p.disclosures["d1"]
    assert [c.body.correction_id for c in d1.corrections] == ["d1-c1"]  # type: ignore[attr-defined]
    assert p.disclosures["d2"].retraction is not None
    fund = p.funds["f1"]
    assert fund.balance == 500_000 + 120_050 - 250_000
    assert fund.pools == {"general": 250_000, "elderly": 120_050}
    assert fund.balances[-1] == ("2025-03-08", "general", 250_000)
    decision = p.decisions["dec1"]
    used = {r.kind for r in decision.uses}
    assert used == {"project.designed", "fund.grant_made", "fee.spend_recorded",
                    "evaluation.consequence_recorded"}
    for use in decision.uses:
        assert decision.record in p.links[use.index]
        assert use in p.backlinks[decision.record.index]
    project = p.projects["p1"]
    assert list(project.steps) == ["discovered", "classified", "designed", "implemented",
                                   "evaluated"]
    assert [g.body.grant_id for g in project.grants] == ["g1"]  # type: ignore[attr-defined]


def test_signer_is_resolved_as_of_the_record(site: Site) -> None:
    records = list(read_records(site.app.entries("testville")))
    assert (records[0].signer.name, records[0].signer.role.value) == ("王主任", "chair")
    spend = next(r for r in records if r.kind == "fee.spend_recorded")
    assert (spend.signer.name, spend.signer.role_zh) == ("李出纳", "出纳")
    assert spend.signer.key_id == site.writer.keys["treasurer"].key_id


def test_a_record_keeps_its_signers_role_and_name_after_they_change(committee: Committee) -> None:
    c = committee
    c.record("member", "disclosure.published", {"disclosure_id": "before", "category": "other",
                                                 "period": "2025-03", "title": "前", "body": "内容"})
    c.record(["chair", "supervisor"], "member.role_assigned", {"member_id": "member", "role": "treasurer"})
    c.record("member", "disclosure.published", {"disclosure_id": "after", "category": "other",
                                                 "period": "2025-03", "title": "后", "body": "内容"})
    records = {r.raw.get("disclosure_id"): r for r in read_records(c.app.entries(c.community))}
    assert (records["before"].signer.member_id, records["before"].signer.role.value) == ("member", "member")
    assert (records["after"].signer.member_id, records["after"].signer.role.value) == ("member", "treasurer")
    assert records["before"].signer.name == "member-name"


def test_every_budget_revision_is_kept_beside_the_original(committee: Committee) -> None:
    c = committee
    lines = [{"category": "repairs", "amount_fen": 10_000}]
    c.record("treasurer", "fee.budget_set", {"estate_id": "e1", "year": 2025, "lines": lines})
    c.decide("R1", [{"type": "budget", "estate_id": "e1", "year": 2025, "cap_fen": 25_000}])
    c.decide("R2", [{"type": "budget", "estate_id": "e1", "year": 2025, "cap_fen": 30_000}])
    for n, decision in enumerate(("R1", "R2"), start=2):
        c.record(["treasurer", "chair", "supervisor"], "fee.budget_set", {
            "estate_id": "e1", "year": 2025, "decision_id": decision,
            "lines": [{"category": "repairs", "amount_fen": 10_000 * n}]})
    p = fold(c.community, read_records(c.app.entries(c.community)))
    estate = p.estates["e1"]
    history = estate.budget_history[2025]
    assert [r.body.lines[0].amount_fen for r in history] == [10_000, 20_000, 30_000]  # type: ignore[attr-defined]
    assert [r.body.decision_id for r in history] == [None, "R1", "R2"]  # type: ignore[attr-defined]
    assert estate.budgets[2025] is history[-1] and history[0].index < history[1].index
    assert p.decisions["R1"].uses == [history[1]] and history[1] in p.backlinks[p.decisions["R1"].record.index]
    assert list(estate.budget_history) == [2025] and 2025 in estate.years()


def test_the_signing_policy_in_force_is_kept_in_plain_chinese(committee: Committee) -> None:
    c = committee
    p = fold(c.community, read_records(c.app.entries(c.community)))
    assert p.policy_record is not None and p.policy_record.index == 0
    assert "拨付资助须出纳和主任共同签署" in p.policy
    c.record(["chair", "supervisor"], "community.policy_set", {"rules": [
        {"kind": "fund.grant_made", "seats": [["treasurer"], ["chair"], ["supervisor"]]}]})
    p = fold(c.community, read_records(c.app.entries(c.community)))
    assert p.policy == ["拨付资助须出纳和主任和监督共同签署"]
    assert p.policy_record is not None and p.policy_record.kind == "community.policy_set"
