"""``sunlight db init --partitioned``: the event store and our community tables partitioned by
community on PostgreSQL, each community's rows in one partition of each table. (The storage
suites run on this layout too: ``storage_db_url`` in tests/conftest.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

import ledger.cli  # noqa: F401  (registers every command)
from ledger.cli.root import app
from ledger.store.partitioned import partitioned_tables
from tests.committee import Committee
from tests.conftest import _PG_SKIP, drop_pg_database, fresh_pg_database

pytestmark = pytest.mark.postgres
runner = CliRunner()


def sunlight(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes is not None else "")


@pytest.fixture
def empty_pg() -> Iterator[str]:
    if _PG_SKIP:
        pytest.skip(_PG_SKIP)
    url, name = fresh_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(name)


def test_each_community_lives_in_one_partition_of_each_table(empty_pg: str) -> None:
    code, output = sunlight("db", "init", "--partitioned", "--partitions", "4", "--db", empty_pg)
    assert code == 0, output
    assert "sunlight_events（4 个分区）" in output
    a = Committee.found(empty_pg, "alpha")
    b = Committee.found(empty_pg, "beta")
    for c in (a, b):
        c.fund()
        c.donate("d1", 10_000)
    assert partitioned_tables(a.app.store) == {
        "sunlight_events": 4, "sunlight_tree": 4, "sunlight_private": 4, "sunlight_cosignatures": 4}
    with a.app.store.engine.connect() as conn:
        for table, key in [("sunlight_events", "originator_id"), ("sunlight_tree", "community_id"),
                           ("sunlight_private", "community_id")]:
            rows = conn.execute(text(f"SELECT {key}, count(DISTINCT tableoid) FROM {table} "
                                     f"GROUP BY {key}")).all()
            assert len(rows) == 2 and all(n == 1 for _, n in rows), (table, rows)
    assert a.app.size("alpha") == b.app.size("beta") > 5


def test_only_a_new_postgresql_database_is_partitioned(empty_pg: str, tmp_path: Path) -> None:
    Committee.found(empty_pg)
    code, output = sunlight("db", "init", "--partitioned", "--db", empty_pg)
    assert code == 2 and "只能在新的空数据库中建立" in output and "Traceback" not in output
    code, output = sunlight("db", "init", "--partitioned", "--db", f"sqlite:///{tmp_path / 'x.db'}")
    assert code == 2 and "只能建在 PostgreSQL 上" in output
    code, output = sunlight("db", "init", "--db", f"sqlite:///{tmp_path / 'y.db'}")
    assert code == 0 and "已建表" in output
