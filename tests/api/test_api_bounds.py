"""Reads are bounded: pages, indexes, time budgets, and nothing slow on the event loop."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.api import Settings, create_app
from ledger.api.paging import MAX_LIMIT
from ledger.api.readmodel import Filter, ReadModel, Summary, View, matching, summarise
from ledger.domain.state import CommunityState
from tests.api.conftest import Served
from tests.api.helpers import disclosure, live, start_service, wait_until
from tests.committee import Committee
from tests.conftest import _PG_SKIP, drop_pg_database, fresh_pg_database

BASE = "/v1/communities/testcom"
LISTS = ["/v1/communities", f"{BASE}/members", f"{BASE}/keys", f"{BASE}/records",
         *(f"{BASE}/projections/{name}" for name in (
             "funds", "fees", "disclosures", "decisions", "evaluations", "projects",
             "donations", "grants", "income", "spends"))]


def _walk(client: httpx.Client, path: str, key: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a list, page by page, following the ``Link`` header."""
    items: list[dict[str, Any]] = []
    r = client.get(path, params=params)
    while True:
        assert r.status_code == 200, r.text
        page = r.json()
        items += page[key]
        if page["next_cursor"] is None:
            assert "link" not in r.headers
            return items
        link = r.headers["link"]
        assert link.endswith('>; rel="next"') and f"cursor={page['next_cursor']}" in link
        r = client.get(link[1:link.index(">")])


@pytest.mark.parametrize("path", LISTS)
def test_a_page_too_large_is_refused_in_chinese(served: Served, path: str) -> None:
    r = served.client.get(path, params={"limit": MAX_LIMIT + 1})
    assert r.status_code == 400, r.text
    problem = r.json()
    assert r.headers["content-type"] == "application/problem+json"
    assert problem["code"] == "invalid-parameter" and problem["title"] == "请求有误"
    assert f"1 到 {MAX_LIMIT}" in problem["detail"]
    assert served.client.get(path, params={"limit": MAX_LIMIT}).status_code == 200


def test_projections_and_members_are_paginated(served: Served) -> None:
    c = served.committee
    c.app.submit_batch([disclosure(c, n) for n in range(120)])
    first = served.client.get(f"{BASE}/projections/disclosures").json()
    assert len(first["items"]) == 50 and first["next_cursor"] == "50"
    walked = _walk(served.client, f"{BASE}/projections/disclosures", "items", limit=7)
    assert [d["disclosure_id"] for d in walked] == [f"d{n}" for n in range(120)]
    members = _walk(served.client, f"{BASE}/members", "members", limit=1)
    assert [m["member_id"] for m in members] == ["chair", "member", "treasurer", "supervisor"]
    keys = _walk(served.client, f"{BASE}/keys", "keys", limit=3)
    assert len(keys) == 4
    assert [x["community"] for x in _walk(served.client, "/v1/communities", "communities",
                                          limit=1)] == ["testcom"]


def test_a_page_stays_under_a_megabyte(served: Served) -> None:
    c = served.committee
    big = "长" * 6000  # ~18 KB of UTF-8 a disclosure, ~40 KB a record with its entry
    c.app.submit_batch([c.sign("member", "disclosure.published", {
        "disclosure_id": f"big{n}", "category": "other", "period": "2025-03",
        "title": f"公开事项 {n}", "body": big}) for n in range(60)])
    for path, key in ((f"{BASE}/records", "records"),
                      (f"{BASE}/projections/disclosures", "items")):
        r = served.client.get(path, params={"limit": MAX_LIMIT})
        assert len(r.content) <= 1_000_000 and r.json()["next_cursor"] is not None
        assert len(_walk(served.client, path, key, limit=MAX_LIMIT)) >= 60


def test_a_cursor_walk_sees_every_record_once_while_records_are_appended(served: Served) -> None:
    c = served.committee
    c.app.submit_batch([disclosure(c, n) for n in range(150)])
    before = c.app.size("testcom")
    stop = threading.Event()

    def append() -> None:
        n = 1000
        while not stop.is_set():
            c.app.submit(disclosure(c, n))
            n += 1

    writer = threading.Thread(target=append)
    writer.start()
    try:
        records = _walk(served.client, f"{BASE}/records", "records", limit=9)
        disclosures = _walk(served.client, f"{BASE}/projections/disclosures", "items", limit=9)
    finally:
        stop.set()
        writer.join()
    indexes = [r["index"] for r in records]
    assert indexes == sorted(set(indexes)) and indexes[:before] == list(range(before))
    ids = [d["disclosure_id"] for d in disclosures]
    assert len(ids) == len(set(ids)) and ids[:150] == [f"d{n}" for n in range(150)]


