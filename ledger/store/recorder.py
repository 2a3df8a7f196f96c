"""The event store: eventsourcing-sqlalchemy's application recorder, writing in our transactions.

``PERSISTENCE_MODULE`` for the ledger application is ``ledger.store.recorder:Factory``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import StoredEvent
from eventsourcing_sqlalchemy.factory import Factory as SQLAlchemyFactory
from eventsourcing_sqlalchemy.recorders import SQLAlchemyApplicationRecorder
from sqlalchemy import insert
from sqlalchemy.engine import Connection, Engine

if TYPE_CHECKING:
    from ledger.store.store import Transaction


class LogRecorder(SQLAlchemyApplicationRecorder):
    """eventsourcing-sqlalchemy's application recorder, writing stored events with one Core
    ``INSERT … RETURNING id`` on a SQLAlchemy connection instead of through an ORM session: the
    same table, rows, table lock (PostgreSQL), notification ids and NOTIFY, at a fraction of the
    CPU. Given ``transaction=``, it writes in that store transaction, so that the ledger commits a
    log entry, its tree hashes and any private data together."""

    def insert_events(self, stored_events: Sequence[StoredEvent], *,
                      transaction: Transaction | None = None, **kwargs: Any) -> Sequence[int] | None:
        if transaction is not None:
            return self._insert_on(transaction.conn, stored_events)
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
