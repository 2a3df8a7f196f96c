"""Publishing the portal after writes: in the background, debounced, never blocking a write."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from ledger.api import Settings, create_app
from ledger.api.publishing import Publisher
from tests.api.helpers import START_TIMEOUT, disclosure, live
from tests.committee import Committee

RECORDS = "/v1/communities/testcom/records"


@contextmanager
def serve(committee: Committee, publish: Callable[[str], None]) -> Iterator[httpx.Client]:
    app = create_app(committee.app, Settings(rate_per_address=0, rate_per_key=0,
                                             publish=publish, publisher_name="test",
                                             publish_delay=0.2, publish_max_delay=5))
    with live(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def wait_for(client: httpx.Client, state: str, timeout: float = START_TIMEOUT) -> dict[str, Any]:
    """The publish status once it is ``state`` (or, after ``timeout``, whatever it is)."""
    deadline = time.monotonic() + timeout
    while True:
        publish: dict[str, Any] = client.get("/status").json()["communities"]["testcom"][
            "publish"]
        if publish["state"] == state or time.monotonic() > deadline:
            return publish
        time.sleep(0.02)


def test_a_burst_of_writes_publishes_once(committee: Committee) -> None:
    calls: list[str] = []
    with serve(committee, calls.append) as client:
        assert client.get("/status").json()["communities"]["testcom"]["publish"]["state"] == "idle"
        for n in range(5):
            assert client.post(RECORDS, json=disclosure(committee, n).to_json()).status_code == 201
        status = wait_for(client, "ok")
        assert status["last_result"] == "ok" and status["last_finished_at"] is not None
        assert calls == ["testcom"]


def test_a_failing_publish_is_reported_and_writes_go_on(committee: Committee) -> None:
    def broken(_community: str) -> None:
        raise RuntimeError("mkdocs exploded")

    with serve(committee, broken) as client:
        assert client.post(RECORDS, json=disclosure(committee, 1).to_json()).status_code == 201
        status = wait_for(client, "failed")
        assert status["last_error"] == "RuntimeError: mkdocs exploded"
        assert client.post(RECORDS, json=disclosure(committee, 2).to_json()).status_code == 201


def test_a_slow_publish_never_blocks_a_write(committee: Committee) -> None:
    release, finished = threading.Event(), threading.Event()

    def slow(_community: str) -> None:
        release.wait(START_TIMEOUT)  # held until the write below has been answered
        finished.set()

    with serve(committee, slow) as client:
        client.post(RECORDS, json=disclosure(committee, 1).to_json())
        assert wait_for(client, "running")["state"] == "running"
        r = client.post(RECORDS, json=disclosure(committee, 2).to_json())
        # answered while the publish is still held: the write did not wait for it
        assert r.status_code == 201 and not finished.is_set()
        release.set()
        assert wait_for(client, "ok")["state"] == "ok"


def test_without_a_publisher_status_says_not_configured(committee: Committee) -> None:
    app = create_app(committee.app)
    with live(app) as url:
        status = httpx.get(f"{url}/status").json()
    assert status["publisher"] == "not-configured"
    assert status["communities"]["testcom"]["publish"] == {"state": "not-configured"}


def test_debounce_waits_for_quiet_but_not_forever() -> None:
    now = [0.0]
    p = Publisher(lambda _c: None, delay=2, max_delay=5, clock=lambda: now[0])
    p.notify("a")
    assert p._next_due() == (None, 2)
    now[0] = 1.5
    p.notify("a")  # still busy: wait 2 s from here
    assert p._next_due() == (None, 2)
    for t in (3.0, 4.5):
        now[0] = t
        p.notify("a")
    now[0] = 5.0  # never quiet, but 5 s since the first write: publish now
    assert p._next_due() == ("a", 0.0)
