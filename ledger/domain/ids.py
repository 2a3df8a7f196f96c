"""The record ids a community has used: what the uniqueness rules ask about.

Every high-volume record (a donation and its receipt number, a grant, a fee income or spend, a
correction) must carry an id not used before in its scope. The rules only ask "taken?", "now
taken" and, for a record whose ids are all there is to check, both at once ("claim"), so the
fold keeps these ids behind this small interface: in memory for the ledger, and in a
bounded-memory store that spills to disk for an auditor replaying a log of any size
(:class:`ledger.audit.spill.SpillingIds`).
"""

from __future__ import annotations

from sys import intern
from typing import Protocol

IdKey = tuple[str, str, str]
"""``(what, scope, id)``: e.g. ``("donation", fund_id, donation_id)``."""


class Ids(Protocol):
    def taken(self, key: IdKey) -> bool: ...

    def add(self, key: IdKey) -> None: ...

    def claim(self, *keys: IdKey) -> IdKey | None:
        """Marks every key taken, unless one already is: then returns the first such key and
        marks nothing. (One call where a record's ids are all a rule asks about.)"""


class MemoryIds:
    """Every id in one in-memory set."""

    def __init__(self) -> None:
        self._ids: set[IdKey] = set()

    def taken(self, key: IdKey) -> bool:
        return key in self._ids

    def add(self, key: IdKey) -> None:
        self._ids.add(_kept(key))

    def claim(self, *keys: IdKey) -> IdKey | None:
        ids = self._ids
        for key in keys:
            if key in ids:
                return key
        ids.update(map(_kept, keys))
        return None

    def __len__(self) -> int:
        return len(self._ids)


def _kept(key: IdKey) -> IdKey:
    """The key as the set keeps it: its scope (a fund's or estate's id, the same for many
    records, a new string in each statement read) interned."""
    what, scope, own = key
    return what, intern(scope), own
