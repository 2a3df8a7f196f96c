"""``sunlight serve --read-db``: reads from a streaming hot standby, a client's own writes read
back -- on a real primary and standby (``scripts/pg-replica``), through HTTP.

The standby's replay is paused (``pg_wal_replay_pause()``) to make its lag as long as the test
needs: a read then shows the past unless it carries the position of the write it must see.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from ledger.api import Settings, create_app
from ledger.application import Sunlight
from ledger.crypto.checkpoint import Checkpoint
from ledger.crypto.note import Verifier
from tests.api.helpers import disclosure, live, open_checkpoint, start_service
from tests.committee import Committee
from tests.pgreplica import Replica

pytestmark = pytest.mark.postgres

V1 = "/v1/communities/testcom"
WAIT = 0.3  # seconds a read waits for the paused standby before it reads the primary


@dataclass
class Pair:
    replica: Replica
    committee: Committee
    client: httpx.Client
    verifier: Verifier

    def checkpoint(self, **headers: str) -> Checkpoint:
        r = self.client.get("/log/testcom/checkpoint", headers=headers)
        assert r.status_code == 200, r.text
        return open_checkpoint(r.text, self.verifier)

    def reads(self, source: str) -> float:
        text = self.client.get("/metrics").text
        found = re.search(rf'^sunlight_reads_total{{source="{source}"}} (\S+)$', text, re.M)
        return float(found[1]) if found else 0.0


@pytest.fixture
def pair(pg_replica: Replica) -> Iterator[Pair]:
    primary, standby, name = pg_replica.fresh_database()
    try:
        c = Committee.found(primary)
        ledger = Sunlight(primary, clock=c.clock, read_db_url=standby)
        pg_replica.wait_replayed()
        app = create_app(ledger, Settings(rate_per_address=0, rate_per_key=0, read_after_wait=WAIT))
        with live(app) as url, httpx.Client(base_url=url, timeout=30) as client:
            v = Verifier.from_key_string(client.get(V1).json()["verifier_key"])
            yield Pair(pg_replica, c, client, v)
    finally:
        pg_replica.resume()
        pg_replica.drop(name)


def test_a_write_is_read_back_by_its_client_while_others_read_the_standby(pair: Pair) -> None:
    before = pair.checkpoint().size
    pair.replica.pause()
    r = pair.client.post(f"{V1}/records", json=disclosure(pair.committee, 1).to_json())
    assert r.status_code == 201, r.text
    position = r.headers["sunlight-read-after"]
    assert re.fullmatch(r"[0-9A-F]+/[0-9A-F]+", position)
    assert f"sunlight_read_after={position}" in r.headers["set-cookie"]
    index = r.json()["index"]

    # Without the position: the standby answers, and it has not replayed the write.
    others = httpx.Client(base_url=str(pair.client.base_url), timeout=30)  # no cookie
    with others:
        r = others.get("/log/testcom/checkpoint")
        assert open_checkpoint(r.text, pair.verifier).size == before
    standby_reads = pair.reads("standby")

    # With it (the header, or the cookie the write set): the standby does not catch up within
    # the wait, so the primary answers, with the write.
    assert pair.checkpoint(**{"Sunlight-Read-After": position}).size == before + 1
    r = pair.client.get(f"{V1}/records/{index}")  # the cookie
    assert r.status_code == 200 and r.json()["body"]["title"] == "公开事项 1"
    assert pair.reads("primary") == 2

    # Once the standby has replayed the write, it answers readers that bring the position too.
    pair.replica.resume()
    pair.replica.wait_replayed()
    assert pair.checkpoint(**{"Sunlight-Read-After": position}).size == before + 1
    proof = pair.client.get(f"{V1}/proofs/inclusion", params={"index": index, "size": before + 1})
    assert proof.status_code == 200, proof.text
    assert pair.reads("primary") == 2
    assert pair.reads("standby") >= standby_reads + 2
    status = pair.client.get("/status").json()["read_db"]
    assert re.fullmatch(r"[0-9A-F]+/[0-9A-F]+", status["replayed"]) and status["behind_bytes"] >= 0


def test_a_position_that_is_no_position_is_ignored(pair: Pair) -> None:
    for junk in ["", "garbage", "1/2/3", "ZZ/1", "0/" + "F" * 40]:
        r = pair.client.get("/log/testcom/checkpoint", headers={"Sunlight-Read-After": junk})
        assert r.status_code == 200
    assert pair.reads("primary") == 0


def test_reads_the_standby_has_not_replayed_yet_come_from_the_primary(pair: Pair) -> None:
    """A reader that names a tree size beyond the standby's log (learnt from a newer read, its
    own or another's) still gets its proof: hashes the standby does not hold yet are read from
    the primary."""
    before = pair.checkpoint().size
    pair.replica.pause()
    r = pair.client.post(f"{V1}/records", json=disclosure(pair.committee, 2).to_json())
    assert r.status_code == 201, r.text
    position = r.headers["sunlight-read-after"]
    assert pair.checkpoint(**{"Sunlight-Read-After": position}).size == before + 1
    others = httpx.Client(base_url=str(pair.client.base_url), timeout=30)
    with others:
        assert open_checkpoint(others.get("/log/testcom/checkpoint").text,
                               pair.verifier).size == before
        r = others.get(f"{V1}/proofs/consistency", params={"old": before, "new": before + 1})
        assert r.status_code == 200, r.text
        r = others.get(f"{V1}/proofs/inclusion", params={"index": before, "size": before + 1})
        assert r.status_code == 200, r.text


def test_sunlight_serve_read_db_reads_the_standby(pg_replica: Replica, tmp_path: Path) -> None:
    """The command as an operator runs it: two workers, the standby in ``SUNLIGHT_READ_DB``."""
    primary, standby, name = pg_replica.fresh_database()
    try:
        c = Committee.found(primary)
        size = c.app.size("testcom")
        pg_replica.wait_replayed()
        pg_replica.pause()
        service = start_service(primary, tmp_path / "serve.log", "--workers", "2",
                                env={"SUNLIGHT_READ_DB": standby})
        try:
            with httpx.Client(base_url=service.url, timeout=30) as client:
                r = client.post(f"{V1}/records", json=disclosure(c, 1, now=True).to_json())
                assert r.status_code == 201, r.text
                assert "sunlight-read-after" in r.headers
                with httpx.Client(base_url=service.url, timeout=30) as other:
                    assert other.get(V1).json()["size"] == size  # the paused standby
                assert client.get(V1).json()["size"] == size + 1  # its own write
        finally:
            assert service.terminate() == 0
    finally:
        pg_replica.resume()
        pg_replica.drop(name)
