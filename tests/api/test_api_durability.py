"""Many writers and crashes: no gap, no duplicate index, no fork, nothing receipted is lost."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from ledger.api import Settings, create_app
from tests.api.helpers import Load, check_log, disclosure, hammer, live, start_service, wait_until
from tests.committee import Committee
from tests.conftest import _PG_SKIP, drop_pg_database, fresh_pg_database


def test_concurrent_requests_on_sqlite_are_serialised(committee: Committee) -> None:
    app = create_app(committee.app, Settings(rate_per_address=0, rate_per_key=0))
    subs = [disclosure(committee, n) for n in range(160)]
    with live(app) as url:
        seen = hammer([url], subs, threads=16)
        assert seen.refused == [] and seen.errors == 0 and len(seen.receipts) == 160
        with httpx.Client(base_url=url) as client:
            current = check_log(client, "testcom", seen)
    first = min(r["index"] for r in seen.receipts)
    assert sorted(r["index"] for r in seen.receipts) == list(range(first, current.size))


@pytest.mark.postgres
@pytest.mark.slow
def test_two_service_processes_on_one_postgresql_database(tmp_path: Path) -> None:
    if _PG_SKIP:
        pytest.skip(_PG_SKIP)
    url, name = fresh_pg_database()
    services = []
    try:
        committee = Committee.found(url)
        committee.app.store.engine.dispose()
        services = [start_service(url, tmp_path / f"serve{n}.log") for n in range(2)]
        subs = [disclosure(committee, n, now=True) for n in range(240)]
        seen = hammer([s.url for s in services], subs, threads=16)
        assert seen.refused == [] and seen.errors == 0 and len(seen.receipts) == 240
        for service in services:
            with httpx.Client(base_url=service.url) as client:
                current = check_log(client, "testcom", seen)
        assert sorted(r["index"] for r in seen.receipts) == list(range(current.size - 240,
                                                                         current.size))
    finally:
        for service in services:
            service.terminate()
        drop_pg_database(name)


ROUNDS = 20


@pytest.mark.slow
def test_sigkill_during_concurrent_writes_loses_nothing_receipted(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    committee = Committee.found(url)
    committee.app.store.engine.dispose()
    rng = random.Random()
    log = tmp_path / "serve.log"
    service = start_service(url, log)
    everything = Load([], [], 0)
    interrupted = 0  # rounds where the kill cut requests off in flight
    last: list[str] = []  # the current checkpoint after the previous round
    with ThreadPoolExecutor(1) as pool:
        for round_ in range(ROUNDS):
            subs = [disclosure(committee, n, now=True, tag=f"r{round_}-") for n in range(300)]
            stop = threading.Event()
            seen = Load([], [], 0)
            load = pool.submit(hammer, [service.url], subs, 16, stop, load=seen)
            # a random moment in the middle of the writes: after a random number of answers,
            # however long the clients took to start
            answers = rng.randint(1, 200)
            wait_until(lambda: len(seen.receipts) >= answers or load.done(),  # noqa: B023
                       f"{answers} answers from the service")
            service.kill()
            stop.set()
            assert load.result() is seen and seen.refused == []
            interrupted += seen.errors > 0
            everything.receipts += seen.receipts
            service = start_service(url, log)
            with httpx.Client(base_url=service.url) as client:
                # Every receipted record of every round is checked; checkpoints only this round's
                # and the last current one: consistency is transitive, so every earlier
                # checkpoint is then consistent with this one too (and the cost stays linear).
                fresh = [r["checkpoint"] for r in seen.receipts] + seen.checkpoints + last
                check_log(client, "testcom", everything, checkpoints=fresh)
                last = [client.get("/log/testcom/checkpoint").text]
    service.terminate()
    assert everything.receipts
    assert interrupted >= ROUNDS // 2, "the kills did not land in the middle of writes"
