"""The ledger application: accepts signed statements, keeps each community's log and tree.

Commands load the community's state (folded from its log and cached in memory), check the
signature, the signer's standing and every domain rule, then write the log entries, the tree
hashes, the checkpoint and any private data in one database transaction. If another process
appended first, the event store refuses the write (same log index) and the command re-reads the
log and tries again, so concurrent writers can neither fork the log nor skip an index.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.utils import get_topic

from ledger.acceptance import MAX_FUTURE, MAX_PAST, accept, check_time, max_past_for
from ledger.crypto.checkpoint import Checkpoint
from ledger.crypto.merkle import (
    CompactRange,
    NodeId,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
)
from ledger.crypto.note import Signer, sign_note
from ledger.domain.community import Community
from ledger.domain.errors import Conflict, DomainError, InvalidInput, NotAuthorised, NotFound
from ledger.domain.state import CommunityState, parse_body
from ledger.founding import COMMUNITY_ID as COMMUNITY_ID  # the API validates ids with it
from ledger.founding import (
    aware,
    check_names,
    founding_community,
    not_founded,
    require_default_policy,
    token_hash,
)
from ledger.gcpause import gc_paused
from ledger.logkeys import LogKey, LogKeyDir, LogKeyError, default_directory
from ledger.replay import read_entry, replay
from ledger.signing import (
    Statement,
    Submission,
    check_salt,
    encode_signed_entry,
    now,
    salt_hash,
    statement_hash,
)
from ledger.snapshot import FORMAT as SNAPSHOT_FORMAT
from ledger.snapshot import SnapshotError
from ledger.snapshot import decode as decode_snapshot
from ledger.snapshot import encode as encode_snapshot
from ledger.statecopy import copy_state
from ledger.store import (
    CommunityLog,
    Invitation,
    LogRow,
    SnapshotRow,
    Store,
    Transaction,
    log_id,
)
from ledger.store.replica import ReadStore

log = logging.getLogger("sunlight.snapshot")
_ENTRY_TOPIC = get_topic(CommunityLog.EntryAppended)

MAX_RETRIES = 20
READ_PAGE = 2000


class LogIntegrityError(Exception):
    """The stored log does not match what this log signed before. Nothing is signed."""


class _StaleRefusal(Exception):
    """A statement was refused against a cached state that another process has since extended,
    and statements accepted before it already changed that state: re-read and check again."""


@dataclass(frozen=True)
class Receipt:
    community_id: str
    index: int
    statement_hash: str
    duplicate: bool
    checkpoint: str  # the signed checkpoint whose tree includes the entry
    tree_size: int = 0  # the size of that checkpoint's tree
    nodes: Mapping[NodeId, bytes] | None = field(default=None, repr=False, compare=False)

    def inclusion_proof(self) -> list[bytes] | None:
        """The entry's inclusion proof in the checkpoint's tree, from the tree nodes the append
        had at hand (``None`` for a duplicate: ask :meth:`Sunlight.inclusion_proof`)."""
        if self.nodes is None:
            return None
        nodes = self.nodes
        try:
            return inclusion_proof(self.index, self.tree_size, lambda ids: {i: nodes[i] for i in ids})
        except KeyError:
            return None


@dataclass
class RowError:
    row: int  # 1-based position in the batch (the line number for imports)
    error: DomainError


class BatchRejected(DomainError):
    """A batch (bulk import) had bad rows: nothing of it was recorded."""

    code = "batch-rejected"
    status = 422

    def __init__(self, errors: list[RowError]):
        lines = [f"第 {e.row} 行：{e.error}" for e in errors]
        super().__init__(f"{len(errors)} 行有误，全部未登记：\n" + "\n".join(lines))
        self.errors = errors


@dataclass
class LogState:
    """A community's folded state plus its tree frontier and latest checkpoint."""

    domain: CommunityState
    tree: CompactRange
    checkpoint: str | None
    signer: Signer | None  # loaded when the log first signs (the key may be in a file)
    origin: str
    signed: Checkpoint | None = None  # parsed form of ``checkpoint`` once we signed it
    last_accepted: datetime | None = None  # acceptance times never decrease along the log
    log_id: UUID = field(init=False)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.log_id = log_id(self.domain.community_id)


@dataclass(frozen=True)
class Restored:
    """A community's state as a snapshot holds it, checked against the stored tree."""

    state: CommunityState
    extra: Any  # what the reader that wrote the snapshot kept beside the state (plain JSON)
    tree: CompactRange  # the stored tree at the snapshot's size (its root is the snapshot's)


@dataclass(frozen=True)
class RefusedSnapshot:
    """A snapshot the ledger would not use, and why (shown in ``/status``)."""

    community_id: str
    size: int
    reason: str
    at: datetime


