"""What readers see: each community's state folded from *committed* log entries only.

The ledger's own state is folded before a write commits and is mutated by writers, so readers
get their own copy, folded from the stored log with the same domain code and caught up on every
read. As it folds, the view also keeps what lets a read answer without looking at the whole log:

- one small summary per record, and an index from every filter value (kind and kind prefix,
  category, estate, period prefix) to the ascending log indexes of the records that have it;
- for the flat projections (donations, grants, income, spends), the records in log order.

A community's first load (the whole log) happens once, in a loader thread: every reader that
arrives meanwhile waits for that same load (asynchronously, holding no thread), see :meth:`load`.
"""

from __future__ import annotations

import logging
import re
import threading
from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from sys import intern
from typing import Any, NamedTuple
from uuid import UUID

import orjson
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from ledger.application import Sunlight
from ledger.domain.kinds import KINDS
from ledger.domain.state import BODY_TYPES, CommunityState
from ledger.gcpause import gc_paused
from ledger.replay import replay
from ledger.signing import Statement, format_at, parse_time, statement_hash
from ledger.store import CommunityLog, log_id
from ledger.store.replica import reading_from_standby

_DATE_FIELDS = ("received_on", "spent_on", "granted_on", "opened_on", "held_on", "decided_on")
PERIOD = r"[0-9]{4}(-[0-9A-Z]{1,2}){0,2}"  # a period query: 2025, 2025-03, 2025-Q1, 2025-03-14
_PERIOD = re.compile(PERIOD)
SCAN_LIMIT = 5000  # index entries one page may look at before it answers with what it has
LOADERS = 2  # communities folded at once
SNAPSHOT_EVERY = 10_000  # entries folded between a view's snapshots (SUNLIGHT_SNAPSHOT_EVERY)
log = logging.getLogger("sunlight.snapshot")
RECORD_CACHE_BYTES = 32 << 20  # the JSON of recently read records (RecordCache)
# Log sizes the current read knows to be current (it read them after it began): a view of that
# size needs no query to catch up (see ReadModel.locked).
FRESH: ContextVar[Mapping[str, int] | None] = ContextVar("sunlight_fresh_sizes", default=None)
# Set while a read runs on the event loop: ReadModel.locked may then neither query nor wait.
ON_LOOP: ContextVar[bool] = ContextVar("sunlight_on_loop", default=False)


class Busy(Exception):
    """A read on the event loop would have to query or wait: it belongs in a thread."""

# Flat projections: record kind -> (projection, parent id field, own id field).
ROW_KINDS = {name: kind.row for name, kind in KINDS.items() if kind.row is not None}


class Summary(NamedTuple):
    """The filterable facts of one record (a named tuple: a view holds one per record, and a
    snapshot restores a great many)."""

    kind: str
    category: str | None
    estate: str | None
    periods: tuple[str, ...]  # the period, dates and year the record is about

    def index_keys(self) -> Iterator[tuple[str, str]]:
        """Every index key under which this record is found."""
        yield "kind", self.kind
        yield "kind", self.kind.split(".", 1)[0]
        if self.category is not None:
            yield "category", self.category
        if self.estate is not None:
            yield "estate", self.estate
        prefixes = {p[:n] for p in self.periods for n in range(4, len(p) + 1)}
        for prefix in prefixes:
            if _PERIOD.fullmatch(prefix):
                yield "period", prefix


