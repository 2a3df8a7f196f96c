"""Storage: the log's events through ``eventsourcing`` on SQLAlchemy, and the few tables beside
them (tree hashes, log keys, private data), written in the same database transaction.

Each community's log is one event stream. An accepted record is one
:class:`CommunityLog.EntryAppended` event whose ``originator_version`` is its log index + 1, so
the event store's unique (originator_id, originator_version) constraint is what guarantees a log
without gaps, duplicates or forks -- across threads, processes and hosts. The last entry of every
append batch carries the checkpoint signed over the tree that batch produced.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import StoredEvent
from eventsourcing_sqlalchemy.factory import Factory as SQLAlchemyFactory
from eventsourcing_sqlalchemy.recorders import SQLAlchemyApplicationRecorder
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    event,
    insert,
    inspect,
    select,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.pool import QueuePool

POOL_SIZE = 32
LOG_NAMESPACE = uuid.UUID("5c1d6a1e-3b7e-4d2a-9a51-5e0b5a1f0c11")

metadata = MetaData()

logs_table = Table(
    "sunlight_logs", metadata,
    Column("community_id", String(64), primary_key=True),
    Column("origin", String(200), nullable=False, unique=True),
    # The log's checkpoint signing key, only where the operator chose to keep it in the database
    # (``sunlight init --log-key-in-db``, the demo, logs founded before key files); otherwise NULL
    # (empty on a table created before key files, whose column is NOT NULL on SQLite) and the key
    # is in the operator's key directory (``ledger.logkeys``).
    Column("key_seed", LargeBinary(32), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("verifier_key", String(300), nullable=True),  # NULL on old rows: derived from key_seed
)

# One-time founding invitations (``sunlight init --invite``): the token is kept only as its
# SHA-256; using it founds the community and marks it used, in one transaction.
invitations_table = Table(
    "sunlight_invitations", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("community_id", String(64), nullable=False),
    Column("origin", String(200), nullable=False),
    Column("name", Text, nullable=False),
    Column("verifier_key", String(300), nullable=False),
    Column("key_seed", LargeBinary(32), nullable=True),  # only with --log-key-in-db
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
)

tree_table = Table(
    "sunlight_tree", metadata,
    Column("community_id", String(64), primary_key=True),
    Column("level", Integer, primary_key=True, autoincrement=False),
    Column("idx", Integer, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)

private_table = Table(
    "sunlight_private", metadata,
    Column("community_id", String(64), primary_key=True),
    Column("commitment", String(64), primary_key=True),
    Column("salt", LargeBinary(32), nullable=False),
    Column("data", Text, nullable=False),  # JSON
    Column("log_index", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# SHA-256 of every salt the ledger has accepted, kept after ``forget`` erases the salt itself: a
# salt is never accepted twice (a reused salt ties two records to one person, and the hash of a
# 32-byte random salt reveals nothing).
salts_table = Table(
    "sunlight_salts_seen", metadata,
    Column("salt_sha256", LargeBinary(32), primary_key=True),
    Column("seen_at", DateTime(timezone=True), nullable=False),
)

cosignatures_table = Table(
    "sunlight_cosignatures", metadata,
    Column("community_id", String(64), primary_key=True),
    Column("size", Integer, primary_key=True, autoincrement=False),
    Column("witness", String(200), primary_key=True),
    Column("line", Text, nullable=False),
)


class LogRecorder(SQLAlchemyApplicationRecorder):
    """eventsourcing-sqlalchemy's application recorder, writing stored events with one Core
    ``INSERT … RETURNING id`` on a SQLAlchemy connection instead of through an ORM session: the
    same table, rows, table lock (PostgreSQL), notification ids and NOTIFY, at a fraction of the
    CPU. Given ``connection=``, it writes in that connection's transaction, so that the ledger
    commits a log entry, its tree hashes and any private data together."""

    def insert_events(self, stored_events: Sequence[StoredEvent], *,
                      connection: Connection | None = None, **kwargs: Any) -> Sequence[int] | None:
        if connection is not None:
            return self._insert_on(connection, stored_events)
        engine = self.datastore.engine
        assert isinstance(engine, Engine)
        with engine.begin() as conn:
            return self._insert_on(conn, stored_events)

    def _insert_on(self, conn: Connection, stored_events: Sequence[StoredEvent]) -> Sequence[int]:
        table = self.events_record_cls.__table__
        postgres = conn.dialect.name == "postgresql"
        if postgres:  # as the library does: inserts and commits happen in one order
            conn.exec_driver_sql(f"LOCK TABLE {table.name} IN EXCLUSIVE MODE")
        rows = [{"originator_id": e.originator_id, "originator_version": e.originator_version,
                 "topic": e.topic, "state": e.state} for e in stored_events]
        ids = conn.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).scalars().all()
        if postgres:
            conn.exec_driver_sql(f"NOTIFY {self.channel_name}")
        return list(ids)


class Factory(SQLAlchemyFactory):
    """``PERSISTENCE_MODULE`` for Sunlight: eventsourcing-sqlalchemy with :class:`LogRecorder`."""

    application_recorder_class = LogRecorder


def log_id(community_id: str) -> uuid.UUID:
    return uuid.uuid5(LOG_NAMESPACE, community_id)


class CommunityLog:
    """A community's append-only log, as an event stream (never replayed as an aggregate: the
    application folds its entries into :class:`ledger.domain.state.CommunityState`)."""

    @dataclass(frozen=True)
    class EntryAppended(DomainEvent):
        entry: str  # the leaf: canonical JSON (UTF-8)
        checkpoint: str | None  # signed note over the tree ending here, on a batch's last entry


def now() -> datetime:
    return datetime.now(UTC)


DEFAULT_DB_URL = "sqlite:///sunlight.db"  # every command's --db default, and the service's


def default_db_url() -> str:
    return os.environ.get("SUNLIGHT_DB") or DEFAULT_DB_URL


def _migrate(engine: Engine) -> None:
    """Brings a ``sunlight_logs`` table created before log key files up to date (idempotent, and
    safe when several processes start at once)."""
    columns = {c["name"]: c for c in inspect(engine).get_columns(logs_table.name)}
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql(f"ALTER TABLE {logs_table.name} "
                                 "ADD COLUMN IF NOT EXISTS verifier_key VARCHAR(300)")
            if not columns["key_seed"]["nullable"]:
                conn.exec_driver_sql(f"ALTER TABLE {logs_table.name} "
                                     "ALTER COLUMN key_seed DROP NOT NULL")
    elif "verifier_key" not in columns:
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql(f"ALTER TABLE {logs_table.name} "
                                     "ADD COLUMN verifier_key VARCHAR(300)")
        except OperationalError as exc:
            if "duplicate column" not in str(exc):
                raise


def no_seed(engine: Engine) -> bytes | None:
    """What ``key_seed`` holds for a log whose key is kept outside the database: NULL, or an empty
    value where an old SQLite table's column is still NOT NULL."""
    columns = {c["name"]: c for c in inspect(engine).get_columns(logs_table.name)}
    return None if columns["key_seed"]["nullable"] else b""


