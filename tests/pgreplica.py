"""A PostgreSQL primary and a streaming hot standby of it for the tests (``scripts/pg-replica``).

The session starts one pair (the ``pg_replica`` fixture in ``tests/conftest.py``) under a temporary
directory, on two free ports, and stops it at the end. Where it cannot be started (no server
binaries, not root nor ``postgres``) the tests that need it are skipped with the script's own
words -- unless ``SUNLIGHT_TEST_REPLICA=require`` (CI), where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "pg-replica"
WAIT = 60.0  # the cap on every wait below (each waits on a condition), for a busy machine


def _free_pair() -> int:
    """A port p with p + 1 free too (the primary's and the standby's)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port: int = s.getsockname()[1]
        if port >= 65535:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no two consecutive free ports")


def _libpq(url: str) -> str:
    return url.replace("+psycopg", "")


def _wait(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what} after {WAIT:.0f} s")
        time.sleep(0.01)


@dataclass
class Replica:
    directory: Path
    primary: str  # SQLAlchemy URL of the primary's ``postgres`` database
    standby: str  # the same database on the standby

    @classmethod
    def start(cls) -> Replica:
        directory = Path(tempfile.mkdtemp(prefix="sunlight-pg-replica-"))
        env = {**os.environ, "PG_REPLICA_DIR": str(directory), "PG_REPLICA_PORT": str(_free_pair())}
        done = subprocess.run([str(SCRIPT), "start"], env=env, capture_output=True, text=True,
                              timeout=300, check=False)
        if done.returncode != 0:
            subprocess.run([str(SCRIPT), "stop"], env=env, capture_output=True, timeout=300,
                           check=False)
            shutil.rmtree(directory, ignore_errors=True)
            raise RuntimeError((done.stderr or done.stdout).strip())
        urls = dict(line.split("=", 1) for line in done.stdout.split())
        return cls(directory, urls["PRIMARY_URL"], urls["STANDBY_URL"])

    def stop(self) -> None:
        env = {**os.environ, "PG_REPLICA_DIR": str(self.directory)}
        subprocess.run([str(SCRIPT), "stop"], env=env, capture_output=True, timeout=300, check=True)

    def on(self, url: str, database: str) -> str:
        return url.rsplit("/", 1)[0] + f"/{database}"

    def fresh_database(self) -> tuple[str, str, str]:
        """An empty database on the primary, once the standby has it too: (primary URL,
        standby URL, name)."""
        name = f"sunlight_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(_libpq(self.primary), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.wait_replayed()
        return self.on(self.primary, name), self.on(self.standby, name), name

    def drop(self, name: str) -> None:
        with psycopg.connect(_libpq(self.primary), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def primary_position(self) -> str:
        with psycopg.connect(_libpq(self.primary)) as conn:
            row = conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()
        assert row is not None
        return str(row[0])

    def replayed(self, position: str) -> bool:
        with psycopg.connect(_libpq(self.standby)) as conn:
            row = conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn",
                               (position,)).fetchone()
        return bool(row and row[0])

    def wait_replayed(self) -> None:
        """Waits until the standby has replayed everything the primary has written so far."""
        position = self.primary_position()
        _wait(lambda: self.replayed(position), f"the standby to replay {position}")

    def pause(self) -> None:
        """Stops the standby replaying (it keeps receiving): its readers see the past."""
        with psycopg.connect(_libpq(self.standby), autocommit=True) as conn:
            conn.execute("SELECT pg_wal_replay_pause()")

    def resume(self) -> None:
        with psycopg.connect(_libpq(self.standby), autocommit=True) as conn:
            conn.execute("SELECT pg_wal_replay_resume()")


def same_on_standby(primary: str, standby: str) -> None:
    """Every community's log on the standby (opened read only, as ``--db``) is the primary's:
    the same entries, checkpoint, tree hashes and private data."""
    from ledger.application import Sunlight

    on_primary, on_standby = Sunlight(primary), Sunlight(standby)
    try:
        assert on_standby.store.read_only
        communities = [i.community_id for i in on_primary.communities()]
        assert [i.community_id for i in on_standby.communities()] == communities
        for community in communities:
            entries = list(on_primary.entries(community))
            assert list(on_standby.entries(community)) == entries
            assert on_standby.checkpoint(community) == on_primary.checkpoint(community)
            size = len(entries)
            for index in {0, size // 2, size - 1}:
                assert (on_standby.inclusion_proof(community, index, size)
                        == on_primary.inclusion_proof(community, index, size))
            assert on_standby.private_records(community) == on_primary.private_records(community)
    finally:
        on_primary.close()
        on_standby.close()