@dataclass(frozen=True)
class CommunityInfo:
    community_id: str
    origin: str
    verifier_key: str
    created_at: datetime


def _utcnow() -> datetime:
    return now()


class Sunlight(Application[UUID]):
    """Many communities, one database. Thread-safe; several processes may share a database."""

    name = "Sunlight"

    def __init__(self, db_url: str, *, clock: Callable[[], datetime] = _utcnow,
                 max_past: timedelta = MAX_PAST, max_future: timedelta = MAX_FUTURE,
                 log_key_dir: Path | None = None, read_db_url: str | None = None) -> None:
        super().__init__(env={
            "PERSISTENCE_MODULE": "ledger.store.recorder:Factory",
            "SQLALCHEMY_URL": db_url,
            "CREATE_TABLE": "y",
        })
        self.db_url = db_url
        self.clock = clock
        self.max_past = max_past
        self.max_future = max_future
        self.store = Store(self.recorder)
        # What the read side asks: the hot standby at ``read_db_url`` where a reader allows it
        # (``sunlight serve --read-db``), else this database (``ledger.store.replica``).
        self.reads = (ReadStore.open(self.store, read_db_url) if read_db_url
                      else ReadStore(self.store))
        # Where the log keys that are not kept in the database are (``ledger.logkeys``).
        self.log_keys = LogKeyDir(log_key_dir if log_key_dir is not None else default_directory())
        self._states: dict[str, LogState] = {}
        self._states_lock = threading.Lock()
        self._infos: dict[str, CommunityInfo] = {}
        self.refused_snapshots: dict[str, RefusedSnapshot] = {}  # the last one per community

    def close(self) -> None:
        """Releases every database connection."""
        super().close()
        self.reads.close()
        self.store.close()

    # --- founding ------------------------------------------------------------------------------
    #
    # A community's log comes into being only with its verified founding statement: the log row,
    # the first entries, their tree hashes and the first signed checkpoint are one transaction.
    # Only the operator founds: directly (``sunlight init``, with database access), or by a
    # one-time invitation it created (``sunlight init --invite``) that a client presents.

    def found(self, submissions: Sequence[Submission], *, origin: str,
              key_seed: bytes | None = None) -> list[Receipt]:
        """Founds a community (the operator's ``sunlight init``) with ``submissions``: the
        ``community.founded`` statement first, then any others its founder signed (estates,
        members). All are recorded, or none and no log exists.

        With ``key_seed`` the log key is kept in the database (an explicit choice); without, it is
        read from the operator's key directory, where ``sunlight init`` wrote it."""
        community_id = founding_community(submissions)
        check_names(community_id, origin)
        key = (LogKey(origin, key_seed) if key_seed is not None
               else self.log_keys.load(community_id, origin, None))
        return self._found(community_id, key, key_seed is not None, submissions, None)

    def invite(self, community_id: str, origin: str, name: str, *, expires_at: datetime,
               key_seed: bytes | None = None) -> str:
        """Authorises one founding of ``community_id`` (named ``name``, log ``origin``) through
        the service; returns the one-time token, which is stored only as its SHA-256. The log key
        is ``key_seed`` (kept in the database) or the key directory's file for the community."""
        check_names(community_id, origin)
        if not name.strip():
            raise InvalidInput("社区名称不能为空", code="invalid-name")
        key = (LogKey(origin, key_seed) if key_seed is not None
               else self.log_keys.load(community_id, origin, None))
        if self.store.is_founded(community_id):
            raise Conflict(f"社区 {community_id} 已建账", code="community-exists")
        other = self.store.origin_holder(origin, other_than=community_id)
        if other is not None:
            raise Conflict(f"日志名 {origin} 已被社区 {other} 使用", code="origin-taken")
        token = secrets.token_urlsafe(32)  # 256 bits from the operating system's CSPRNG
        self.store.add_invitation(Invitation(
            token_hash=token_hash(token), community_id=community_id, origin=origin,
            name=name, verifier_key=key.verifier_key, key_seed=key_seed,
            created_at=self.clock(), expires_at=expires_at, used_at=None))
        return token

    def found_by_invitation(self, community_id: str, token: str,
                            submissions: Sequence[Submission]) -> list[Receipt]:
        """Founds ``community_id`` with a founding invitation's token (the service's only way to
        found). The invitation is used up in the transaction that founds; a refused founding
        leaves it unused."""
        hashed = token_hash(token)
        invitation = self.store.invitation(hashed)
        if invitation is None or invitation.community_id != community_id:
            raise NotAuthorised("建账邀请码无效，或不是本社区的邀请；建立社区须经运营方授权",
                                code="invitation-invalid")
        if invitation.used_at is not None:
            raise Conflict("该建账邀请已被使用", code="invitation-used")
        if aware(invitation.expires_at) <= self.clock():
            raise NotAuthorised("该建账邀请已过期，请向运营方重新申请", code="invitation-expired")
        if founding_community(submissions) != community_id:
            raise InvalidInput("声明中的社区与邀请中的社区不一致", code="community-mismatch")
        founded = parse_body(Community.Founded.kind,
                             Statement.from_bytes(submissions[0].statement).body)
        assert isinstance(founded, Community.Founded)
        if founded.name != invitation.name:
            raise NotAuthorised(f"建账声明中的社区名称与邀请中的“{invitation.name}”不一致",
                                code="invitation-mismatch")
        require_default_policy(founded)
        seed = invitation.key_seed
        key = (LogKey(invitation.origin, seed) if seed
               else self.log_keys.load(community_id, invitation.origin, invitation.verifier_key))
        if key.verifier_key != invitation.verifier_key:
            raise LogKeyError("日志密钥与邀请登记的公钥不符，未建账 (log key does not match)",
                              code="log-key-mismatch")
        return self._found(community_id, key, bool(seed), submissions, hashed)

    def _found(self, community_id: str, key: LogKey, key_in_db: bool,
               submissions: Sequence[Submission], invitation: str | None) -> list[Receipt]:
        statements = [Statement.from_bytes(sub.statement) for sub in submissions]
        state = LogState(CommunityState(community_id), CompactRange(), None, key.signer,
                         key.origin)
        now_ = self.clock()
        accepted: list[tuple[int, Submission, Statement, bytes]] = []
        errors: list[RowError] = []
        for row, (sub, st) in enumerate(zip(submissions, statements, strict=True), start=1):
            try:
                self._check(state, sub, st, now_, len(accepted))
                accepted.append((state.domain.size - 1, sub, st, statement_hash(sub.statement)))
            except DomainError as exc:
                errors.append(RowError(row, exc))
        if errors:
            if len(submissions) == 1:
                raise errors[0].error
            raise BatchRejected(errors)
        try:
            with self.store.transaction() as tx:
                if invitation is not None and not tx.claim_invitation(invitation, now_):
                    raise Conflict("该建账邀请已被使用", code="invitation-used")
                # A log row that a founding left empty before founding was one transaction is no
                # community: the operator's founding takes its place.
                tx.add_log(community_id, key.origin, key.verifier_key,
                           key.seed if key_in_db else None, now_)
                known = self._write(state, accepted, now_, tx)
        except IntegrityError:
            raise self._taken(community_id, key.origin) from None
        finally:
            self._drop(community_id)
            self._infos.pop(community_id, None)
        checkpoint = state.checkpoint or ""
        return [_receipt(state, item, checkpoint, known) for item in accepted]

    def _taken(self, community_id: str, origin: str) -> Conflict:
        if self.store.is_founded(community_id):
            return Conflict(f"社区 {community_id} 已建账", code="community-exists")
        return Conflict(f"日志名 {origin} 已被其他社区使用", code="origin-taken")

    def move_key_out(self, community_id: str) -> Path:
        """Moves a log key kept in the database to the key directory (a new file, mode 0600),
        then clears it from the database; returns the file's path."""
        row = self.store.log(community_id)
        if row is None:
            raise NotFound(f"本系统没有社区 {community_id}", code="community-not-found")
        if not row.key_seed:
            raise Conflict(f"社区 {community_id} 的日志密钥不在数据库中", code="log-key-not-in-db")
        key = LogKey(row.origin, row.key_seed)
        path = self.log_keys.path(community_id)
        if path.exists():
            self.log_keys.load(community_id, row.origin, key.verifier_key)  # the same key only
        else:
            self.log_keys.write(community_id, key)
        self.store.clear_key_seed(community_id, row.key_seed, key.verifier_key)
        self._drop(community_id)
        return path

    # --- communities ---------------------------------------------------------------------------

    def communities(self) -> list[CommunityInfo]:
        """Every founded community (a log row left empty by a failed founding is none)."""
        return [_info(r) for r in self.reads.founded_logs()]

    def community(self, community_id: str) -> CommunityInfo:
        info = self._infos.get(community_id)
        if info is not None:
            return info
        row = self.reads.founded_log(community_id)
        if row is None:
            raise NotFound(f"本系统没有社区 {community_id}", code="community-not-found")
        info = _info(row)
        self._infos[community_id] = info  # a log's origin and key never change
        return info

    def member_in_office(self, community_id: str, key_id: str) -> tuple[str, str]:
        """``(member ID, public key)`` of the member whose current key ``key_id`` is, in office
        now; otherwise a Chinese refusal (unknown, rotated or revoked key, term over)."""
        with self._current(community_id) as log:
            domain = log.domain
            if domain.community is None:
                raise NotFound(f"本系统没有社区 {community_id}", code="community-not-found")
            now_ = self.clock()
            member = domain._standing(key_id, now_, None)  # the same rule as signing now
            public_key = domain.public_key_of(key_id)
            assert public_key is not None
            return member.id, public_key

    # --- writing -------------------------------------------------------------------------------

    def submit(self, submission: Submission) -> Receipt:
        """Records one signed statement (idempotent: the same statement twice is one record)."""
        statement = Statement.from_bytes(submission.statement)
        try:
            receipt: Receipt = self._append(statement.community, [submission], [statement])[0]
            return receipt
        except BatchRejected as exc:
            raise exc.errors[0].error from None

    def submit_batch(self, submissions: Sequence[Submission], *, dry_run: bool = False
                     ) -> list[Receipt]:
        """Records every statement of one community, or none (bulk import of paper ledgers).
        With ``dry_run`` every rule is checked and nothing is written."""
        if not submissions:
            return []
        statements: list[Statement] = []
        errors: list[RowError] = []
        for row, sub in enumerate(submissions, start=1):
            try:
                statements.append(Statement.from_bytes(sub.statement))
            except DomainError as exc:
                errors.append(RowError(row, exc))
        if errors:
            raise BatchRejected(errors)
        communities = {s.community for s in statements}
        if len(communities) != 1:
            raise InvalidInput("一次批量导入只能针对一个社区", code="batch-mixed-communities")
        receipts: list[Receipt] = self._append(communities.pop(), submissions, statements, dry_run)
        return receipts

    def submit_each(self, community_id: str, submissions: Sequence[Submission]
                    ) -> list[Receipt | DomainError]:
        """Records each statement on its own merits, all accepted ones in one transaction under
        one checkpoint (group commit): the answer for each is its receipt or why it was refused."""
        results: list[Receipt | DomainError | None] = []
        good: list[tuple[int, Submission, Statement]] = []
        for n, sub in enumerate(submissions):
            try:
                st = Statement.from_bytes(sub.statement)
                if st.community != community_id:
                    raise InvalidInput("声明中的社区与目标社区不一致", code="community-mismatch")
                good.append((n, sub, st))
                results.append(None)
            except DomainError as exc:
                results.append(exc)
        if good:
            answers = self._append(community_id, [g[1] for g in good], [g[2] for g in good],
                                   independent=True)
            for (n, _sub, _st), answer in zip(good, answers, strict=True):
                results[n] = answer
        return [r for r in results if r is not None]

    def _append(self, community_id: str, submissions: Sequence[Submission],
                statements: Sequence[Statement], dry_run: bool = False,
                independent: bool = False) -> list[Any]:
        for attempt in range(MAX_RETRIES):
            try:
                state = self._state(community_id)
            except NotFound:
                raise not_founded(community_id, statements) from None
            with state.lock:
                if state is not self._states.get(community_id):
                    continue  # dropped while we waited
                try:
                    if attempt == 0:
                        return self._append_locked(state, submissions, statements, dry_run, None,
                                                   independent)
                    # Another process wrote meanwhile: from now on, hold the community's row
                    # lock while re-reading the log and writing, so this attempt cannot lose.
                    with self.store.transaction() as tx:
                        tx.lock_log(community_id)
                        return self._append_locked(state, submissions, statements, dry_run, tx,
                                                   independent)
                except (IntegrityError, _StaleRefusal):
                    # Another process appended first: re-read the log and check again.
                    self._drop(community_id)
        raise Conflict("写入冲突过多，请稍后重试", code="write-contention")

    def _append_locked(self, state: LogState, submissions: Sequence[Submission],
                       statements: Sequence[Statement], dry_run: bool, locked: Transaction | None,
                       independent: bool = False, current: bool = False) -> list[Any]:
        # Optimistic: the cached state is checked against without asking the database whether
        # another process appended meanwhile. If one did, the insert at our log index fails on
        # the event store's unique constraint, the state is dropped and re-read, and we retry.
        # A refusal is not optimistic: see below.
        current = current or locked is not None or state.tree.size == 0
        if current:
            self._catch_up(state)
        if state.tree.size == 0:  # no founding statement: no community (only the operator founds)
            raise not_founded(state.domain.community_id, statements)
        now_ = self.clock()
        if state.last_accepted is not None and now_ < state.last_accepted:
            now_ = state.last_accepted  # a clock stepped back never makes the log's times go back
        accepted: list[tuple[int, Submission, Statement, bytes]] = []
        receipts: list[Receipt | DomainError | None] = []
        errors: list[RowError] = []
        dirty = False
        salts = self._salts_seen(submissions)
        for row, (sub, st) in enumerate(zip(submissions, statements, strict=True), start=1):
            try:
                h = statement_hash(sub.statement)
                existing = state.domain.statements.get(h)
                if existing is None:
                    existing = next((i for i, _, _, eh in accepted if eh == h), None)
                if existing is not None:
                    receipts.append(Receipt(state.domain.community_id, existing, h.hex(), True,
                                            ""))
                    continue
                fresh = _fresh_salts(sub, salts)
                self._check(state, sub, st, now_, len(accepted))
                salts |= fresh
                dirty = True
                accepted.append((state.domain.size - 1, sub, st, h))
                receipts.append(None)
            except DomainError as exc:
                # A refused statement changed nothing (every check precedes every change).
                if independent:
                    receipts.append(exc)
                else:
                    errors.append(RowError(row, exc))
        refused = errors or any(isinstance(r, DomainError) for r in receipts)
        if refused and not current and self._head(state.log_id) != state.tree.size:
            # Refused against a state another process has since extended (say, the signer was
            # admitted through it): catch up and check every statement again, once -- refusals
            # against the log's head are final. Accepted statements already changed the cached
            # state, so then it is re-read whole (as a lost write race would have it re-read).
            if dirty:
                raise _StaleRefusal
            self._catch_up(state)
            return self._append_locked(state, submissions, statements, dry_run, locked,
                                       independent, current=True)
        if errors:
            if dirty:
                self._drop(state.domain.community_id)
            raise BatchRejected(errors)
        if dry_run:
            if dirty:
                self._drop(state.domain.community_id)
            return []
        known: dict[NodeId, bytes] = {}
        if accepted:
            try:
                known = self._write(state, accepted, now_, locked)
            except BaseException:
                self._drop(state.domain.community_id)
                raise
        checkpoint = state.checkpoint or ""
        new = iter(accepted)
        return [_receipt(state, next(new), checkpoint, known) if r is None
                else r if isinstance(r, DomainError) else replace(r, checkpoint=checkpoint)
                for r in receipts]

    def _check(self, state: LogState, sub: Submission, st: Statement, now_: datetime,
               pending: int) -> None:
        """Every check before a statement is folded in; folds it in on success."""
        check_time(st.at, now_, max_past_for(state.domain, len(sub.signatures), self.max_past),
                   self.max_future)
        encode_signed_entry(sub.statement, sub.signatures, now_)  # refuses one over 64 KiB
        body = parse_body(st.kind, st.body)
        commitments = _commitments(body.to_json()) if sub.private else set()
        for record in sub.private:
            record.check()
            if record.commitment not in commitments:
                raise InvalidInput("私密资料没有对应到声明中的任何承诺值", code="commitment-unused")
        accept(state.domain, sub.statement, st, sub.signature, sub.key_id,
               cosignatures=sub.cosignatures, body=body, accepted_at=now_)

    def _write(self, state: LogState, accepted: list[tuple[int, Submission, Statement, bytes]],
               accepted_at: datetime, locked: Transaction | None) -> dict[NodeId, bytes]:
        """Writes the batch; returns the tree nodes at hand afterwards (the old frontier and every
        node the batch completed), enough to prove the inclusion of every entry of the batch."""
        community_id = state.domain.community_id
        # The guard: the tree we extend must be exactly the one we last signed.
        if state.checkpoint is not None:
            signed = state.signed or Checkpoint.parse(state.checkpoint.split("\n\n", 1)[0] + "\n")
            if signed.size != state.tree.size or signed.root_hash != state.tree.root():
                raise LogIntegrityError(
                    f"log {community_id}: stored tree (size {state.tree.size}) does not match the "
                    f"last signed checkpoint (size {signed.size}); refusing to sign")
        tree = CompactRange(state.tree.size, state.tree.hashes)
        known = {(level, idx): h for level, idx, h in tree.nodes()}
        nodes: list[tuple[str, int, int, bytes]] = []
        entries: list[str] = []
        for index, sub, _st, _h in accepted:
            assert index == tree.size
            entry = encode_signed_entry(sub.statement, sub.signatures, accepted_at)
            entries.append(entry.decode())
            for level, idx, h in tree.append(leaf_hash(entry)):
                nodes.append((community_id, level, idx, h))
                known[level, idx] = h
        new_checkpoint = Checkpoint(state.origin, tree.size, tree.root())
        note = sign_note(new_checkpoint.text(), self._signer(state))
        oid = state.log_id
        events = [
            CommunityLog.EntryAppended(
                originator_id=oid, originator_version=index + 1, timestamp=accepted_at,
                entry=entry, checkpoint=note if n == len(accepted) - 1 else None)
            for n, ((index, _sub, _st, _h), entry) in enumerate(zip(accepted, entries, strict=True))
        ]
        private = [(index, p) for index, sub, _st, _h in accepted for p in sub.private]

        def write(tx: Transaction) -> None:
            # The events through eventsourcing (LogRecorder, in this transaction: it locks the
            # events table on PostgreSQL, so writers queue here), then the tree hashes, then any
            # private data (a salt another process accepted meanwhile fails here: the retry
            # refuses it).
            self.save(*events, transaction=tx)
            tx.add_nodes(nodes)
            tx.add_private(community_id, private, accepted_at)

        if locked is not None:
            write(locked)
        else:
            with self.store.transaction() as tx:
                write(tx)
        state.tree = tree
        state.checkpoint = note
        state.signed = new_checkpoint
        state.last_accepted = accepted_at
        return known

    def _signer(self, state: LogState) -> Signer:
        """The log's key: from the database where the operator chose to keep it there, else from
        the key directory, checked against the log's registered verifier key."""
        if state.signer is None:
            row = self.store.log(state.domain.community_id)
            assert row is not None
            state.signer = self.log_keys.load(state.domain.community_id, row.origin,
                                              row.verifier_key).signer
        return state.signer

    # --- reading the log -----------------------------------------------------------------------

    def _state(self, community_id: str) -> LogState:
        state = self._states.get(community_id)
        if state is not None:
            return state
        with self._states_lock:
            state = self._states.get(community_id)
            if state is None:
                row = self.store.log(community_id)
                if row is None:
                    raise NotFound(f"本系统没有社区 {community_id}", code="community-not-found")
                state = LogState(CommunityState(community_id), CompactRange(), None,
                                 Signer.from_seed(row.origin, row.key_seed) if row.key_seed
                                 else None, row.origin)
                self._states[community_id] = state
        return state

    def _drop(self, community_id: str) -> None:
        with self._states_lock:
            self._states.pop(community_id, None)

    # --- snapshots ----------------------------------------------------------------------------

    def restore(self, community_id: str) -> Restored | None:
        """The community's state from its newest snapshot whose root is the stored tree's root
        at the snapshot's size, or None. A snapshot that does not match, does not decode, or
        was written by other code is skipped, logged and kept in :attr:`refused_snapshots`."""
        head = self.store.head(log_id(community_id))
        nodes = self.nodes(community_id)
        for row in self.store.snapshots(community_id, head):
            try:
                if row.format != SNAPSHOT_FORMAT:
                    raise SnapshotError(f"written by other code (format {row.format})")
                try:
                    tree = CompactRange.load(row.size, nodes)
                except (KeyError, ValueError):
                    raise SnapshotError("the stored tree lacks the snapshot's nodes") from None
                if tree.root() != row.root_hash:
                    raise SnapshotError(f"root does not match the stored tree at size {row.size}")
                with gc_paused():  # millions of long-lived objects: see ledger.gcpause
                    state, extra = decode_snapshot(row.data, community_id)
                if state.size != row.size:
                    raise SnapshotError("state size differs from the snapshot's tree size")
            except SnapshotError as exc:
                self.refuse_snapshot(community_id, row.size, str(exc))
                continue
            return Restored(state, extra, tree)
        return None

    def share(self, folded: CommunityState) -> None:
        """The writers of this process that have folded nothing of ``folded``'s community yet
        start from a copy of it (:mod:`ledger.statecopy`) rather than decode a snapshot or fold
        the log again: ``folded`` is a reader's, folded from *stored* entries only (from a
        snapshot the ledger checked, or from the first entry). Nothing happens if the writers
        have loaded the community or are busy (they then load it themselves)."""
        community_id = folded.community_id
        if folded.size == 0:
            return
        state = self._state(community_id)
        if not state.lock.acquire(blocking=False):
            return
        try:
            if (state is self._states.get(community_id) and state.tree.size == 0
                    and state.domain.size == 0):
                tree = CompactRange.load(folded.size, self.nodes(community_id))
                with gc_paused():
                    copy = copy_state(folded)
                self._install(state, Restored(copy, None, tree))
        except Exception:  # only time is lost: the writers fold for themselves
            log.exception("state not shared with the writers", extra={
                "event": "share-failed", "community": community_id})
        finally:
            state.lock.release()

    def save_snapshot(self, state: CommunityState, extra: Any = None) -> None:
        """Stores a snapshot of ``state`` -- folded from *stored* entries only -- tied to the
        stored tree's root at its size (``extra``: plain JSON a reader keeps beside it)."""
        if state.size == 0:
            return
        community_id = state.community_id
        tree = CompactRange.load(state.size, self.nodes(community_id))
        self.store.put_snapshot(SnapshotRow(community_id, state.size, tree.root(),
                                            SNAPSHOT_FORMAT, encode_snapshot(state, extra),
                                            self.clock()))

    def refuse_snapshot(self, community_id: str, size: int, reason: str) -> None:
        """Reports a snapshot that will not be used (the log is folded instead)."""
        log.warning("snapshot refused", extra={
            "event": "snapshot-refused", "community": community_id, "size": size,
            "reason": reason})
        self.refused_snapshots[community_id] = RefusedSnapshot(community_id, size, reason,
                                                               self.clock())

    def _restore(self, state: LogState) -> None:
        """A state that has folded nothing yet starts from the newest usable snapshot."""
        restored = self.restore(state.domain.community_id)
        if restored is not None:
            self._install(state, restored)

    def _install(self, state: LogState, restored: Restored) -> None:
        """The writers' ``state`` (that has folded nothing yet) takes ``restored``'s."""
        size = restored.state.size
        (last,) = self.recorder.select_events(state.log_id, gt=size - 1, limit=1)
        event = self.mapper.to_domain_event(last)
        assert isinstance(event, CommunityLog.EntryAppended)
        accepted_at = read_entry(event.entry.encode())[0].accepted_at
        state.domain = restored.state
        state.tree = restored.tree
        state.checkpoint = event.checkpoint  # None unless a batch ended there: the tail has it
        state.signed = None
        state.last_accepted = accepted_at

    def _catch_up(self, state: LogState) -> None:
        """Folds every entry stored after the state's version (all of them on first use, after
        the newest usable snapshot)."""
        oid = log_id(state.domain.community_id)
        if state.tree.size == 0 and state.domain.size == 0:
            self._restore(state)
        while True:
            stored = self.recorder.select_events(oid, gt=state.tree.size, limit=READ_PAGE)
            if not stored:
                return
            for record in stored:
                self._fold_stored(state, record.originator_version, *self._appended(record))

    def _appended(self, record: StoredEvent) -> tuple[str, str | None]:
        """The entry and the checkpoint (or None) of a stored ``EntryAppended``. The transcoder
        writes it as plain JSON (its fields are strings or null, the timestamp aside): the two
        fields are read with orjson rather than through the generic decoder."""
        raw = record.state
        if record.topic == _ENTRY_TOPIC and raw[:1] == b"{":
            fields = orjson.loads(raw)
            entry, checkpoint = fields.get("entry"), fields.get("checkpoint")
            if isinstance(entry, str) and (checkpoint is None or isinstance(checkpoint, str)):
                return entry, checkpoint
        event = self.mapper.to_domain_event(record)
        assert isinstance(event, CommunityLog.EntryAppended)
        return event.entry, event.checkpoint

    def _fold_stored(self, state: LogState, version: int, entry: str,
                     checkpoint: str | None) -> None:
        data = entry.encode()
        (r,) = replay(state.domain, [(version - 1, data)])
        state.tree.append(leaf_hash(data))
        assert state.tree.size == version
        state.last_accepted = r.entry.accepted_at
        if checkpoint is not None:
            state.checkpoint = checkpoint
            state.signed = None

    @contextmanager
    def _current(self, community_id: str) -> Iterator[LogState]:
        """The community's cached state, locked and caught up with the database. A state dropped
        by a failed write while we waited for its lock is never used: we take the fresh one."""
        while True:
            log = self._state(community_id)
            with log.lock:
                if log is not self._states.get(community_id):
                    continue
                self._catch_up(log)
                yield log
                return

    def state(self, community_id: str) -> CommunityState:
        """The community's current state (caught up with the database). Writers in other threads
        of this process mutate it: a reader alongside them folds its own (as the service does)."""
        with self._current(community_id) as log:
            return log.domain

    def _head(self, oid: UUID) -> int:
        """The log's stored size: one indexed ``max(version)`` query."""
        return self.store.head(oid)

    def _fresh(self, community_id: str) -> LogState | None:
        """The cached state, without waiting for its lock, if it is the log's head: one indexed
        ``max(version)`` query tells whether any process appended since."""
        log = self._states.get(community_id)
        if log is None or log.checkpoint is None:
            return None
        head = self._head(log.log_id)
        return log if head == log.tree.size and log is self._states.get(community_id) else None

    def checkpoint(self, community_id: str) -> str:
        """The latest signed checkpoint (a C2SP signed note)."""
        fresh = self._fresh(community_id)
        if fresh is not None and fresh.checkpoint is not None:
            return fresh.checkpoint
        # Read from the last stored entry (a batch's last entry carries the checkpoint over it):
        # one indexed query, never a fold of the whole log just for its head.
        log = self._state(community_id)  # NotFound for an unknown community
        last = self.recorder.select_events(log.log_id, desc=True, limit=1)
        if last:
            event = self.mapper.to_domain_event(last[0])
            if isinstance(event, CommunityLog.EntryAppended) and event.checkpoint is not None:
                return event.checkpoint
        with self._current(community_id) as current:
            if current.checkpoint is None:
                raise NotFound(f"社区 {community_id} 的日志还是空的", code="log-empty")
            return current.checkpoint

    def size(self, community_id: str) -> int:
        fresh = self._fresh(community_id)
        if fresh is not None:
            return fresh.tree.size
        with self._current(community_id) as log:
            return log.tree.size

    def entries(self, community_id: str, start: int = 0, stop: int | None = None
                ) -> Iterator[tuple[int, bytes]]:
        """Yields ``(index, entry bytes)`` for ``start <= index < stop`` in pages."""
        self._state(community_id)  # raises NotFound for an unknown community
        oid = log_id(community_id)
        position = start
        while stop is None or position < stop:
            limit = READ_PAGE if stop is None else min(READ_PAGE, stop - position)
            stored = self.reads.stored_events(oid, after=position, limit=limit)
            if not stored:
                return
            for version, topic, state in stored:
                event = self.mapper.to_domain_event(StoredEvent(
                    originator_id=oid, originator_version=version, topic=topic,
                    state=bytes(state)))
                assert isinstance(event, CommunityLog.EntryAppended)
                yield event.originator_version - 1, event.entry.encode()
            position = stored[-1][0]

    def nodes(self, community_id: str) -> Callable[[list[NodeId]], dict[NodeId, bytes]]:
        """A batched reader of stored tree hashes, for proofs and tiles."""
        return self.store.node_reader(community_id)

    def level_hashes(self, community_id: str, level: int, start: int, stop: int) -> list[bytes]:
        """Stored node hashes of one tree level in ``[start, stop)`` -- a tile's contents."""
        return self.store.level_hashes(community_id, level, start, stop)

    def inclusion_proof(self, community_id: str, index: int, size: int) -> list[bytes]:
        return inclusion_proof(index, size, self.nodes(community_id))

    def consistency_proof(self, community_id: str, old: int, new: int) -> list[bytes]:
        return consistency_proof(old, new, self.nodes(community_id))

    # --- private data --------------------------------------------------------------------------

    def _salts_seen(self, submissions: Sequence[Submission]) -> set[bytes]:
        """Which of the batch's salts the database has seen (as SHA-256; erased ones too)."""
        hashes = [salt_hash(p.salt) for sub in submissions for p in sub.private]
        return self.store.salts_seen(hashes)

    def private_records(self, community_id: str) -> list[dict[str, object]]:
        return self.store.private_records(community_id)

    def forget(self, community_id: str, person: str) -> int:
        """Erases the private data and salts of ``person`` (a commitment, or a name or contact
        found in the private data) and leaves no copy in the database's files (:meth:`scrub`).
        The log and every signature stay as they were and verify. Returns how many records were
        erased."""
        self.community(community_id)
        erased = self.store.erase_private(
            community_id, lambda commitment, data: commitment == person or person in data.values())
        self.scrub(erased=erased)
        return erased

    def scrub(self, erased: int = 0) -> None:
        """Leaves erased private data in no file of the database (:meth:`ledger.store.Store.scrub`
        says how). If a reader -- a running service's -- holds SQLite's WAL past the busy timeout,
        the WAL keeps the old pages: :class:`Conflict`, and running ``forget`` again finishes the
        job."""
        if not self.store.scrub():
            raise Conflict(
                f"已删除 {erased} 份私密资料，但数据库正被其他连接长时间读取，删除前的副本仍在 "
                "WAL 文件中；请稍后再运行一次 sunlight forget（或先停止服务）",
                code="checkpoint-busy")


