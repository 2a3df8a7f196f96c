"""What readers see: each community's state folded from *committed* log entries only.

The ledger's own state is folded before a write commits and is mutated by writers, so readers
get their own copy, folded from the stored log with the same domain code and caught up on every
read. It also keeps one small summary per record so that lists can be filtered without
re-reading the log.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson

from ledger.application import Sunlight
from ledger.domain.state import BODY_TYPES, CommunityState, Signed, parse_body
from ledger.signing import Entry, Statement, format_accepted, format_at, statement_hash

_DATE_FIELDS = ("received_on", "spent_on", "granted_on", "opened_on", "held_on", "decided_on")


@dataclass(frozen=True)
class Summary:
    """The filterable facts of one record."""

    kind: str
    category: str | None
    estate: str | None
    periods: tuple[str, ...]  # the period, dates and year the record is about


@dataclass
class View:
    state: CommunityState
    summaries: list[Summary] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def size(self) -> int:
        return len(self.summaries)


@dataclass(frozen=True)
class Filter:
    kind: str | None = None  # exact kind, or an aggregate prefix such as "fund"
    category: str | None = None
    estate: str | None = None
    period: str | None = None  # a prefix: 2025 matches 2025-03 and 2025-03-14

    def matches(self, s: Summary) -> bool:
        if self.kind is not None and s.kind != self.kind and s.kind.split(".", 1)[0] != self.kind:
            return False
        if self.category is not None and s.category != self.category:
            return False
        if self.estate is not None and s.estate != self.estate:
            return False
        return self.period is None or any(p.startswith(self.period) for p in s.periods)


def summarise(kind: str, body: dict[str, Any]) -> Summary:
    periods = [str(body[k]) for k in ("period", *_DATE_FIELDS) if isinstance(body.get(k), str)]
    if isinstance(body.get("year"), int):
        periods.append(str(body["year"]))
    category = body.get("category")
    estate = body.get("estate_id")
    return Summary(kind, category if isinstance(category, str) else None,
                   estate if isinstance(estate, str) else None, tuple(periods))


def record_json(index: int, entry_bytes: bytes) -> dict[str, Any]:
    entry = Entry.decode(entry_bytes)
    st = Statement.from_bytes(entry.statement, check_canonical=False)
    return {"index": index, "kind": st.kind, "title_zh": BODY_TYPES[st.kind].title_zh,
            "at": format_at(st.at), "accepted_at": format_accepted(entry.accepted_at),
            "key_id": entry.key_id, "statement_hash": statement_hash(entry.statement).hex(),
            "body": st.body, "entry": entry_bytes.decode()}


class ReadModel:
    def __init__(self, ledger: Sunlight) -> None:
        self.ledger = ledger
        self._views: dict[str, View] = {}
        self._lock = threading.Lock()

    @contextmanager
    def locked(self, community_id: str) -> Iterator[View]:
        """The community's view, caught up with the log and locked while the block runs."""
        self.ledger.community(community_id)  # NotFound for an unknown community
        with self._lock:
            view = self._views.setdefault(community_id, View(CommunityState(community_id)))
        with view.lock:
            self._catch_up(community_id, view)
            yield view

    def warm(self) -> None:
        """Folds every community's view (at startup, so that first readers need not wait)."""
        for info in self.ledger.communities():
            with self.locked(info.community_id):
                pass

    def _catch_up(self, community_id: str, view: View) -> None:
        for index, data in self.ledger.entries(community_id, view.size):
            entry = Entry.decode(data)
            st = Statement.from_bytes(entry.statement, check_canonical=False)
            body = parse_body(st.kind, st.body, logged=True)
            view.state.apply(Signed(index, st.kind, body, entry.key_id, st.at,
                                    statement_hash(entry.statement)))
            view.summaries.append(summarise(st.kind, orjson.loads(entry.statement)["body"]))

    def records(self, community_id: str, where: Filter, start: int, limit: int
                ) -> tuple[list[dict[str, Any]], int | None]:
        """Up to ``limit`` matching records from index ``start``, and where the next page starts."""
        with self.locked(community_id) as view:
            hits: list[int] = []
            position = start
            while position < view.size and len(hits) < limit:
                if where.matches(view.summaries[position]):
                    hits.append(position)
                position += 1
            more = position < view.size
        records = [record_json(i, data) for i, data in self._read(community_id, hits)]
        return records, (position if more else None)

    def _read(self, community_id: str, indexes: list[int]) -> Iterator[tuple[int, bytes]]:
        wanted = set(indexes)
        run_start = 0
        while run_start < len(indexes):
            run_end = run_start
            while run_end + 1 < len(indexes) and indexes[run_end + 1] == indexes[run_end] + 1:
                run_end += 1
            for index, data in self.ledger.entries(community_id, indexes[run_start],
                                                   indexes[run_end] + 1):
                if index in wanted:
                    yield index, data
            run_start = run_end + 1