def _remember_stored_salts(engine: Engine) -> None:
    """A database written before salts were remembered: remember the salts still stored. (Another
    process starting at the same time may remember them first: its rows are the same.)"""
    with contextlib.suppress(IntegrityError), engine.begin() as conn:
        if conn.execute(select(salts_table.c.salt_sha256).limit(1)).first() is not None:
            return
        rows = conn.execute(select(private_table.c.salt, private_table.c.created_at)).all()
        hashes = {hashlib.sha256(bytes(r.salt)).digest(): r.created_at for r in rows}
        if hashes:
            conn.execute(insert(salts_table), [{"salt_sha256": h, "seen_at": at}
                                               for h, at in hashes.items()])


def prepare(engine: Engine) -> None:
    """Creates our tables; makes SQLite wait for a writer instead of failing at once and zero
    what it deletes."""
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA busy_timeout = 30000")
            cursor.execute("PRAGMA synchronous = FULL")
            # Deleted content is overwritten with zeros (``forget`` must leave no copy behind).
            cursor.execute("PRAGMA secure_delete = ON")
            cursor.close()
    inspector = inspect(engine)
    before_salts = (inspector.has_table(private_table.name)
                    and not inspector.has_table(salts_table.name))
    metadata.create_all(engine)
    _migrate(engine)
    _remember_stored_salts(engine)
    if before_salts and engine.dialect.name == "sqlite":
        # Written before deleted content was zeroed: once, rewrite the file without the copies
        # that earlier deletes and page moves left in free space.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM")
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()  # every pooled connection from now on carries the pragmas
    if isinstance(engine.pool, QueuePool):
        # A service answers from up to 40 worker threads: with SQLAlchemy's default pool of 5
        # (+10 overflow) connections would be opened and closed per request, and a new SQLite
        # connection re-reads the schema on its first query.
        old = engine.pool
        # As QueuePool.recreate() does, keeping the dialect and the event listeners (pragmas).
        engine.pool = QueuePool(
            old._creator, pool_size=POOL_SIZE, max_overflow=POOL_SIZE, recycle=old._recycle,
            echo=old.echo, logging_name=old._orig_logging_name, reset_on_return=old._reset_on_return,
            pre_ping=old._pre_ping, _dispatch=old.dispatch, dialect=old._dialect)