@dataclass
class View:
    state: CommunityState
    summaries: list[Summary] = field(default_factory=list)
    # each index key's log indexes, ascending, 4 bytes each (a view keeps ~5 per record)
    index: dict[tuple[str, str], array[int]] = field(default_factory=dict)
    rows: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    loaded: bool = False
    snapshot_size: int = 0  # the size of the newest snapshot written or restored
    snapshot_due: bool = False  # a snapshot is queued for a loader thread
    _values: dict[str, tuple[int, list[Any]]] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.summaries)

    def values(self, name: str, items: dict[str, Any]) -> list[Any]:
        """``items``' values in order, as a list (a page deep in it is a slice, not a walk of
        the dict), kept until the view next grows (only a fold changes the state)."""
        kept = self._values.get(name)
        if kept is None or kept[0] != self.size:
            kept = self._values[name] = (self.size, list(items.values()))
        return kept[1]

    def to_snapshot(self) -> dict[str, Any]:
        """What the view keeps beside its state, as plain JSON data (:mod:`ledger.snapshot`):
        each distinct summary once, and each record's as its number among them."""
        distinct: dict[Summary, int] = {}
        numbers = [distinct.setdefault(s, len(distinct)) for s in self.summaries]
        return {"distinct": [[s.kind, s.category, s.estate, s.periods] for s in distinct],
                "summaries": numbers,
                "index": [[name, value, indexes.tolist()]
                          for (name, value), indexes in self.index.items()],
                "rows": self.rows}

    def from_snapshot(self, state: CommunityState, extra: Any) -> None:
        """Takes the state and what :meth:`to_snapshot` kept; ValueError if it is not that."""
        try:
            # strings interned, as a fold interns them (summarise)
            distinct = [Summary(intern(kind), _interned(category), _interned(estate),
                                tuple(map(intern, periods)))
                        for kind, category, estate, periods in extra["distinct"]]
            numbers = extra["summaries"]
            if not {int}.issuperset(map(type, numbers)) or (numbers and min(numbers) < 0):
                raise ValueError("snapshot's summaries are no numbers")
            summaries = [distinct[n] for n in numbers]  # shared: a summary is immutable
            index = {(intern(name), intern(value)): array("I", indexes)
                     for name, value, indexes in extra["index"]}
            rows = {name: [(intern(parent), own) for parent, own in pairs]
                    for name, pairs in extra["rows"].items()}
        except (TypeError, KeyError, ValueError, AttributeError, IndexError, OverflowError):
            raise ValueError("snapshot holds no read view") from None
        if len(summaries) != state.size:
            raise ValueError("snapshot's read view and state differ in size")
        self.state, self.summaries, self.index, self.rows = state, summaries, index, rows
        self.snapshot_size = state.size

    def add(self, index: int, summary: Summary) -> None:
        """Files the record at ``index`` (the next one) under every index key it has."""
        assert index == len(self.summaries)
        self.summaries.append(summary)
        for key in summary.index_keys():
            found = self.index.get(key)
            if found is None:
                found = self.index[key] = array("I")
            found.append(index)


@dataclass(frozen=True)
class Filter:
    kind: str | None = None  # exact kind, or an aggregate prefix such as "fund"
    category: str | None = None
    estate: str | None = None
    period: str | None = None  # a prefix: 2025 matches 2025-03 and 2025-03-14

    def keys(self) -> list[tuple[str, str]]:
        return [(name, value) for name, value in (
            ("kind", self.kind), ("category", self.category), ("estate", self.estate),
            ("period", self.period)) if value is not None]

    def matches(self, s: Summary) -> bool:
        """The reference definition (what the indexes must answer): used by the tests."""
        if self.kind is not None and s.kind != self.kind and s.kind.split(".", 1)[0] != self.kind:
            return False
        if self.category is not None and s.category != self.category:
            return False
        if self.estate is not None and s.estate != self.estate:
            return False
        return self.period is None or any(p.startswith(self.period) for p in s.periods)


def _interned(text: str | None) -> str | None:
    return None if text is None else intern(text)


def summarise(kind: str, body: dict[str, Any]) -> Summary:
    """The record's summary. Its strings are interned: a view keeps one summary per record, and
    the same kinds, categories, estates and days recur across records and communities."""
    periods = [intern(body[k]) for k in ("period", *_DATE_FIELDS) if isinstance(body.get(k), str)]
    if isinstance(body.get("year"), int):
        periods.append(intern(str(body["year"])))
    category = body.get("category")
    estate = body.get("estate_id")
    return Summary(intern(kind), intern(category) if isinstance(category, str) else None,
                   intern(estate) if isinstance(estate, str) else None, tuple(periods))


def record_json(index: int, entry_bytes: bytes) -> dict[str, Any]:
    """A stored entry as the API shows it. The entry was checked when it was accepted and is
    read back from our own store, so its fields are taken as they are written."""
    entry = orjson.loads(entry_bytes)
    statement = entry["statement"]
    st = orjson.loads(statement)
    at = st["at"]
    if len(at) != 20:  # a statement time with microseconds is shown in whole seconds
        at = format_at(parse_time(at, "at"))
    # a co-signed (version 2) entry: key_id is its first signer's, cosigner_key_ids the others'
    key_ids = [s["key_id"] for s in entry["sigs"]] if "sigs" in entry else [entry["key_id"]]
    return {"index": index, "kind": st["kind"], "title_zh": BODY_TYPES[st["kind"]].title_zh,
            "at": at, "accepted_at": entry["accepted_at"], "key_id": key_ids[0],
            "cosigner_key_ids": key_ids[1:],
            "statement_hash": statement_hash(statement.encode()).hex(),
            "body": st["body"], "entry": entry_bytes.decode()}


