"""The read path: communities, members, keys, records with filters and cursors, projections."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Served
from tests.api.helpers import disclosure


def _all(served: Served, **params: Any) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        r = served.client.get("/v1/communities/testcom/records", params=query)
        assert r.status_code == 200, r.text
        page = r.json()
        records += page["records"]
        cursor = page["next_cursor"]
        if cursor is None:
            return records


def test_communities_members_and_keys(served: Served) -> None:
    r = served.client.get("/v1/communities")
    [community] = r.json()["communities"]
    assert community["community"] == "testcom" and community["name"] == "测试社区"
    assert [e["estate_id"] for e in community["estates"]] == ["e1", "e2"]
    members = served.client.get("/v1/communities/testcom/members").json()["members"]
    assert {m["member_id"]: m["role"] for m in members} == {
        "chair": "chair", "member": "member", "treasurer": "treasurer",
        "supervisor": "supervisor"}
    keys = served.client.get("/v1/communities/testcom/keys").json()["keys"]
    assert {k["key_id"] for k in keys} == {served.committee.keys[n].key_id for n in
                                           ("chair", "member", "treasurer", "supervisor")}
    assert served.client.get("/v1/communities/nowhere/members").status_code == 404


def test_records_filter_and_paginate(served: Served) -> None:
    c = served.committee
    c.fund()
    c.donate("d1", 10_000)
    for n in range(7):
        c.app.submit(disclosure(c, n))
    c.record("chair", "fee.budget_set", {"estate_id": "e1", "year": 2025, "lines": [
        {"category": "cleaning", "amount_fen": 500_000}]})
    c.clock.advance(days=32)  # recorded on the day it was spent, 2 April
    c.record("treasurer", "fee.spend_recorded", {
        "estate_id": "e1", "spend_id": "s1", "category": "cleaning", "vendor": "保洁公司",
        "amount_fen": 120_000, "invoice_sha256": "a" * 64, "spent_on": "2025-04-02",
        "description": "四月保洁"})
    everything = _all(served, limit=3)
    assert [r["index"] for r in everything] == list(range(c.app.size("testcom")))
    assert [r["index"] for r in _all(served, kind="disclosure", limit=2)] == \
        [r["index"] for r in everything if r["kind"] == "disclosure.published"]
    assert {r["kind"] for r in _all(served, kind="fund")} == {"fund.opened",
                                                              "fund.donation_recorded"}
    assert [r["body"]["spend_id"] for r in _all(served, estate="e1", category="cleaning")] == \
        ["s1"]
    assert [r["kind"] for r in _all(served, estate="e1", period="2025-04")] == \
        ["fee.spend_recorded"]
    assert {r["kind"] for r in _all(served, period="2025")} >= {"fee.budget_set",
                                                               "disclosure.published"}
    for bad in ({"limit": 0}, {"limit": 101}, {"cursor": "-1"}, {"kind": "a b"},
                {"period": "March"}):
        r = served.client.get("/v1/communities/testcom/records", params=bad)
        assert r.status_code == 400 and r.json()["code"] == "invalid-parameter"


def test_projections(served: Served) -> None:
    c = served.committee
    c.fund()
    c.donate("d1", 10_000)
    c.donate("d2", 5_000, restriction="elderly")
    funds = served.client.get("/v1/communities/testcom/projections/funds").json()
    [fund] = funds["items"]
    assert fund["balance_fen"] == 15_000
    assert fund["available_fen"] == {"elderly": 5_000, "general": 10_000}
    assert (fund["donation_count"], fund["grant_count"]) == (2, 0)
    donations = served.client.get("/v1/communities/testcom/projections/donations").json()
    assert [(d["fund_id"], d["donation_id"], d["donor"]) for d in donations["items"]] == [
        ("f1", "d1", "匿名捐赠人"), ("f1", "d2", "匿名捐赠人")]
    assert "张三" not in str(funds) + str(donations)  # private donor data stays private
    for name in ("fees", "disclosures", "decisions", "evaluations", "projects", "grants",
                 "income", "spends"):
        r = served.client.get(f"/v1/communities/testcom/projections/{name}")
        assert r.status_code == 200 and r.json()["size"] == c.app.size("testcom")
    assert served.client.get("/v1/communities/testcom/projections/x").status_code == 404


def test_readers_never_see_a_refused_record(served: Served) -> None:
    c = served.committee
    c.fund()
    bad = c.cosign(["treasurer", "chair"], "fund.grant_made", {
        "fund_id": "f1", "grant_id": "g1", "amount_fen": 100, "purpose": "x",
        "decision_id": "nope", "granted_on": "2025-03-01"})
    assert served.client.post("/v1/communities/testcom/records",
                              json=bad.to_json()).status_code in (404, 422)
    funds = served.client.get("/v1/communities/testcom/projections/funds").json()
    assert funds["items"][0]["grant_count"] == 0
    assert served.client.get("/v1/communities/testcom/projections/grants").json()["items"] == []


def test_the_fees_projection_shows_every_budget_revision(served: Served) -> None:
    c = served.committee
    c.record("treasurer", "fee.budget_set", {"estate_id": "e1", "year": 2025, "lines": [
        {"category": "cleaning", "amount_fen": 1_000}]})
    c.decide("R1", [{"type": "budget", "estate_id": "e1", "year": 2025, "cap_fen": 5_000}])
    c.record(["treasurer", "chair", "supervisor"], "fee.budget_set", {
        "estate_id": "e1", "year": 2025, "decision_id": "R1",
                                             "lines": [{"category": "cleaning", "amount_fen": 5_000}]})
    fees = served.client.get("/v1/communities/testcom/projections/fees").json()["items"]
    [e1] = [f for f in fees if f["estate_id"] == "e1"]
    assert [(b["revision"], b["decision_id"], b["lines"]) for b in e1["budget_history"]] == [
        (0, None, [{"category": "cleaning", "amount_fen": 1_000}]),
        (1, "R1", [{"category": "cleaning", "amount_fen": 5_000}])]
    assert e1["budget_vs_actual"][0]["budget_fen"] == 5_000
