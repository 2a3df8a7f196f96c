"""The ledger's storage: every query the application, the log and the service run.

The application orchestrates (checks, folds, signs); it asks the :class:`Store` for rows and
writes in a :class:`Transaction`, where the log's events (through the eventsourcing recorder),
their tree hashes, private data, remembered salts and a new log's row commit together. A write
that loses a race to another writer (the same log index, the same salt) leaves the transaction
as eventsourcing's :class:`~eventsourcing.persistence.IntegrityError`, whatever the database.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy.exc
from eventsourcing.persistence import ApplicationRecorder, IntegrityError
from sqlalchemy import bindparam, delete, exists, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.sql import Select

from ledger.crypto.merkle import NodeId
from ledger.founding import aware  # a stored time as aware UTC (SQLite's come back naive)
from ledger.signing import PrivateRecord, salt_hash
from ledger.store.events import log_id
from ledger.store.recorder import LogRecorder
from ledger.store.schema import is_standby, no_seed, prepare
from ledger.store.tables import (
    challenges_table,
    cosignatures_table,
    invitations_table,
    logs_table,
    pairings_table,
    private_table,
    proposals_table,
    salts_table,
    sessions_table,
    snapshots_table,
    tree_table,
    witnesses_table,
)
from ledger.store.witness import WitnessStore


class ReadOnlyDatabase(Exception):
    """A write asked of a hot standby: writes go to its primary."""


@dataclass(frozen=True)
class LogRow:
    """A community's log: its name, its key (the seed only where kept in the database)."""

    community_id: str
    origin: str
    key_seed: bytes | None  # empty or None where the key is in the key directory
    created_at: datetime
    verifier_key: str | None  # None on rows written before key files: derived from key_seed


@dataclass(frozen=True)
class SnapshotRow:
    """A stored snapshot: the community's state folded from the first ``size`` entries."""

    community_id: str
    size: int
    root_hash: bytes
    format: str
    data: bytes
    created_at: datetime


@dataclass(frozen=True)
class WitnessRow:
    """A witness a community's checkpoints are pushed to."""

    community_id: str
    name: str  # the witness's key name
    url: str
    verifier_key: str
    label: str | None = None  # what the portal calls it (街道办); None: its key name

    @property
    def display_name(self) -> str:
        return self.label or self.name


@dataclass(frozen=True)
class Invitation:
    token_hash: str
    community_id: str
    origin: str
    name: str
    verifier_key: str
    key_seed: bytes | None
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None


@dataclass(frozen=True)
class ProposalRow:
    """A statement waiting for co-signatures (``ledger.proposals``)."""

    proposal_id: str
    community_id: str
    kind: str
    statement: bytes
    statement_hash: str
    signatures: tuple[tuple[str, bytes], ...]
    private: tuple[PrivateRecord, ...] | None  # None once erased
    status: str  # pending | appended | expired
    created_at: datetime
    expires_at: datetime
    closed_at: datetime | None = None
    log_index: int | None = None


@dataclass(frozen=True)
class SessionRow:
    community_id: str
    member_id: str
    key_id: str
    expires_at: datetime


def _signatures_json(signatures: Sequence[tuple[str, bytes]]) -> str:
    return json.dumps([[k, base64.b64encode(sig).decode()] for k, sig in signatures])


def _private_json(private: Sequence[PrivateRecord]) -> str:
    return json.dumps([p.to_json() for p in private], ensure_ascii=False)


def _proposal_row(row: Row[Any]) -> ProposalRow:
    private = None if row.private is None else tuple(
        PrivateRecord.from_json(p) for p in json.loads(row.private))
    return ProposalRow(
        row.proposal_id, row.community_id, row.kind, row.statement.encode(), row.statement_hash,
        tuple((k, base64.b64decode(sig)) for k, sig in json.loads(row.signatures)), private,
        row.status, row.created_at, row.expires_at, row.closed_at, row.log_index)