def matching(view: View, where: Filter, start: int, limit: int,
             scan: int = SCAN_LIMIT) -> tuple[list[int], int | None]:
    """Log indexes of up to ``limit`` records from ``start`` on that match ``where``, answered
    from the view's indexes, and where the next page starts (None: no more). At most ``scan``
    index entries are looked at, so a page of a rare combination may come back short."""
    keys = where.keys()
    if not keys:
        stop = min(view.size, start + limit)
        return list(range(start, stop)), (stop if stop < view.size else None)
    lists = [view.index.get(k, _NONE) for k in keys]
    driver = min(lists, key=len)
    others = [set_of(view, k) for k, lst in zip(keys, lists, strict=True) if lst is not driver]
    position = bisect_left(driver, start)
    hits: list[int] = []
    end = min(len(driver), position + scan)
    while position < end and len(hits) < limit:
        candidate = driver[position]
        if all(candidate in other for other in others):
            hits.append(candidate)
        position += 1
    return hits, (driver[position] if position < len(driver) else None)


def set_of(view: View, key: tuple[str, str]) -> _Membership:
    return _Membership(view.index.get(key, _NONE))


_NONE: array[int] = array("I")  # no record has the key (never appended to)


class _Membership:
    """``index in`` for an ascending list, by bisection (no set built per request)."""

    def __init__(self, ordered: array[int]) -> None:
        self.ordered = ordered

    def __contains__(self, index: object) -> bool:
        assert isinstance(index, int)
        at = bisect_left(self.ordered, index)
        return at < len(self.ordered) and self.ordered[at] == index


class RecordCache:
    """The API's JSON of recently read records, bounded in bytes, least recently used out.

    A log entry never changes once stored, so its JSON never goes stale: a page whose records
    are all here is answered from memory (on the event loop), without a query."""

    def __init__(self, max_bytes: int = RECORD_CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple[str, int], bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, community_id: str, indexes: list[int]) -> list[bytes | None]:
        with self._lock:
            found = [self._items.get((community_id, i)) for i in indexes]
            for i, part in zip(indexes, found, strict=True):
                if part is not None:
                    self._items.move_to_end((community_id, i))
            return found

    def put(self, community_id: str, index: int, part: bytes) -> None:
        with self._lock:
            if (community_id, index) in self._items:
                return
            self._items[(community_id, index)] = part
            self._bytes += len(part)
            while self._bytes > self.max_bytes and self._items:
                _, old = self._items.popitem(last=False)
                self._bytes -= len(old)