HTTP_FILTERS = st.builds(
    Filter, st.one_of(st.none(), st.sampled_from(["fee", "fund", "fee.spend_recorded",
                                                  "disclosure", "member", "nothing"])),
    st.one_of(st.none(), st.sampled_from(["cleaning", "security", "other"])),
    st.one_of(st.none(), st.sampled_from(["e1", "e2", "e9"])),
    st.one_of(st.none(), st.sampled_from(["2025", "2025-0", "2025-03", "2025-04", "2025-04-02",
                                          "2026", "2024", "1999"])))


def test_filters_over_http_answer_what_a_full_scan_does(served: Served) -> None:
    """Property, on a small real log: any combination of filters, at any page size, lists
    exactly the records that a full scan of the log (filtered here) finds, in log order."""
    c = served.committee
    c.clock.advance(days=400)  # 2026-04: every business date below is in the past
    c.fund()
    c.donate("d1", 10_000)
    for estate, year, categories in (("e1", 2025, ("cleaning", "security")),
                                     ("e2", 2025, ("security",)), ("e1", 2026, ("security",))):
        c.record("chair", "fee.budget_set", {"estate_id": estate, "year": year, "lines": [
            {"category": k, "amount_fen": 500_000} for k in categories]})
    for n, (estate, category, day) in enumerate([("e1", "cleaning", "2025-04-02"),
                                                 ("e2", "security", "2025-04-09"),
                                                 ("e1", "security", "2026-01-05")]):
        c.record("treasurer", "fee.spend_recorded", {
            "estate_id": estate, "spend_id": f"s{n}", "category": category, "vendor": "公司",
            "amount_fen": 1000, "invoice_sha256": f"{n:064x}", "spent_on": day,
            "description": "支出"})
    c.app.submit_batch([disclosure(c, n) for n in range(5)])
    everything = _walk(served.client, f"{BASE}/records", "records", limit=MAX_LIMIT)
    summaries = [summarise(r["kind"], r["body"]) for r in everything]

    @settings(max_examples=60, deadline=None)
    @given(HTTP_FILTERS, st.integers(1, 4))
    def check(where: Filter, limit: int) -> None:
        query = {k: v for k, v in vars(where).items() if v is not None}
        got = [r["index"] for r in _walk(served.client, f"{BASE}/records", "records",
                                         limit=limit, **query)]
        assert got == [r["index"] for r, s in zip(everything, summaries, strict=True)
                       if where.matches(s)]

    check()


SUMMARIES = st.builds(
    Summary, st.sampled_from(["fund.opened", "fund.grant_made", "fee.spend_recorded",
                              "disclosure.published"]),
    st.one_of(st.none(), st.sampled_from(["cleaning", "security", "other"])),
    st.one_of(st.none(), st.sampled_from(["e1", "e2"])),
    st.lists(st.sampled_from(["2025", "2025-03", "2025-03-14", "2025-04-02", "2024-12-30",
                              "2025-Q1"]), max_size=2).map(tuple))
FILTERS = st.builds(
    Filter, st.one_of(st.none(), st.sampled_from(["fund", "fee", "fund.opened", "fee.spend_recorded",
                                                  "disclosure"])),
    st.one_of(st.none(), st.sampled_from(["cleaning", "security"])),
    st.one_of(st.none(), st.sampled_from(["e1", "e2"])),
    st.one_of(st.none(), st.sampled_from(["2025", "2025-0", "2025-03", "2025-03-14", "2024",
                                          "2025-Q1", "1999"])))


@settings(max_examples=300, deadline=None)
@given(st.lists(SUMMARIES, max_size=60), FILTERS, st.integers(1, 7), st.integers(1, 10))
def test_the_indexes_answer_what_a_full_scan_does(summaries: list[Summary], where: Filter,
                                                  limit: int, scan: int) -> None:
    """Property: paging through the indexes (with any page size, and pages cut short by the scan
    bound) gives exactly the records a scan of every summary matches, in log order."""
    view = View(CommunityState("testcom"))
    for index, summary in enumerate(summaries):
        view.add(index, summary)
    got: list[int] = []
    cursor: int | None = 0
    while cursor is not None:
        hits, following = matching(view, where, cursor, limit, scan)
        assert len(hits) <= limit and (following is None or following > cursor)
        assert all(h >= cursor and (following is None or h < following) for h in hits)
        got += hits
        cursor = following
    assert got == [i for i, s in enumerate(summaries) if where.matches(s)]