def _log_row(row: Row[Any]) -> LogRow:
    seed = row.key_seed
    return LogRow(row.community_id, row.origin, None if seed is None else bytes(seed),
                  row.created_at, row.verifier_key)


class Transaction:
    """The writes of one database transaction (:meth:`Store.transaction`)."""

    __slots__ = ("conn", "store")

    def __init__(self, store: Store, conn: Connection) -> None:
        self.store = store
        self.conn = conn  # the recorder writes the log's events on it

    def claim_invitation(self, token_hash: str, at: datetime) -> bool:
        """Marks the invitation used; False if it was used already (by another founding)."""
        claimed = self.conn.execute(update(invitations_table).where(
            invitations_table.c.token_hash == token_hash,
            invitations_table.c.used_at.is_(None)).values(used_at=at)).rowcount
        return bool(claimed == 1)

    def add_log(self, community_id: str, origin: str, verifier_key: str, key_seed: bytes | None,
                created_at: datetime) -> None:
        """The new log's row (``key_seed`` only where the key is kept in the database). A log row
        that a founding left empty before founding was one transaction is no community: it is
        replaced."""
        events = self.store.events_table
        self.conn.execute(delete(logs_table).where(
            logs_table.c.community_id == community_id,
            ~exists(select(events.c.originator_version).where(
                events.c.originator_id == log_id(community_id)))))
        self.conn.execute(insert(logs_table).values(
            community_id=community_id, origin=origin, verifier_key=verifier_key,
            key_seed=key_seed if key_seed is not None else self.store.no_seed, created_at=created_at))

    def lock_log(self, community_id: str) -> None:
        """Holds the community's row lock until the transaction ends: other writers of the same
        log queue here."""
        self.conn.execute(update(logs_table).where(logs_table.c.community_id == community_id)
                          .values(origin=logs_table.c.origin))

    def add_nodes(self, nodes: Sequence[tuple[str, int, int, bytes]]) -> None:
        """Tree hashes ``(community_id, level, idx, hash)`` (a plain executemany: SQLAlchemy's
        statement machinery costs more than the insert)."""
        self.conn.exec_driver_sql(self.store.insert_nodes_sql, list(nodes))

    def add_private(self, community_id: str, records: Sequence[tuple[int, PrivateRecord]],
                    at: datetime) -> None:
        """Private data ``(log index, record)`` and the hashes of their salts. Every salt is new
        (refused otherwise), so every commitment is new too; a salt another process accepted
        meanwhile fails here (:class:`IntegrityError`: the append is retried and refuses it)."""
        if not records:
            return
        self.conn.execute(self.store.insert_private, [
            {"community_id": community_id, "commitment": p.commitment, "salt": p.salt,
             "data": json.dumps(p.data, ensure_ascii=False), "log_index": index, "created_at": at}
            for index, p in records])
        self.conn.execute(insert(salts_table), [{"salt_sha256": salt_hash(p.salt), "seen_at": at}
                                                for _index, p in records])


    def close_proposal(self, proposal_id: str, signatures: Sequence[tuple[str, bytes]],
                       log_index: int, at: datetime) -> bool:
        """Marks the pending proposal appended (at ``log_index``, with ``signatures``) and erases
        its private data (the log's private table holds it now); False if it is pending no more
        (another co-signer's append, or its expiry, came first)."""
        closed = self.conn.execute(update(proposals_table).where(
            proposals_table.c.proposal_id == proposal_id,
            proposals_table.c.status == "pending").values(
                status="appended", closed_at=at, log_index=log_index, private=None,
                signatures=_signatures_json(signatures))).rowcount
        return bool(closed == 1)


