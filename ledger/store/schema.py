"""Opening a database: our tables, the upgrades of tables older releases created, the SQLite
connection settings and the connection pool."""

from __future__ import annotations

import contextlib
import hashlib
from typing import Any

from sqlalchemy import event, insert, inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.pool import QueuePool

from ledger.store.tables import logs_table, metadata, private_table, salts_table, witnesses_table

POOL_SIZE = 32


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


def _add_witness_label(engine: Engine) -> None:
    """A ``sunlight_witnesses`` table created before witnesses had a display name: add the column
    (NULL: the portal calls the witness by its key name). Idempotent, like :func:`_migrate`."""
    columns = {c["name"] for c in inspect(engine).get_columns(witnesses_table.name)}
    if "label" in columns:
        return
    sql = f"ALTER TABLE {witnesses_table.name} ADD COLUMN " + (
        "IF NOT EXISTS label VARCHAR(100)" if engine.dialect.name == "postgresql"
        else "label VARCHAR(100)")
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(sql)
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


def is_standby(engine: Engine) -> bool:
    """A PostgreSQL hot standby (read only: it replays its primary's log)."""
    if engine.dialect.name != "postgresql":
        return False
    with engine.connect() as conn:
        return bool(conn.exec_driver_sql("SELECT pg_is_in_recovery()").scalar())


def prepare(engine: Engine, *, read_only: bool = False) -> None:
    """Creates our tables; makes SQLite wait for a writer instead of failing at once and zero
    what it deletes. On a hot standby (``read_only``) only the pool is set up: its tables are
    the primary's, created and upgraded there."""
    if read_only:
        engine.dispose()
        _pool(engine)
        return
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
    _add_witness_label(engine)
    _remember_stored_salts(engine)
    if before_salts and engine.dialect.name == "sqlite":
        # Written before deleted content was zeroed: once, rewrite the file without the copies
        # that earlier deletes and page moves left in free space.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM")
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()  # every pooled connection from now on carries the pragmas
    _pool(engine)


def _pool(engine: Engine) -> None:
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
