"""A streaming hot standby holds the ledger as its primary does: opened read only, it gives the
same logs, and ``sunlight log export``/``verify`` and ``sunlight publish`` run against it
(``scripts/pg-replica``'s primary and standby)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import ledger.cli  # noqa: F401  (registers every command)
from ledger.application import Sunlight
from ledger.cli.root import app
from ledger.store import ReadStore, StandbyError, log_id, reading_from_standby
from tests.committee import Committee
from tests.pgreplica import Replica, same_on_standby

pytestmark = pytest.mark.postgres
runner = CliRunner()


def sunlight(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes is not None else "")


@pytest.fixture
def databases(pg_replica: Replica) -> Iterator[tuple[str, str]]:
    primary, standby, name = pg_replica.fresh_database()
    try:
        yield primary, standby
    finally:
        pg_replica.drop(name)


def recorded(primary: str) -> Committee:
    c = Committee.found(primary)
    c.fund()
    c.donate("d1", 50_000)
    c.decide("D1")
    return c


def test_export_verify_and_publish_run_against_the_standby(
        pg_replica: Replica, databases: tuple[str, str], tmp_path: Path) -> None:
    primary, standby = databases
    c = recorded(primary)
    size = c.app.size("testcom")
    pg_replica.wait_replayed()
    same_on_standby(primary, standby)

    code, output = sunlight("log", "export", str(tmp_path / "log"), "-c", "testcom", "--db", standby)
    assert code == 0, output
    assert f"已导出 {size} 条记录" in output
    key = sunlight("log", "key", "-c", "testcom", "--db", standby)[1].strip()
    assert key == c.app.community("testcom").verifier_key
    code, output = sunlight("verify", str(tmp_path / "log"), "--key", key)
    assert code == 0, output
    assert "全部通过 VERIFIED" in output and f"{size} 条记录" in output

    code, output = sunlight("publish", "--db", standby, "-c", "testcom", "--out", str(tmp_path / "site"))
    assert code == 0, output
    logs = [p.parent for p in (tmp_path / "site").rglob("checkpoint") if (p.parent / "tile").is_dir()]
    assert logs, "the published portal holds the log"
    code, output = sunlight("verify", str(logs[0]), "--key", key)
    assert code == 0, output
    assert f"{size} 条记录" in output


def test_the_standby_refuses_writes_in_plain_words(databases: tuple[str, str]) -> None:
    primary, standby = databases
    c = recorded(primary)
    on_standby = Sunlight(standby, clock=c.clock)
    assert on_standby.store.read_only
    c.app = on_standby
    with pytest.raises(Exception, match="只读的热备库"):
        c.fund("f2")
    code, output = sunlight("serve", "--db", standby, "--port", "0")
    assert code == 2 and "--read-db" in output and "Traceback" not in output


def test_read_db_must_be_a_standby_of_postgresql(databases: tuple[str, str], tmp_path: Path) -> None:
    primary, _ = databases
    ledger = Sunlight(primary)
    with pytest.raises(StandbyError, match="不是热备库"):
        ReadStore.open(ledger.store, primary)
    on_sqlite = Sunlight(f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(StandbyError, match="PostgreSQL"):
        ReadStore.open(on_sqlite.store, primary)
    code, output = sunlight("serve", "--db", primary, "--read-db", primary, "--port", "0")
    assert code == 2 and "不是热备库" in output and "Traceback" not in output


def test_reads_go_to_the_standby_only_where_allowed(pg_replica: Replica,
                                                    databases: tuple[str, str]) -> None:
    """Writes and the reads a write depends on use the primary; the read side's queries use the
    standby only in a context that allows it -- and what the standby lacks comes from the
    primary."""
    primary, standby = databases
    c = recorded(primary)
    ledger = Sunlight(primary, clock=c.clock, read_db_url=standby)
    pg_replica.wait_replayed()
    size = ledger.size("testcom")
    pg_replica.pause()
    try:
        c.fund("f2")  # on the primary only, while the standby's replay is paused
        with reading_from_standby():
            assert len(list(ledger.entries("testcom"))) == size
            # asked by version: what the standby has not replayed comes from the primary
            rows = ledger.reads.stored_events(log_id("testcom"), [size, size + 1])
            assert [r[0] for r in rows] == [size, size + 1]
            nodes = ledger.reads.nodes("testcom", [(0, size), (0, size + 5)], [(0, size)])
            assert list(nodes) == [(0, size)]  # the one the reader knows exists, from the primary
        assert len(list(ledger.entries("testcom"))) == size + 1  # the primary, by default
    finally:
        pg_replica.resume()