class Store:
    """One database: the event store's engine and every table beside it."""

    def __init__(self, recorder: ApplicationRecorder) -> None:
        assert isinstance(recorder, LogRecorder)
        engine = recorder.datastore.engine
        assert isinstance(engine, Engine)
        self._setup(engine, recorder.events_record_cls.__table__, read_only=is_standby(engine))

    @classmethod
    def standby(cls, engine: Engine, primary: Store) -> Store:
        """The same tables on a hot standby of ``primary``'s database: read only, nothing is
        created or upgraded there (the primary's schema arrives by replication)."""
        store = cls.__new__(cls)
        store._setup(engine, primary.events_table, read_only=True)
        return store

    def _setup(self, engine: Engine, events_table: Any, *, read_only: bool) -> None:
        self.engine = engine
        self.read_only = read_only
        prepare(engine, read_only=read_only)
        self.no_seed = no_seed(engine)
        self.events_table = events_table
        self._head_statements: tuple[Select[Any], Select[Any]] | None = None
        dialect = engine.dialect
        self._mark = mark = "?" if dialect.paramstyle == "qmark" else "%s"
        dialect_insert = postgresql_insert if dialect.name == "postgresql" else sqlite_insert
        self.insert_private = dialect_insert(private_table).on_conflict_do_nothing()
        self.insert_nodes_sql = (f"INSERT INTO {tree_table.name} (community_id, level, idx, hash) "
                                 f"VALUES ({mark}, {mark}, {mark}, {mark})")

    def close(self) -> None:
        """Releases every database connection."""
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One database transaction: committed when the block ends, rolled back if it raises."""
        if self.read_only:
            raise ReadOnlyDatabase("这是只读的热备库（hot standby）：记录只能写入主库")
        try:
            with self.engine.begin() as conn:
                yield Transaction(self, conn)
        except sqlalchemy.exc.IntegrityError as exc:
            raise IntegrityError(str(exc.orig)) from exc

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """A connection in a transaction for a write outside the log's transactions (proposals,
        sign-in): refused on a hot standby as :meth:`transaction` is."""
        if self.read_only:
            raise ReadOnlyDatabase("这是只读的热备库（hot standby）：只能写入主库")
        with self.engine.begin() as conn:
            yield conn

    def ping(self) -> None:
        """Raises unless the database answers a query."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def wal_position(self) -> str | None:
        """Where the primary's write-ahead log is now (``pg_current_wal_lsn()``, e.g.
        ``0/3000148``): asked after a commit, a position its standby has replayed once that
        commit is visible there. None on SQLite (no standby)."""
        if self.engine.dialect.name != "postgresql":
            return None
        with self.engine.connect() as conn:
            return str(conn.exec_driver_sql("SELECT pg_current_wal_lsn()::text").scalar())

    def replay_position(self) -> str | None:
        """How far a hot standby has replayed the primary's log (``pg_last_wal_replay_lsn()``):
        every transaction committed before it is visible to the standby's readers. None on a
        database that is not a standby."""
        if self.engine.dialect.name != "postgresql":
            return None
        with self.engine.connect() as conn:
            lsn = conn.exec_driver_sql("SELECT pg_last_wal_replay_lsn()::text").scalar()
        return None if lsn is None else str(lsn)

    # --- logs ----------------------------------------------------------------------------------

    def log(self, community_id: str) -> LogRow | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(logs_table).where(
                logs_table.c.community_id == community_id)).first()
        return None if row is None else _log_row(row)

    def founded_log(self, community_id: str) -> LogRow | None:
        """The log's row if the community is founded (it has its first entry)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(logs_table).where(
                logs_table.c.community_id == community_id)).first()
            if row is None or not self._is_founded(conn, community_id):
                return None
        return _log_row(row)

    def founded_logs(self) -> list[LogRow]:
        """Every founded community's log row, by id (a log row left empty by a failed founding is
        none)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(logs_table).order_by(logs_table.c.community_id)).all()
            return [_log_row(r) for r in rows if self._is_founded(conn, r.community_id)]

    def is_founded(self, community_id: str) -> bool:
        with self.engine.connect() as conn:
            return self._is_founded(conn, community_id)

    def _is_founded(self, conn: Connection, community_id: str) -> bool:
        events = self.events_table
        return conn.execute(select(events.c.originator_version).where(
            events.c.originator_id == log_id(community_id),
            events.c.originator_version == 1)).first() is not None

    def origin_holder(self, origin: str, other_than: str) -> str | None:
        """The founded community other than ``other_than`` whose log is named ``origin``."""
        with self.engine.connect() as conn:
            other = conn.execute(select(logs_table.c.community_id).where(
                logs_table.c.origin == origin, logs_table.c.community_id != other_than)).first()
            if other is not None and self._is_founded(conn, other.community_id):
                return str(other.community_id)
        return None

    def clear_key_seed(self, community_id: str, seed: bytes, verifier_key: str) -> None:
        """Forgets the log key kept in the database (it moved to a key file), if still ``seed``."""
        with self.engine.begin() as conn:
            conn.execute(update(logs_table).where(
                logs_table.c.community_id == community_id,
                logs_table.c.key_seed == seed).values(key_seed=self.no_seed, verifier_key=verifier_key))

    def head(self, log: UUID) -> int:
        """The log's stored size: one indexed ``max(version)`` query."""
        events = self.events_table
        with self.engine.connect() as conn:
            head = conn.execute(select(func.max(events.c.originator_version)).where(
                events.c.originator_id == log)).scalar()
        return int(head or 0)

    def stored_events(self, log: UUID, versions: list[int] | None = None, *,
                      after: int | None = None, limit: int = 2000
                      ) -> list[tuple[int, str, bytes | memoryview]]:
        """The log's stored events ``(version, topic, state)``: at ``versions`` (log index + 1),
        or the first ``limit`` after version ``after``, or else its last one. One Core statement
        on the event table's primary key (no ORM query per read, no query per run of indexes)."""
        if versions == []:
            return []
        table = self.events_table
        query = select(table.c.originator_version, table.c.topic, table.c.state).where(
            table.c.originator_id == log)
        if versions is not None:
            query = query.where(table.c.originator_version.in_(versions)).order_by(
                table.c.originator_version)
        elif after is not None:
            query = query.where(table.c.originator_version > after).order_by(
                table.c.originator_version).limit(limit)
        else:
            query = query.order_by(table.c.originator_version.desc()).limit(1)
        with self.engine.connect() as conn:
            return [(version, topic, state) for version, topic, state in conn.execute(query)]

    # --- founding invitations ------------------------------------------------------------------

    def add_invitation(self, invitation: Invitation) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(invitations_table).values(
                token_hash=invitation.token_hash, community_id=invitation.community_id,
                origin=invitation.origin, name=invitation.name,
                verifier_key=invitation.verifier_key, key_seed=invitation.key_seed,
                created_at=invitation.created_at, expires_at=invitation.expires_at,
                used_at=invitation.used_at))

    def invitation(self, token_hash: str) -> Invitation | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(invitations_table).where(
                invitations_table.c.token_hash == token_hash)).first()
        if row is None:
            return None
        seed = None if row.key_seed is None else bytes(row.key_seed)
        return Invitation(row.token_hash, row.community_id, row.origin, row.name, row.verifier_key,
                          seed, row.created_at, row.expires_at, row.used_at)

    # --- the tree ------------------------------------------------------------------------------

    def node_reader(self, community_id: str) -> Callable[[list[NodeId]], dict[NodeId, bytes]]:
        """A batched reader of stored tree hashes, for proofs and tiles: one plain statement, a
        ``UNION ALL`` branch per tree level so that each is answered from the primary key (a
        row-value ``IN`` makes SQLite scan the community's whole tree, and building the statement
        with SQLAlchemy's expression language costs more than running it)."""
        mark = self._mark
        engine = self.engine

        def get_nodes(ids: list[NodeId]) -> dict[NodeId, bytes]:
            by_level: dict[int, list[int]] = {}
            for level, idx in ids:
                by_level.setdefault(level, []).append(idx)
            branches: list[tuple[str, list[object]]] = []
            for level, indexes in sorted(by_level.items()):
                for i in range(0, len(indexes), 500):
                    part = indexes[i:i + 500]
                    branches.append((
                        f"SELECT level, idx, hash FROM {tree_table.name} WHERE community_id = {mark} "
                        f"AND level = {mark} AND idx IN ({', '.join([mark] * len(part))})",
                        [community_id, level, *part]))
            found: dict[NodeId, bytes] = {}
            with engine.connect() as conn:
                for i in range(0, len(branches), 20):
                    group = branches[i:i + 20]
                    sql = " UNION ALL ".join(q for q, _ in group)
                    args = tuple(a for _, params in group for a in params)
                    for level, idx, h in conn.exec_driver_sql(sql, args):
                        found[level, idx] = bytes(h)
            return found
        return get_nodes

    def level_hashes(self, community_id: str, level: int, start: int, stop: int) -> list[bytes]:
        """Stored node hashes of one tree level in ``[start, stop)`` -- a tile's contents."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(tree_table.c.hash).where(
                tree_table.c.community_id == community_id, tree_table.c.level == level,
                tree_table.c.idx >= start, tree_table.c.idx < stop).order_by(tree_table.c.idx))
            return [bytes(r.hash) for r in rows]

    # --- private data --------------------------------------------------------------------------

    def salts_seen(self, hashes: Sequence[bytes]) -> set[bytes]:
        """Which of the salt hashes the database has seen (erased salts too)."""
        if not hashes:
            return set()
        with self.engine.connect() as conn:
            return {bytes(h) for h in conn.execute(select(salts_table.c.salt_sha256).where(
                salts_table.c.salt_sha256.in_(hashes))).scalars()}

    def private_records(self, community_id: str) -> list[dict[str, object]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(private_table).where(
                private_table.c.community_id == community_id)).all()
        return [{"commitment": r.commitment, "data": json.loads(r.data), "log_index": r.log_index}
                for r in rows]

    def erase_private(self, community_id: str,
                      doomed: Callable[[str, dict[str, Any]], bool]) -> int:
        """Deletes the community's private records for which ``doomed(commitment, data)``; returns
        how many (the salts stay remembered as hashes)."""
        with self.engine.begin() as conn:
            rows = conn.execute(select(private_table.c.commitment, private_table.c.data).where(
                private_table.c.community_id == community_id)).all()
            erased = [r.commitment for r in rows if doomed(r.commitment, json.loads(r.data))]
            if erased:
                conn.execute(delete(private_table).where(
                    private_table.c.community_id == community_id,
                    private_table.c.commitment.in_(erased)))
        return len(erased)

    def scrub(self) -> bool:
        """Leaves deleted rows in no file of the database; False if a reader held SQLite's WAL
        past the busy timeout (it keeps the old pages: run again).

        SQLite zeroes deleted content (``secure_delete``, set on every connection); here the WAL,
        which still holds the pages as they were before the delete (and as they were inserted),
        is checkpointed into the database file and truncated to zero bytes. The checkpoint waits
        (the busy timeout, 30 s) for other connections -- a running service's -- to finish what
        they are reading; idle ones do not hold it up. On PostgreSQL the private table is
        rewritten (``VACUUM FULL``) so that its files no longer hold the deleted rows; the
        server's WAL and backups keep them until they rotate."""
        if self.engine.dialect.name == "sqlite":
            with self.engine.connect() as conn:
                busy = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").scalar()
            return not busy
        if self.engine.dialect.name == "postgresql":
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql(f"VACUUM FULL {private_table.name}")
                conn.exec_driver_sql(f"VACUUM FULL {proposals_table.name}")
        return True

    # --- proposals -----------------------------------------------------------------------------

    def add_proposal(self, proposal: ProposalRow) -> None:
        with self._writing() as conn:
            conn.execute(insert(proposals_table).values(
                proposal_id=proposal.proposal_id, community_id=proposal.community_id,
                kind=proposal.kind, statement=proposal.statement.decode(),
                statement_hash=proposal.statement_hash,
                signatures=_signatures_json(proposal.signatures),
                private=None if proposal.private is None else _private_json(proposal.private),
                status=proposal.status, created_at=proposal.created_at,
                expires_at=proposal.expires_at))

    def proposal(self, community_id: str, proposal_id: str) -> ProposalRow | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(proposals_table).where(
                proposals_table.c.community_id == community_id,
                proposals_table.c.proposal_id == proposal_id)).first()
        return None if row is None else _proposal_row(row)

    def proposals(self, community_id: str, status: str | None = None) -> list[ProposalRow]:
        """The community's proposals, oldest first (``status``: only those)."""
        query = select(proposals_table).where(proposals_table.c.community_id == community_id)
        if status is not None:
            query = query.where(proposals_table.c.status == status)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(proposals_table.c.created_at,
                                               proposals_table.c.proposal_id)).all()
        return [_proposal_row(r) for r in rows]

    def replace_signatures(self, proposal: ProposalRow,
                           signatures: Sequence[tuple[str, bytes]]) -> bool:
        """Stores ``signatures`` as the pending proposal's, if it still has the ones it was read
        with (compare and set); False if another co-signer or its expiry came first."""
        with self._writing() as conn:
            done = conn.execute(update(proposals_table).where(
                proposals_table.c.proposal_id == proposal.proposal_id,
                proposals_table.c.status == "pending",
                proposals_table.c.signatures == _signatures_json(proposal.signatures)).values(
                    signatures=_signatures_json(signatures))).rowcount
        return bool(done == 1)

    def expire_proposals(self, now: datetime) -> int:
        """Marks every pending proposal past its expiry expired and erases its private data (the
        salts are remembered as hashes, as for any erased record); returns how many."""
        with self._writing() as conn:
            rows = conn.execute(select(proposals_table.c.proposal_id, proposals_table.c.expires_at,
                                       proposals_table.c.private).where(
                proposals_table.c.status == "pending")).all()
            due = [r for r in rows if aware(r.expires_at) <= now]
            if not due:
                return 0
            conn.execute(update(proposals_table).where(
                proposals_table.c.proposal_id.in_([r.proposal_id for r in due]),
                proposals_table.c.status == "pending").values(
                    status="expired", closed_at=now, private=None))
            salts = {salt_hash(bytes.fromhex(p["salt"])) for r in due if r.private
                     for p in json.loads(r.private)}
            seen = {bytes(h) for h in conn.execute(select(salts_table.c.salt_sha256).where(
                salts_table.c.salt_sha256.in_(salts))).scalars()} if salts else set()
            if salts - seen:
                conn.execute(insert(salts_table), [{"salt_sha256": h, "seen_at": now}
                                                   for h in salts - seen])
        return len(due)

    # --- sign-in challenges and sessions -------------------------------------------------------

    def add_challenge(self, challenge_hash: str, community_id: str, expires_at: datetime,
                      now: datetime) -> None:
        """Keeps a new challenge (and forgets every one past its expiry)."""
        with self._writing() as conn:
            conn.execute(delete(challenges_table).where(challenges_table.c.expires_at < now))
            conn.execute(insert(challenges_table).values(
                challenge_hash=challenge_hash, community_id=community_id, expires_at=expires_at))

    def take_challenge(self, challenge_hash: str, community_id: str) -> datetime | None:
        """Uses up the challenge (once only, whoever asks first); its expiry, or None if there is
        no such challenge for this community (never issued, or used already)."""
        with self._writing() as conn:
            row = conn.execute(select(challenges_table.c.expires_at).where(
                challenges_table.c.challenge_hash == challenge_hash,
                challenges_table.c.community_id == community_id)).first()
            if row is None:
                return None
            taken = conn.execute(delete(challenges_table).where(
                challenges_table.c.challenge_hash == challenge_hash)).rowcount
        return aware(row.expires_at) if taken == 1 else None

    # --- pairing codes (the console) -------------------------------------------------------------

    def offer_pairing(self, key_id: str, public_key: str, name: str, expires_at: datetime,
                      now: datetime, limit: int) -> bool:
        """Keeps a new member's public key under its key ID until ``expires_at`` (replacing an
        earlier offer of the same key; forgetting expired ones); False when ``limit`` are
        pending already."""
        with self.engine.begin() as conn:
            conn.execute(delete(pairings_table).where(
                (pairings_table.c.expires_at < now) | (pairings_table.c.key_id == key_id)))
            pending = conn.execute(select(func.count()).select_from(pairings_table)).scalar_one()
            if pending >= limit:
                return False
            conn.execute(insert(pairings_table).values(
                key_id=key_id, public_key=public_key, name=name, expires_at=expires_at))
        return True

    def pairing(self, key_id: str, now: datetime) -> tuple[str, str] | None:
        """``(public key, name)`` offered under ``key_id`` and not expired, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(select(pairings_table).where(
                pairings_table.c.key_id == key_id)).first()
        if row is None or aware(row.expires_at) <= now:
            return None
        return str(row.public_key), str(row.name)

    def add_session(self, token_hash: str, session: SessionRow, now: datetime) -> None:
        """Keeps a new session (and forgets every one past its expiry)."""
        with self._writing() as conn:
            conn.execute(delete(sessions_table).where(sessions_table.c.expires_at < now))
            conn.execute(insert(sessions_table).values(
                token_hash=token_hash, community_id=session.community_id,
                member_id=session.member_id, key_id=session.key_id,
                expires_at=session.expires_at))

    def session(self, token_hash: str) -> SessionRow | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(sessions_table).where(
                sessions_table.c.token_hash == token_hash)).first()
        return None if row is None else SessionRow(row.community_id, row.member_id, row.key_id,
                                                   aware(row.expires_at))

    def end_session(self, token_hash: str) -> None:
        with self._writing() as conn:
            conn.execute(delete(sessions_table).where(sessions_table.c.token_hash == token_hash))

    # --- witness cosignatures ------------------------------------------------------------------

    def put_cosignature(self, community_id: str, size: int, witness: str, line: str) -> None:
        """Keeps ``witness``'s cosignature line at ``size``, replacing an earlier one by the same
        witness for the same size."""
        with self.engine.begin() as conn:
            conn.execute(delete(cosignatures_table).where(
                cosignatures_table.c.community_id == community_id,
                cosignatures_table.c.size == size, cosignatures_table.c.witness == witness))
            conn.execute(insert(cosignatures_table).values(
                community_id=community_id, size=size, witness=witness, line=line))

    def cosignature_lines(self, community_id: str, size: int) -> list[str]:
        """The cosignature lines at ``size``, by witness name."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(cosignatures_table.c.line).where(
                cosignatures_table.c.community_id == community_id, cosignatures_table.c.size == size
            ).order_by(cosignatures_table.c.witness)).all()
        return [r.line for r in rows]

    def last_with_cosignatures(self, log: UUID, community_id: str
                               ) -> tuple[tuple[int, str, bytes | memoryview] | None, list[str]]:
        """The log's last stored event ``(version, topic, state)`` (None: empty) and the
        cosignature lines at its size: two statements on primary keys, one connection. The
        statements are built once (every reader of a checkpoint runs them)."""
        if self._head_statements is None:
            table = self.events_table
            self._head_statements = (
                select(table.c.originator_version, table.c.topic, table.c.state)
                .where(table.c.originator_id == bindparam("log"))
                .order_by(table.c.originator_version.desc()).limit(1),
                select(cosignatures_table.c.line).where(
                    cosignatures_table.c.community_id == bindparam("community"),
                    cosignatures_table.c.size == bindparam("size"))
                .order_by(cosignatures_table.c.witness))
        last_statement, lines_statement = self._head_statements
        with self.engine.connect() as conn:
            last = conn.execute(last_statement, {"log": log}).first()
            if last is None:
                return None, []
            version, topic, state = last
            rows = conn.execute(lines_statement, {"community": community_id, "size": version}).all()
        return (version, topic, state), [r.line for r in rows]

    def latest_cosigned_size(self, community_id: str, witness: str) -> int:
        """The largest tree size ``witness`` cosigned for this log (0 if none)."""
        with self.engine.connect() as conn:
            size = conn.execute(select(func.max(cosignatures_table.c.size)).where(
                cosignatures_table.c.community_id == community_id,
                cosignatures_table.c.witness == witness)).scalar()
        return int(size or 0)

    # --- snapshots ----------------------------------------------------------------------------

    KEEP_SNAPSHOTS = 2  # per community: the newest, and the one before (should one fail)

    def put_snapshot(self, row: SnapshotRow) -> None:
        """Stores a snapshot (replacing one at the same size) and drops all but the newest
        :attr:`KEEP_SNAPSHOTS` of the community."""
        t = snapshots_table
        with self.engine.begin() as conn:
            conn.execute(delete(t).where(t.c.community_id == row.community_id,
                                         t.c.size == row.size))
            conn.execute(insert(t).values(
                community_id=row.community_id, size=row.size, root_hash=row.root_hash,
                format=row.format, data=row.data, created_at=row.created_at))
            sizes = conn.execute(select(t.c.size).where(t.c.community_id == row.community_id)
                                 .order_by(t.c.size.desc())).scalars().all()
            if len(sizes) > self.KEEP_SNAPSHOTS:
                conn.execute(delete(t).where(t.c.community_id == row.community_id,
                                             t.c.size < sizes[self.KEEP_SNAPSHOTS - 1]))

    def snapshots(self, community_id: str, at_most: int) -> Iterator[SnapshotRow]:
        """The community's snapshots of at most ``at_most`` entries, newest first (each read
        only when the one before it was refused)."""
        t = snapshots_table
        with self.engine.connect() as conn:
            sizes = conn.execute(select(t.c.size).where(
                t.c.community_id == community_id, t.c.size <= at_most).order_by(
                t.c.size.desc())).scalars().all()
        for size in sizes:
            with self.engine.connect() as conn:
                r = conn.execute(select(t).where(t.c.community_id == community_id,
                                                 t.c.size == size)).first()
            if r is not None:
                yield SnapshotRow(r.community_id, r.size, bytes(r.root_hash), r.format,
                                  bytes(r.data), r.created_at)

    def latest_snapshot_size(self, community_id: str) -> int:
        t = snapshots_table
        with self.engine.connect() as conn:
            size = conn.execute(select(func.max(t.c.size)).where(
                t.c.community_id == community_id)).scalar()
        return int(size or 0)

    def drop_snapshots(self, community_id: str | None = None) -> int:
        """Deletes the snapshots of a community (of all without one); returns how many."""
        t = snapshots_table
        query = delete(t) if community_id is None else delete(t).where(
            t.c.community_id == community_id)
        with self.engine.begin() as conn:
            return int(conn.execute(query).rowcount)

    # --- witnesses of a log --------------------------------------------------------------------

    def witnesses(self, community_id: str | None = None) -> list[WitnessRow]:
        """The witnesses configured for a community (for every community without one)."""
        t = witnesses_table
        query = select(t).order_by(t.c.community_id, t.c.name)
        if community_id is not None:
            query = query.where(t.c.community_id == community_id)
        with self.engine.connect() as conn:
            return [WitnessRow(r.community_id, r.name, r.url, r.verifier_key, r.label)
                    for r in conn.execute(query)]

    def put_witness(self, row: WitnessRow) -> None:
        t = witnesses_table
        with self.engine.begin() as conn:
            conn.execute(delete(t).where(t.c.community_id == row.community_id,
                                         t.c.name == row.name))
            conn.execute(insert(t).values(community_id=row.community_id, name=row.name,
                                          url=row.url, verifier_key=row.verifier_key,
                                          label=row.label))

    def remove_witness(self, community_id: str, name: str) -> bool:
        t = witnesses_table
        with self.engine.begin() as conn:
            return bool(conn.execute(delete(t).where(
                t.c.community_id == community_id, t.c.name == name)).rowcount)

    def witness_state(self) -> WitnessStore:
        """A witness's table of latest cosigned checkpoints, in this database (a service that is
        also a witness)."""
        return WitnessStore(self.engine)
