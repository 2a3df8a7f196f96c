"""Fixtures shared by every test package: storage backends and a test committee.

Storage cases run on SQLite always and on PostgreSQL when it is reachable (127.0.0.1:5432, user
postgres, trust auth, or ``SUNLIGHT_TEST_PG``). Each PostgreSQL case gets a fresh database,
dropped afterwards. When PostgreSQL is unreachable the cases are skipped with the reason shown.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from tests.committee import Committee

# Property tests check properties, not speed: no per-example deadline and no "too slow" health
# check, either of which fails a correct test on a machine whose cores are busy.
settings.register_profile("sunlight", deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("sunlight")

PG_ADMIN = os.environ.get("SUNLIGHT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_unreachable() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN.replace("+psycopg", ""), connect_timeout=3):
            return None
    except Exception as exc:  # any failure means: skip, and say why
        return f"PostgreSQL unreachable at {PG_ADMIN}: {type(exc).__name__}: {exc}"


_PG_SKIP = _pg_unreachable()


def fresh_pg_database() -> tuple[str, str]:
    """Creates an empty database; returns (its SQLAlchemy URL, its name)."""
    import psycopg

    name = f"sunlight_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", name


def drop_pg_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_OPENED: list[Any] = []  # the ledgers the running test opened (see _close_ledgers)


def close_ledgers() -> None:
    """Closes every ledger the running test opened. The database fixtures call it before they
    check or drop their database, so that no connection outlives the database it is on."""
    while _OPENED:
        _OPENED.pop().close()


@pytest.fixture(autouse=True)
def _close_ledgers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Closes every ledger a test opened, so no connection outlives its test."""
    from ledger.application import Sunlight

    original = Sunlight.__init__

    def tracking_init(self: Sunlight, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)  # type: ignore[arg-type]
        _OPENED.append(self)

    monkeypatch.setattr(Sunlight, "__init__", tracking_init)
    yield
    close_ledgers()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database on each storage backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'sunlight.db'}"
        return
    if _PG_SKIP:
        pytest.skip(_PG_SKIP)
    url, name = fresh_pg_database()
    try:
        yield url
    finally:
        close_ledgers()
        drop_pg_database(name)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres),
                        pytest.param("postgresql-partitioned", marks=pytest.mark.postgres),
                        pytest.param("postgresql-replicated", marks=pytest.mark.postgres)])
def storage_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """As ``db_url``, and two more layouts for the storage suites (a module uses it with
    ``db_url = storage_db_url``): the tables partitioned by community (``sunlight db init
    --partitioned``), and a primary with a streaming hot standby (``pg_replica``), where after
    the test the standby, opened read only, must hold every log as the primary does."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'sunlight.db'}"
        return
    if request.param == "postgresql-replicated":
        from tests.pgreplica import same_on_standby

        replica = request.getfixturevalue("pg_replica")
        primary, standby, name = replica.fresh_database()
        try:
            yield primary
            close_ledgers()
            replica.wait_replayed()
            same_on_standby(primary, standby)
        finally:
            close_ledgers()
            replica.drop(name)
        return
    if _PG_SKIP:
        pytest.skip(_PG_SKIP)
    url, name = fresh_pg_database()
    try:
        if request.param == "postgresql-partitioned":
            from ledger.store.partitioned import create_partitioned

            create_partitioned(url, partitions=4)
        yield url
    finally:
        close_ledgers()
        drop_pg_database(name)


@pytest.fixture(scope="session")
def pg_replica() -> Iterator[Any]:
    """A PostgreSQL primary and its streaming hot standby (``scripts/pg-replica``), for the
    session; skipped with the reason where they cannot run (failed under
    ``SUNLIGHT_TEST_REPLICA=require``, as in CI)."""
    from tests.pgreplica import Replica

    try:
        replica = Replica.start()
    except Exception as exc:  # no binaries, no postgres user, not root: say why
        reason = f"no PostgreSQL primary and standby (scripts/pg-replica start): {exc}"
        if os.environ.get("SUNLIGHT_TEST_REPLICA") == "require":
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield replica
    finally:
        replica.stop()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'sunlight.db'}"


@pytest.fixture
def committee(sqlite_url: str) -> Committee:
    """A founded community (幸福里 test) on SQLite with a chair, member, treasurer, supervisor."""
    return Committee.found(sqlite_url)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Debian Chromium for the browser tests of one module (skips without it)."""
    from tests.chromium import chromium

    with chromium() as b:
        yield b