def test_a_read_over_its_time_budget_is_a_503_problem(committee: Committee) -> None:
    app = create_app(committee.app, Settings(rate_per_address=0, rate_per_key=0, read_budget=0))
    with live(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        for path in (f"{BASE}/records", f"{BASE}/projections/funds", f"{BASE}/members",
                     "/log/testcom/checkpoint", f"{BASE}/proofs/inclusion?index=0&size=1"):
            r = client.get(path)
            assert r.status_code == 503, (path, r.text)
            assert r.headers["content-type"] == "application/problem+json"
            problem = r.json()
            assert problem["title"] == "服务暂不可用"
            assert problem["code"] in ("read-timeout", "community-loading")
            assert int(r.headers["retry-after"]) >= 1
        assert client.get("/healthz").json() == {"status": "ok"}


def test_concurrent_readers_share_one_load(committee: Committee) -> None:
    reads = ReadModel(committee.app)
    view = reads._view("testcom")
    try:
        with view.lock:  # the load cannot finish while we hold the view
            first = reads.load("testcom")
            assert first is not None and not first.done()
            assert reads.load("testcom") is first and reads.readiness("testcom") == "loading"
        assert first.result(timeout=60) is None
        assert reads.load("testcom") is None and reads.readiness("testcom") == "ready"
        assert view.size == committee.app.size("testcom")
    finally:
        reads.close()


@contextmanager
def _events_locked(url: str) -> Iterator[Callable[[], int]]:
    """Holds PostgreSQL's strongest lock on the event table, so every read of the log waits;
    yields a count of the readers waiting for it."""
    import psycopg

    from ledger.application import Sunlight

    ledger = Sunlight(url)
    table = ledger.recorder.events_record_cls.__table__.name  # type: ignore[attr-defined]
    ledger.close()
    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        conn.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")

        def waiting() -> int:
            row = conn.execute("SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = "
                               "%s::regclass", (table,)).fetchone()
            assert row is not None
            return int(row[0])

        yield waiting
        conn.rollback()


@pytest.mark.postgres
def test_healthz_answers_while_a_cold_community_loads(tmp_path: Path) -> None:
    """A community is loading (its log cannot be read) and readers of it wait: ``/healthz``
    still answers, because nothing that reads the database runs on the event loop."""
    if _PG_SKIP:
        pytest.skip(_PG_SKIP)
    url, name = fresh_pg_database()
    try:
        c = Committee.found(url)
        c.app.submit_batch([disclosure(c, n) for n in range(300)])
        size = c.app.size("testcom")
        c.app.close()
        pool = ThreadPoolExecutor(3)
        with _events_locked(url) as blocked:
            service = start_service(url, tmp_path / "serve.log",
                                    env={"SUNLIGHT_READ_BUDGET": "600"})
            waiting = [pool.submit(httpx.get, f"{service.url}{path}", timeout=600)
                       for path in (f"{BASE}/projections/disclosures", f"{BASE}/members",
                                    "/log/testcom/checkpoint")]
            try:
                # the community's load and the checkpoint read both wait for the log
                wait_until(lambda: blocked() >= 2, "the reads to reach the database", 60)
                health = httpx.get(f"{service.url}/healthz", timeout=30)
                assert health.status_code == 200 and health.json() == {"status": "ok"}
                assert not any(w.done() for w in waiting)  # they wait for the log
            except BaseException:
                service.kill()
                raise
            # leaving the block releases the log: the waiting readers are answered
        try:
            answers = [w.result() for w in waiting]
            assert [a.status_code for a in answers] == [200, 200, 200]
            assert answers[0].json()["size"] == size
            status = httpx.get(f"{service.url}/status", timeout=30).json()
            assert status["communities"]["testcom"] == {**status["communities"]["testcom"],
                                                         "size": size, "read_view": "ready"}
        finally:
            service.terminate()
            pool.shutdown()
    finally:
        drop_pg_database(name)