def _info(row: LogRow) -> CommunityInfo:
    verifier_key = row.verifier_key
    if not verifier_key:  # a log founded before key files: its key is in the database
        assert row.key_seed
        verifier_key = Signer.from_seed(row.origin, row.key_seed).verifier_key()
    return CommunityInfo(row.community_id, row.origin, verifier_key, row.created_at)


def _receipt(state: LogState, item: tuple[int, Submission, Statement, bytes],
             checkpoint: str, known: dict[NodeId, bytes]) -> Receipt:
    index, _sub, _st, h = item
    return Receipt(state.domain.community_id, index, h.hex(), False, checkpoint, state.tree.size,
                   known)


def _fresh_salts(sub: Submission, seen: set[bytes]) -> set[bytes]:
    """The hashes of the submission's salts, or a refusal: a salt of the wrong length or not
    random, or one this database has seen before (in any community, even erased since)."""
    fresh: set[bytes] = set()
    for record in sub.private:
        check_salt(record.salt)
        h = salt_hash(record.salt)
        if h in seen or h in fresh:
            raise Conflict("这个盐已经用过：每份私密资料都须用新生成的随机盐，否则不同记录可被关联到"
                           "同一个人；请重新生成后再签名提交", code="salt-reused")
        fresh.add(h)
    return fresh


def _commitments(body: object) -> set[str]:
    found: set[str] = set()
    if isinstance(body, dict):
        for key, value in body.items():
            if key.endswith("_commitment") and isinstance(value, str):
                found.add(value)
            else:
                found |= _commitments(value)
    elif isinstance(body, list):
        for value in body:
            found |= _commitments(value)
    return found