class ReadModel:
    def __init__(self, ledger: Sunlight, loaders: int = LOADERS,
                 snapshot_every: int = SNAPSHOT_EVERY) -> None:
        """``snapshot_every``: write a snapshot of a view each time it has folded that many
        entries since the last one (0: only on :meth:`close`)."""
        self.ledger = ledger
        self.snapshot_every = snapshot_every
        self.records = RecordCache()
        self._views: dict[str, View] = {}
        self._lock = threading.Lock()
        self._loads: dict[str, Future[None]] = {}
        self._for_readers: set[str] = set()  # loads a reader waits for (the warm-up waits)
        self._quiet = threading.Condition(self._lock)
        self._pool = ThreadPoolExecutor(loaders, thread_name_prefix="sunlight-load")

    def close(self, snapshot: bool = True) -> None:
        """Stops loading; with ``snapshot``, first writes a snapshot of every loaded view that
        has grown since its last one (a service stopping: the next start loads from them)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        if not snapshot:
            return
        with self._lock:
            views = list(self._views.items())
        for community_id, view in views:
            with view.lock:
                if not view.loaded:
                    continue
                try:
                    self._catch_up(community_id, view, snapshot=False)
                except Exception:
                    log.exception("read view not caught up before its snapshot", extra={
                        "event": "snapshot-failed", "community": community_id})
                    continue
                if view.size > view.snapshot_size:
                    self._snapshot(community_id, view)

    def snapshot_at(self, community_id: str, size: int) -> None:
        """Writes a snapshot of the community's state after its first ``size`` entries."""
        self.ledger.community(community_id)  # NotFound for an unknown community
        view = View(CommunityState(community_id))
        self._catch_up(community_id, view, stop=size)
        self._snapshot(community_id, view)

    def _snapshot(self, community_id: str, view: View) -> None:
        """Writes the view's snapshot (its lock held: nothing folds meanwhile). A failure is
        logged: a snapshot only saves time."""
        try:
            # no collection meanwhile: at 100,000 entries the encoding's millions of short-lived
            # objects set off full collections of ~0.1 s each, every thread paused (ledger.gcpause)
            with gc_paused(freeze=False):
                self.ledger.save_snapshot(view.state, view.to_snapshot())
            view.snapshot_size = view.size
        except Exception:
            log.exception("snapshot not written", extra={"event": "snapshot-failed",
                                                         "community": community_id})

    def _view(self, community_id: str) -> View:
        with self._lock:
            return self._views.setdefault(community_id, View(CommunityState(community_id)))

    def load(self, community_id: str, reader: bool = True) -> Future[None] | None:
        """None if the community's view is loaded; else the future of its one load (started
        now if no reader started it yet). Pure memory: safe to call on the event loop.
        ``reader``: a reader waits for it (:meth:`warm` waits until no reader does)."""
        with self._lock:
            view = self._views.get(community_id)
            if view is not None and view.loaded:
                return None
            if reader:
                self._for_readers.add(community_id)
            running = self._loads.get(community_id)
            if running is not None:
                return running
            future: Future[None] = Future()
            future.set_running_or_notify_cancel()  # a waiter giving up never cancels the load
            self._loads[community_id] = future
        self._pool.submit(self._load, community_id, future)
        return future

    def readiness(self, community_id: str) -> str:
        """cold (never loaded), loading, or ready."""
        with self._lock:
            if community_id in self._loads:
                return "loading"
            view = self._views.get(community_id)
            return "ready" if view is not None and view.loaded else "cold"

    def snapshot_status(self, community_id: str) -> dict[str, Any]:
        """The size of the view's newest snapshot (0: none yet), and the last snapshot refused
        for this community, if any, and why."""
        view = self._views.get(community_id)
        refused = self.ledger.refused_snapshots.get(community_id)
        return {"size": view.snapshot_size if view is not None else 0,
                "refused": None if refused is None else {
                    "size": refused.size, "reason": refused.reason,
                    "at": refused.at.isoformat()}}

    def _load(self, community_id: str, future: Future[None]) -> None:
        try:
            # Any prefix of the log will do (a reader that needs more catches the view up in
            # its own context): the standby's, where there is one.
            with gc_paused(), reading_from_standby(), self.locked(community_id):
                pass
        except BaseException as exc:  # NotFound, or the database failed: the waiters hear it
            future.set_exception(exc)
        else:
            future.set_result(None)
        finally:
            with self._lock:
                self._loads.pop(community_id, None)
                self._for_readers.discard(community_id)
                self._quiet.notify_all()

    def quiet(self) -> None:
        """Waits until no reader waits for a load: the warm-up steps aside for readers, who
        then share the interpreter with nothing else of ours."""
        with self._quiet:
            self._quiet.wait_for(lambda: not self._for_readers)

    @contextmanager
    def locked(self, community_id: str) -> Iterator[View]:
        """The community's view, caught up with the log and locked while the block runs. It
        is caught up with a query unless the read knows the log's current size (FRESH) and the
        view has it. On the event loop (ON_LOOP) it raises Busy rather than query or wait."""
        fresh = (FRESH.get() or {}).get(community_id)
        if ON_LOOP.get():
            view = self._views.get(community_id)  # a loaded view: its community exists
            if (view is None or not view.loaded or fresh is None or view.size < fresh
                    or not view.lock.acquire(blocking=False)):
                raise Busy(community_id)
            try:
                yield view
            finally:
                view.lock.release()
            return
        self.ledger.community(community_id)  # NotFound for an unknown community
        view = self._view(community_id)
        with view.lock:
            if fresh is None or view.size < fresh:
                self._catch_up(community_id, view)
            view.loaded = True
            yield view

    def warm(self) -> None:
        """Folds every community's view (at startup, so that first readers need not wait),
        then the writers' state of each (so that the first write need not). One after the
        other, and each only once no reader waits for a load (:meth:`quiet`): each fold holds
        the GIL most of the time, and the event loop and a reader's load wait longer for it
        the more threads take turns with it."""
        communities = [info.community_id for info in self.ledger.communities()]
        for community in communities:
            # One at a time, so that the other loader is free at once for a community a reader
            # asks for meanwhile (it would otherwise wait behind every load queued here).
            self.quiet()
            future = self.load(community, reader=False)
            if future is not None:
                future.exception()
        for community in communities:
            self.quiet()
            with gc_paused():
                self.ledger.size(community)

    def _catch_up(self, community_id: str, view: View, stop: int | None = None,
                  snapshot: bool = True) -> None:
        """Folds the entries stored after the view's (up to ``stop``); a view that has folded
        nothing starts from the newest usable snapshot. Writes a snapshot every
        ``snapshot_every`` entries. A view loaded now hands a copy of its state to the writers
        (:meth:`Sunlight.share`): one decoding and one fold per community and process."""
        first = view.size == 0 and view.state.size == 0 and stop is None
        if first:
            restored = self.ledger.restore(community_id)
            if restored is not None:
                try:
                    view.from_snapshot(restored.state, restored.extra)
                except ValueError as exc:
                    self.ledger.refuse_snapshot(community_id, restored.state.size, str(exc))
                    view.state = CommunityState(community_id)
        while batch := stored(self.ledger, community_id, after=view.size,
                              limit=2000 if stop is None else min(2000, stop - view.size)):
            for r in replay(view.state, [(version - 1, text.encode()) for version, text, _ in batch]):
                self._fold(view, r.index, r.statement)
            if stop is not None and view.size >= stop:
                break
        if first:
            self.ledger.share(view.state)
        if snapshot and stop is None and self.snapshot_every and not view.snapshot_due and (
                view.size - view.snapshot_size >= self.snapshot_every):
            # In a loader thread, not in the reader's: it takes the view's lock when it runs.
            view.snapshot_due = True
            try:
                self._pool.submit(self._snapshot_later, community_id, view)
            except RuntimeError:  # the pool is shut down: the service is stopping
                view.snapshot_due = False

    def _snapshot_later(self, community_id: str, view: View) -> None:
        with view.lock:
            view.snapshot_due = False
            self._snapshot(community_id, view)

    def _fold(self, view: View, index: int, st: Statement) -> None:
        view.add(index, summarise(st.kind, st.body))
        row = ROW_KINDS.get(st.kind)
        if row is not None:
            view.rows.setdefault(row[0], []).append((intern(st.body[row[1]]), st.body[row[2]]))

    def entries(self, community_id: str, indexes: list[int]) -> Iterator[tuple[int, bytes]]:
        """The stored entries at ``indexes`` (ascending): one indexed query, whatever their
        spread."""
        for version, entry, _ in stored(self.ledger, community_id, [i + 1 for i in indexes]):
            yield version - 1, entry.encode()


