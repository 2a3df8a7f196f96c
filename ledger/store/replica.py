"""Reads from a PostgreSQL hot standby (``sunlight serve --read-db``), writes on the primary.

The :class:`ReadStore` answers the read side's queries -- the communities, a log's stored events
and head, tree hashes -- from the standby when the reader's context allows it
(:func:`reading_from_standby`), else from the primary. Everything else, every write and every
read a write depends on, stays on the primary (:attr:`ledger.application.Sunlight.store`).

A standby lags its primary by the time it takes to replay the primary's log (milliseconds on a
healthy pair). The logs are append-only, so what the standby holds is always a prefix of what
the primary holds: a read there is never wrong, only possibly older. Where a reader already
knows of rows beyond that prefix (a record index or a tree hash it was given by a newer read),
the rows the standby does not have yet are read from the primary. A standby that fails a query
is left for the primary too, with a warning in the log.

A client that has just written reads its own write: the write's response carries the primary's
log position after the commit (:meth:`ledger.store.Store.wal_position`), and a read that brings
it back is answered by the standby only once the standby has replayed that far
(:meth:`ledger.store.Store.replay_position`); see :mod:`ledger.api.consistency`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar
from uuid import UUID

import sqlalchemy.exc
from sqlalchemy import create_engine

from ledger.crypto.merkle import NodeId
from ledger.store.store import LogRow, Store

log = logging.getLogger("sunlight.replica")
T = TypeVar("T")

# Whether the current read may be answered by the standby: set per request by the service, and
# for its own background reads (loading read views); everything else reads the primary.
_STANDBY: ContextVar[bool] = ContextVar("sunlight_read_from_standby", default=False)

_LSN = re.compile(r"([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})")


def parse_lsn(text: str) -> int | None:
    """A PostgreSQL log position (``16/B374D848``) as a number; None if it is not one."""
    match = _LSN.fullmatch(text.strip())
    if match is None:
        return None
    return int(match[1], 16) << 32 | int(match[2], 16)


@contextmanager
def reading_from_standby(allowed: bool = True) -> Iterator[None]:
    """Reads in this context (and in the threads it hands work to) may use the standby."""
    token = _STANDBY.set(allowed)
    try:
        yield
    finally:
        _STANDBY.reset(token)


class StandbyError(Exception):
    """``--read-db`` is not a hot standby this service can read from."""


class ReadStore:
    """The read side's queries, on the standby where allowed, else on the primary."""

    def __init__(self, primary: Store, standby: Store | None = None) -> None:
        self.primary = primary
        self.standby = standby

    @classmethod
    def open(cls, primary: Store, read_db_url: str) -> ReadStore:
        """``primary`` with the hot standby at ``read_db_url``; :class:`StandbyError` if that is
        not a PostgreSQL hot standby."""
        if primary.engine.dialect.name != "postgresql":
            raise StandbyError("只读副本（--read-db）需要 PostgreSQL 主库和它的热备库")
        engine = create_engine(read_db_url)
        try:
            with engine.connect() as conn:
                in_recovery = conn.exec_driver_sql("SELECT pg_is_in_recovery()").scalar()
        except sqlalchemy.exc.SQLAlchemyError as exc:
            engine.dispose()
            raise StandbyError(f"无法连接只读副本（--read-db）：{type(exc).__name__}") from None
        if engine.dialect.name != "postgresql" or not in_recovery:
            engine.dispose()
            raise StandbyError("--read-db 指向的数据库不是热备库（pg_is_in_recovery() 为假）："
                               "读副本必须是主库的流复制热备库")
        return cls(primary, Store.standby(engine, primary))

    def close(self) -> None:
        if self.standby is not None:
            self.standby.close()

    @property
    def uses_standby(self) -> bool:
        """The current context's reads go to the standby."""
        return self.standby is not None and _STANDBY.get()

    def _read(self, query: Callable[[Store], T]) -> T:
        standby = self.standby
        if standby is None or not _STANDBY.get():
            return query(self.primary)
        try:
            return query(standby)
        except sqlalchemy.exc.OperationalError as exc:
            log.warning("standby read failed, reading the primary: %s", exc.orig or exc)
            return query(self.primary)

    def replay_position(self) -> int | None:
        """How far the standby has replayed (None: no standby, or it did not answer)."""
        if self.standby is None:
            return None
        try:
            lsn = self.standby.replay_position()
        except sqlalchemy.exc.OperationalError as exc:
            log.warning("standby did not answer its replay position: %s", exc.orig or exc)
            return None
        return None if lsn is None else parse_lsn(lsn)

    def lag(self) -> tuple[str | None, int | None]:
        """Where the standby has replayed to, and how many bytes of the primary's log it has
        still to replay (None where unknown)."""
        replayed = self.replay_position()
        try:
            written = self.primary.wal_position()
        except sqlalchemy.exc.OperationalError:
            written = None
        at = None if written is None else parse_lsn(written)
        if replayed is None:
            return None, None
        text = f"{replayed >> 32:X}/{replayed & 0xFFFFFFFF:X}"
        return text, None if at is None else max(0, at - replayed)

    # --- what the read side asks ---------------------------------------------------------------

    def founded_log(self, community_id: str) -> LogRow | None:
        return self._read(lambda s: s.founded_log(community_id))

    def founded_logs(self) -> list[LogRow]:
        return self._read(lambda s: s.founded_logs())

    def stored_events(self, log: UUID, versions: list[int] | None = None, *,
                      after: int | None = None, limit: int = 2000
                      ) -> list[tuple[int, str, bytes | memoryview]]:
        """As :meth:`Store.stored_events`; events asked for by version that the standby has not
        replayed yet are read from the primary."""
        rows = self._read(lambda s: s.stored_events(log, versions, after=after, limit=limit))
        if versions is None or not self.uses_standby or len(rows) == len(set(versions)):
            return rows
        have = {r[0] for r in rows}
        rows += self.primary.stored_events(log, [v for v in versions if v not in have])
        return sorted(rows, key=lambda r: r[0])

    def last_with_cosignatures(self, log: UUID, community_id: str
                               ) -> tuple[tuple[int, str, bytes | memoryview] | None, list[str]]:
        return self._read(lambda s: s.last_with_cosignatures(log, community_id))

    def nodes(self, community_id: str, ids: list[NodeId], required: list[NodeId]
              ) -> dict[NodeId, bytes]:
        """The stored tree hashes among ``ids`` (as :meth:`Store.node_reader`); those of
        ``required`` -- hashes the reader knows exist -- that the standby has not replayed yet
        are read from the primary."""
        if not self.uses_standby:
            return self.primary.node_reader(community_id)(ids)
        assert self.standby is not None
        try:
            found = self.standby.node_reader(community_id)(ids)
        except sqlalchemy.exc.OperationalError as exc:
            log.warning("standby read failed, reading the primary: %s", exc.orig or exc)
            return self.primary.node_reader(community_id)(ids)
        missing = [i for i in required if i not in found]
        if missing:
            found.update(self.primary.node_reader(community_id)(missing))
        return found

    def level_hashes(self, community_id: str, level: int, start: int, stop: int) -> list[bytes]:
        """As :meth:`Store.level_hashes`; a range the standby holds only part of is read from
        the primary."""
        hashes = self._read(lambda s: s.level_hashes(community_id, level, start, stop))
        if len(hashes) < stop - start and self.uses_standby:
            return self.primary.level_hashes(community_id, level, start, stop)
        return hashes
