"""A copy of a community's folded state that shares what never changes: cheaper than a second fold.

A process keeps two states of each community: the writers' (:class:`ledger.application.LogState`,
which folds a statement before it commits) and the read view's (committed entries only,
:mod:`ledger.api.readmodel`). Both start from the same snapshot; instead of decoding it twice,
the second is a copy of the first. A statement proposed for co-signing is checked by folding it
into a copy too, so that the writers' state is kept.

What is copied: every mutable container (dict, list, set, deque, array) and every domain object,
each once (an object reached twice -- the ids every fund shares, a decision's meeting -- is
reached twice in the copy as well). What is shared: strings, numbers, bytes, dates, enum
members, and the statement bodies -- frozen pydantic models of signed statements, which the
fold never changes, or their JSON (:class:`ledger.domain.kept.Kept`) -- and tuples and
frozensets of such values. Unlike :func:`copy.deepcopy`,
a dict or list of shared values is copied in one call, and records restored from a snapshot
and not decoded yet (:class:`ledger.snapshot.Records`) are decoded by each copy on first use.
"""

from __future__ import annotations

from array import array
from collections import deque
from datetime import date, datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel

from ledger.domain.state import CommunityState
from ledger.snapshot import Records

_ATOMIC: set[type] = {str, int, bool, float, bytes, type(None), datetime, date}


def _shared(cls: type) -> bool:
    """Whether values of ``cls`` are shared, not copied (learned once per class)."""
    if cls in _ATOMIC:
        return True
    if issubclass(cls, Enum) or (issubclass(cls, BaseModel)
                                 and cls.model_config.get("frozen", False)):
        _ATOMIC.add(cls)
        return True
    return False


_TUPLE, _NAMED, _DICT, _SEQUENCE, _SET, _ARRAY, _OBJECT, _RECORDS = range(8)


def _how(cls: type) -> int:
    """How a value of a class that is not shared is copied."""
    if cls is tuple or cls is frozenset:
        return _TUPLE
    if issubclass(cls, tuple):
        return _NAMED
    if cls is dict:
        return _DICT
    if cls is list or cls is deque:
        return _SEQUENCE
    if cls is set:
        return _SET
    if cls is array:
        return _ARRAY
    if cls is Records:
        return _RECORDS
    if (not issubclass(cls, BaseModel) and cls.__module__.startswith("ledger.domain.")
            and cls.__dictoffset__ != 0 and "__slots__" not in vars(cls)):
        return _OBJECT
    raise TypeError(f"no copy of a {cls.__module__}.{cls.__qualname__} in a state")


_HOW: dict[type, int] = {}


class _Copier:
    def __init__(self) -> None:
        self.memo: dict[int, Any] = {}

    def copy(self, v: Any) -> Any:
        cls = type(v)
        if cls in _ATOMIC:
            return v
        how = _HOW.get(cls)
        if how is None:
            if _shared(cls):
                return v
            how = _HOW[cls] = _how(cls)
        if how in (_TUPLE, _NAMED):
            items = [self.copy(x) for x in v]
            if all(x is y for x, y in zip(items, v, strict=True)):
                return v
            return cls(items) if how == _TUPLE else cls(*items)
        memo = self.memo
        key = id(v)
        done = memo.get(key)
        if done is not None:
            return done
        out: Any
        if how == _OBJECT:
            out = memo[key] = object.__new__(cls)
            atomic = _ATOMIC
            object.__setattr__(out, "__dict__", {
                k: x if type(x) in atomic else self.copy(x)
                for k, x in v.__dict__.items()})
        elif how == _DICT:  # keys are hashable, hence shared
            out = memo[key] = v.copy() if _all_shared(v.values()) else {}
            if not out and v:
                out.update([(k, self.copy(x)) for k, x in v.items()])
        elif how == _SEQUENCE:
            if _all_shared(v):
                out = memo[key] = cls(v)
            else:
                out = memo[key] = cls()
                out.extend([self.copy(x) for x in v])
        elif how == _RECORDS:  # restored records not decoded yet are decoded anew by the copy
            if v.lazy:
                out = memo[key] = v.copy_lazily(self.copy)
            else:
                out = memo[key] = self.copy(v.plain())
        elif how == _SET:  # items are hashable, hence shared
            out = memo[key] = set(v)
        else:
            out = memo[key] = array(v.typecode, v)
        return out


def _all_shared(items: Any) -> bool:
    """Whether every one of ``items`` is shared (then a container of them copies in one call)."""
    return all(map(_shared, {type(x) for x in items}))


def copy_state(state: CommunityState) -> CommunityState:
    """An independent copy of ``state``: folding into either leaves the other as it was."""
    out = _Copier().copy(state)
    assert isinstance(out, CommunityState)
    return out