def stored(ledger: Sunlight, community_id: str, versions: list[int] | None = None, *,
           after: int | None = None, limit: int = 2000
           ) -> list[tuple[int, str, str | None]]:
    """The log's stored events: at ``versions`` (log index + 1), or the first ``limit`` after
    version ``after``, or else its last one (:meth:`ledger.store.replica.ReadStore.stored_events`)."""
    oid = log_id(community_id)
    rows = ledger.reads.stored_events(oid, versions, after=after, limit=limit)
    return [(version, *_fields(ledger, oid, version, topic, state))
            for version, topic, state in rows]


def stored_head(ledger: Sunlight, community_id: str) -> tuple[int, str | None, list[str]]:
    """The log's size, its latest signed checkpoint (None: empty) and the witness cosignature
    lines at that size, in one round trip (:meth:`ledger.store.replica.ReadStore.last_with_cosignatures`)."""
    oid = log_id(community_id)
    last, lines = ledger.reads.last_with_cosignatures(oid, community_id)
    if last is None:
        return 0, None, []
    version, topic, state = last
    _, checkpoint = _fields(ledger, oid, version, topic, state)
    return version, checkpoint, lines


_TOPIC = get_topic(CommunityLog.EntryAppended)


def _fields(ledger: Sunlight, oid: UUID, version: int, topic: str, state: bytes | memoryview
            ) -> tuple[str, str | None]:
    """The entry and the checkpoint (or None) of one stored event."""
    raw = bytes(state) if isinstance(state, memoryview) else state
    if topic == _TOPIC and raw[:1] == b"{":
        # The transcoder writes this event as plain JSON (its fields are strings or null, the
        # timestamp aside): read the two we use with orjson rather than the generic decoder.
        fields = orjson.loads(raw)
        entry, checkpoint = fields.get("entry"), fields.get("checkpoint")
        if isinstance(entry, str) and (checkpoint is None or isinstance(checkpoint, str)):
            return entry, checkpoint
    event = ledger.mapper.to_domain_event(StoredEvent(
        originator_id=oid, originator_version=version, topic=topic, state=raw))
    assert isinstance(event, CommunityLog.EntryAppended)
    return event.entry, event.checkpoint
