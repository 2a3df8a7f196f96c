"""A community's folded state as bytes, and back: what a snapshot stores.

A snapshot saves a cold start the fold of a whole log (:mod:`ledger.replay`). It is a cache, not
a record: the store keeps it beside the tree size and root it was folded from, the ledger uses it
only where that root is the stored tree's at that size, and anything here that does not decode
is refused with a :class:`SnapshotError` (the caller folds the log instead).

eventsourcing's snapshots (``Snapshot.take``) are of aggregates, their ``__dict__`` through a
transcoder that needs a transcoding per type and keeps no shared references; the state here is a
graph of domain objects that is no aggregate, so it has this small codec of its own.

The format is JSON (orjson), never pickle: the object graph of a
:class:`~ledger.domain.state.CommunityState` -- plain domain objects, pydantic bodies, enums,
dates, containers -- written as tagged values. Decoding builds instances of the classes defined
in ``ledger.domain`` only, by setting their attributes (no constructor, no ``__reduce__``, no
import by name): a snapshot can make no other object and run no code. Objects and mutable
containers reached twice (a decision's meeting, the ids every fund shares) are written once and
referred to after. :data:`FORMAT` changes with the source of the domain package and of this
module, so that a snapshot written by other code is never read as this code's state.

The bytes: the head (one line of JSON: the format, the classes, the state...) and then each
segment after a newline, the head listing each one's length and SHA-256 (checked when the
snapshot is read, so that a segment decoded later is the one written).

Tags (a JSON array is always tagged; a JSON object is a dict with string keys):

- ``["l", ref, *items]`` list, ``["s", ref, *items]`` set, ``["q", ref, *items]`` deque;
- ``["t", *items]`` tuple (``["p", *items]``: of strings, integers, booleans and nulls only),
  ``["f", *items]`` frozenset, ``["n", class, *items]`` named tuple;
- ``["d", ref, k, v, k, v...]`` dict with other keys, ``["h", ref, {hex: v}]`` dict with bytes
  keys (``["H", ref, width, segment, [v...]]`` when the keys have one width and the values are
  integers, the statement hashes: the keys one after the other in a segment of their own),
  ``["D", ref, {...}]`` dict with string keys that is shared;
- ``["z", segment, [key...], first]`` a dict of at least :data:`LAZY_MIN` records (string keys)
  that no other value refers to or from: a :class:`Records`, its values decoded on first use
  from a segment of their own (the list of the values, JSON; segments ``first`` up to it are
  those of its values);
- ``["B", ref, segment, [key...], [length...]]`` a dict of bytes values with string keys (the
  records :class:`~ledger.domain.kept.Kept` keeps as JSON): the values one after the other in a
  segment of their own;
- ``["a", ref, code, hex]`` an array of integers;
- ``["b", hex]`` bytes, ``["T", iso]`` datetime, ``["Y", iso]`` date, ``["e", class, value]``
  enum member;
- ``["o", class, ref, {attrs}]`` object: an attribute its class's *plan* marks as an enum is
  written as the member's value, one marked tagged as a tagged value, any other as it is;
- ``["r", ref]`` a value written before. ``ref`` is 0 for a value reached once.
"""

from __future__ import annotations

import hashlib
from array import array
from collections import deque
from collections.abc import Callable, ItemsView, Iterator, MutableMapping, ValuesView
from datetime import date, datetime
from enum import Enum
from itertools import chain
from pathlib import Path
from sys import intern
from typing import Any

import orjson
from pydantic import BaseModel

import ledger.domain
from ledger.domain import (
    catalogue,
    common,
    community,
    dates,
    decision,
    disclosure,
    errors,
    evaluation,
    fee,
    fund,
    ids,
    kept,
    kinds,
    member,
    oversight,
    policy,
    project,
    publictext,
    roles,
    workdays,
)
from ledger.domain import state as state_module
from ledger.domain.state import CommunityState
from ledger.gcpause import gc_paused

_ARRAY_CODES = frozenset("bBhHiIlLqQ")  # arrays of integers: what the state keeps compactly


class SnapshotError(Exception):
    """The bytes are no snapshot this code wrote (corrupt, another format, another community)."""


LAZY_MIN = 256  # a dict of records at least this long is decoded on first use


class Records(MutableMapping[str, Any]):
    """A dict of records restored from a snapshot whose values are decoded on first use.

    Its keys are known at once (``in``, ``len``, iteration and new items need no decoding):
    the rules ask mostly whether an id is taken, and a fold adds records. Reading a value, or
    replacing or deleting one restored, decodes them all, once. Values keep the dict's order."""

    __slots__ = ("_added", "_data", "_keys", "_load")

    def __init__(self, keys: dict[str, None], load: Callable[[], list[Any]]) -> None:
        self._keys: dict[str, None] | None = keys  # the restored keys, until decoded
        self._load = load
        self._added: dict[str, Any] = {}  # items added before the restored ones were decoded
        self._data: dict[str, Any] = {}

    @property
    def lazy(self) -> bool:
        return self._keys is not None

    def plain(self) -> dict[str, Any]:
        """Every item, as the dict it stands for (decoding the restored values if need be)."""
        keys = self._keys
        if keys is not None:
            with gc_paused():  # as many objects as at load, as long-lived: see ledger.gcpause
                values = self._load()
            if len(values) != len(keys):
                raise SnapshotError("snapshot's records and their ids differ")
            data = dict(zip(keys, values, strict=True))
            data.update(self._added)
            self._data, self._added, self._keys = data, {}, None
            self._load = _decoded  # the segment is no longer kept alive by this dict
        return self._data

    def copy_lazily(self, copy: Callable[[Any], Any]) -> Records:
        """A copy that decodes the restored values on its own (``copy`` copies an added one)."""
        assert self._keys is not None
        out = Records(self._keys, self._load)
        out._added = {k: copy(x) for k, x in self._added.items()}
        return out

    def __contains__(self, key: object) -> bool:
        keys = self._keys
        if keys is None:
            return key in self._data
        return key in keys or key in self._added

    def __len__(self) -> int:
        keys = self._keys
        return len(self._data) if keys is None else len(keys) + len(self._added)

    def __iter__(self) -> Iterator[str]:
        keys = self._keys
        if keys is None:
            return iter(self._data)
        return chain(keys, self._added)

    def __getitem__(self, key: str) -> Any:
        return self.plain()[key]

    def get(self, key: str, default: Any = None) -> Any:
        keys = self._keys
        if keys is not None and key not in keys:
            return self._added.get(key, default)
        return self.plain().get(key, default)

    def __setitem__(self, key: str, value: Any) -> None:
        if self._keys is not None and key not in self._keys:
            self._added[key] = value
        else:
            self.plain()[key] = value

    def __delitem__(self, key: str) -> None:
        del self.plain()[key]

    def values(self) -> ValuesView[Any]:
        return self.plain().values()

    def items(self) -> ItemsView[str, Any]:
        return self.plain().items()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Records):
            other = other.plain()
        return self.plain() == other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Records({len(self)} items{', not decoded' if self.lazy else ''})"


def _decoded() -> list[Any]:
    raise AssertionError("records decoded twice")


_DOMAIN_MODULES = (catalogue, common, community, dates, decision, disclosure, errors, evaluation, fee,
                   fund, ids, kept, kinds, member, oversight, policy, project, publictext, roles,
                   state_module, workdays)


def _domain_classes() -> dict[str, type]:
    """Every class defined in the ``ledger.domain`` modules (nested ones too), by qualified name.
    A class of a module not listed here is refused when a snapshot is written."""
    found: dict[str, type] = {}

    def add(cls: type, module: str) -> None:
        if cls.__module__ != module or f"{module}:{cls.__qualname__}" in found:
            return
        found[f"{module}:{cls.__qualname__}"] = cls
        for value in vars(cls).values():
            if isinstance(value, type):
                add(value, module)

    for module in _DOMAIN_MODULES:
        for value in vars(module).values():
            if isinstance(value, type):
                add(value, module.__name__)
    return found


CLASSES = _domain_classes()
_NAMES = {cls: name for name, cls in CLASSES.items()}


def _fingerprint() -> str:
    digest = hashlib.sha256()
    sources = sorted(Path(ledger.domain.__file__).parent.glob("*.py"))
    for path in [*sources, Path(__file__)]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


FORMAT = f"sunlight-state-1-{_fingerprint()}"
_PRIMITIVE = (str, int, float, bool, type(None))
_PLAIN = frozenset({str, int, bool, type(None)})
_SHARED = (list, dict, set, deque, Records)


def _slots(cls: type) -> list[str]:
    return [slot for c in cls.__mro__ for slot in getattr(c, "__slots__", ())
            if slot not in ("__dict__", "__weakref__")]


def _attrs(obj: object) -> dict[str, Any]:
    """An object's attributes (``__dict__`` and any ``__slots__``; pydantic's own bookkeeping
    aside: it is rebuilt on decoding)."""
    out: dict[str, Any] = dict(getattr(obj, "__dict__", {}))
    for cls in type(obj).__mro__:
        for slot in getattr(cls, "__slots__", ()):
            if slot not in ("__dict__", "__weakref__") and hasattr(obj, slot):
                out[slot] = getattr(obj, slot)
    return out


class _Encoder:
    def __init__(self) -> None:
        self.classes: list[str] = []
        self._class_ids: dict[type, int] = {}
        self._seen: dict[int, int] = {}  # id(value) -> times reached
        self._refs: dict[int, int] = {}  # id(value) -> ref number, once written
        self._keep: list[object] = []  # keeps counted values alive (ids stay unique)
        self._referred = 0  # ["r", n] written so far
        self.segments: list[bytes] = []  # the values of dicts decoded on first use (Records)
        # What each class's attributes hold across all its instances: plain values only (not
        # listed), members of one enum or None (written as the value), or anything else.
        self._kinds: dict[type, dict[str, set[object]]] = {}
        self._plans: dict[type, dict[str, type | None]] = {}

    def _class(self, cls: type) -> int:
        number = self._class_ids.get(cls)
        if number is None:
            name = _NAMES.get(cls)
            if name is None:
                raise TypeError(f"{cls.__module__}.{cls.__qualname__} is not a domain class")
            number = self._class_ids[cls] = len(self.classes)
            self.classes.append(name)
        return number

    def count(self, value: object) -> None:
        """Pass one: how often each object and mutable container is reached."""
        stack = [value]
        while stack:
            v = stack.pop()
            if isinstance(v, (*_PRIMITIVE, bytes, datetime, date, Enum)):
                continue
            key = id(v)
            if isinstance(v, _SHARED) or not isinstance(v, tuple | frozenset):
                times = self._seen.get(key, 0)
                self._seen[key] = times + 1
                if times:
                    continue
                self._keep.append(v)
            if isinstance(v, array):  # of integers only: nothing inside to count
                continue
            if isinstance(v, Records):
                v = v.plain()
            if isinstance(v, dict):
                stack.extend(v.keys())
                stack.extend(v.values())
            elif isinstance(v, list | tuple | set | frozenset | deque):
                stack.extend(v)
            else:
                attrs = _attrs(v)
                kinds = self._kinds.setdefault(type(v), {})
                for name, x in attrs.items():
                    if type(x) not in _PLAIN:
                        kinds.setdefault(name, set()).add(type(x) if isinstance(x, Enum)
                                                          else "tagged")
                stack.extend(attrs.values())
        for cls, kinds in self._kinds.items():
            plan = self._plans[cls] = {}
            for name, found in kinds.items():
                (only,) = found if len(found) == 1 else (None,)
                plan[name] = only if isinstance(only, type) else None

    def plans(self) -> list[dict[str, int]]:
        """Each written class's plan: attribute -> the enum class's number, or -1 (tagged)."""
        for plan in self._plans.values():
            for how in plan.values():
                if how is not None:
                    self._class(how)
        return [{name: -1 if how is None else self._class(how)
                 for name, how in self._plans.get(CLASSES[cname], {}).items()}
                for cname in self.classes]

    def _ref(self, value: object) -> int | list[Any]:
        """0 for a value reached once; else its new ref number, or its ``["r", n]`` if written."""
        key = id(value)
        if self._seen.get(key, 1) <= 1:
            return 0
        written = self._refs.get(key)
        if written is not None:
            self._referred += 1
            return ["r", written]
        number = self._refs[key] = len(self._refs) + 1
        return number

    def encode(self, v: Any) -> Any:
        if isinstance(v, _PRIMITIVE) and not isinstance(v, Enum):
            if isinstance(v, float):
                raise TypeError("floats have no place in a community's state")
            return v
        if isinstance(v, Enum):
            return ["e", self._class(type(v)), v.value]
        if isinstance(v, datetime):
            return ["T", v.isoformat()]
        if isinstance(v, date):
            return ["Y", v.isoformat()]
        if isinstance(v, bytes):
            return ["b", v.hex()]
        if type(v) is tuple:
            if all(type(x) in _PLAIN for x in v):
                return ["p", *v]
            return ["t", *[self.encode(x) for x in v]]
        if type(v) is frozenset:
            return ["f", *[self.encode(x) for x in _ordered(v)]]
        if isinstance(v, tuple):  # a named tuple
            return ["n", self._class(type(v)), *[self.encode(x) for x in v]]
        ref = self._ref(v)
        if isinstance(ref, list):
            return ref
        if type(v) is Records:
            v = v.plain()
        if type(v) is dict:
            if v and all(type(k) is bytes for k in v):
                width = len(next(iter(v)))
                if all(len(k) == width and type(x) is int for k, x in v.items()):
                    # statement hashes -> log indexes: the keys in a segment, the values a list
                    self.segments.append(b"".join(v))
                    return ["H", ref, width, len(self.segments) - 1, list(v.values())]
                return ["h", ref, {k.hex(): self.encode(x) for k, x in v.items()}]
            if all(type(k) is str for k in v):
                if v and all(type(x) is bytes for x in v.values()):
                    # records kept as their JSON (ledger.domain.kept): the values one after the
                    # other in a segment of their own, with their lengths
                    self.segments.append(b"".join(v.values()))
                    return ["B", ref, len(self.segments) - 1, list(v), [len(x) for x in v.values()]]
                if not ref and len(v) >= LAZY_MIN:
                    return self._lazy(v)
                encoded = {k: self.encode(x) for k, x in v.items()}
                return ["D", ref, encoded] if ref else encoded
            return ["d", ref, *[self.encode(x) for kv in v.items() for x in kv]]
        if type(v) is list:
            return ["l", ref, *[self.encode(x) for x in v]]
        if type(v) is set:
            return ["s", ref, *[self.encode(x) for x in _ordered(v)]]
        if type(v) is deque:
            return ["q", ref, *[self.encode(x) for x in v]]
        if type(v) is array and v.typecode in _ARRAY_CODES:
            return ["a", ref, v.typecode, v.tobytes().hex()]
        number = self._class(type(v))
        attrs = _attrs(v)
        if isinstance(v, BaseModel):
            attrs = {k: x for k, x in attrs.items() if not k.startswith("__pydantic")}
        plan = self._plans.get(type(v), {})
        out = {}
        for name, x in attrs.items():
            if name not in plan or x is None:
                out[name] = x
            else:
                out[name] = self.encode(x) if plan[name] is None else x.value
        return ["o", number, ref, out]


    def _lazy(self, v: dict[str, Any]) -> Any:
        """A dict of many records: its values in a segment of their own, decoded on first use
        (``["z", segment, keys]``), unless a value refers to or is referred from elsewhere."""
        mark = len(self._refs), self._referred
        first = len(self.segments)  # the segments its values have, from here on
        values = [self.encode(x) for x in v.values()]
        if (len(self._refs), self._referred) != mark:
            return dict(zip(v, values, strict=True))
        self.segments.append(_dumps_list(values))
        return ["z", len(self.segments) - 1, list(v), first]


_SLICE = 2000  # records a single orjson call writes (~1-2 ms of holding the GIL)


def _dumps_list(values: list[Any]) -> bytes:
    """``orjson.dumps(values)``, the same bytes, a slice at a time: 100,000 disclosures in one
    call held the GIL for ~70 ms, and the event loop with it (a snapshot is written in a
    loader thread while the service answers)."""
    parts = [orjson.dumps(values[i:i + _SLICE])[1:-1] for i in range(0, len(values), _SLICE)]
    return b"[" + b",".join(parts) + b"]"


def _ordered(items: set[Any] | frozenset[Any]) -> list[Any]:
    """A set's items in a stable order (equal states make equal bytes)."""
    try:
        return sorted(items)
    except TypeError:
        return sorted(items, key=repr)


def encode(state: CommunityState, extra: Any = None) -> bytes:
    """The snapshot bytes of ``state``, and of ``extra``: plain JSON data a reader keeps beside
    the state (strings, integers, lists, string-keyed dicts), returned as it is by
    :func:`decode` for the reader to check."""
    encoder = _Encoder()
    encoder.count(state)
    body = encoder.encode(state)
    plans = encoder.plans()  # may name enum classes not written yet: before the class list
    segments = encoder.segments
    head = orjson.dumps({"format": FORMAT, "community_id": state.community_id,
                         "size": state.size, "plans": plans, "classes": encoder.classes,
                         "segments": [[len(x), hashlib.sha256(x).hexdigest()] for x in segments],
                         "state": body, "extra": extra})
    return b"\n".join([head, *segments])


_MODEL, _DICT, _SLOTS = 0, 1, 2  # how a class's attributes are set


class _Decoder:
    def __init__(self, classes: list[str], plans: list[dict[str, int]],
                 segments: list[bytes] | None = None) -> None:
        self.segments = segments or []
        try:
            self.classes = [CLASSES[name] for name in classes]
        except (KeyError, TypeError):
            raise SnapshotError("snapshot names a class outside the domain") from None
        self.refs: dict[int, Any] = {}
        # Per class: its attributes to decode, each with its enum's members (None: tagged).
        self.plans: list[list[tuple[str, dict[Any, Any] | None]]] = []
        for plan in plans:
            steps: list[tuple[str, dict[Any, Any] | None]] = []
            for name, how in plan.items():
                if how == -1:
                    steps.append((name, None))
                    continue
                enum = self.classes[how]
                if not issubclass(enum, Enum):
                    raise SnapshotError("snapshot makes an enum of a class that is none")
                steps.append((name, dict(enum._value2member_map_)))
            self.plans.append(steps)
        if len(self.plans) != len(self.classes):
            raise SnapshotError("snapshot's plans and classes differ")
        self.how = [_MODEL if issubclass(cls, BaseModel)
                    else _DICT if cls.__dictoffset__ != 0 and not _slots(cls) else _SLOTS
                    for cls in self.classes]

    def decode(self, v: Any) -> Any:
        t = type(v)
        if t is str or t is int or t is bool or v is None:
            return v
        if t is dict:
            decode = self.decode
            return {k: (x if type(x) is str or type(x) is int else decode(x)) for k, x in v.items()}
        tag = v[0]
        if tag == "o":
            number = v[1]
            obj = object.__new__(self.classes[number])
            if v[2]:
                self.refs[v[2]] = obj
            attrs = v[3]
            if type(attrs) is not dict:
                raise SnapshotError("snapshot object without attributes")
            for name, members in self.plans[number]:
                x = attrs.get(name)
                if x is not None:
                    attrs[name] = self.decode(x) if members is None else members[x]
            how = self.how[number]
            if how == _DICT:
                object.__setattr__(obj, "__dict__", attrs)
            elif how == _MODEL:
                object.__setattr__(obj, "__dict__", attrs)
                object.__setattr__(obj, "__pydantic_fields_set__", set(attrs))
                object.__setattr__(obj, "__pydantic_extra__", None)
                object.__setattr__(obj, "__pydantic_private__", None)
            else:
                for name, value in attrs.items():
                    object.__setattr__(obj, name, value)
            return obj
        if tag == "p":  # strings interned: the ids' tuples repeat their kinds and scopes
            return tuple([intern(x) if type(x) is str else x for x in v[1:]])
        if tag == "H":
            packed: dict[bytes, Any] = {}
            self._keep(v[1], packed)
            width, keys, values = v[2], self._segment(v[3]), v[4]
            if type(width) is not int or width < 1 or len(keys) != width * len(values):
                raise SnapshotError("snapshot's packed keys and values differ")
            packed.update(zip([keys[i:i + width] for i in range(0, len(keys), width)], values,
                              strict=True))
            return packed
        if tag == "B":
            blobs: dict[str, bytes] = {}
            self._keep(v[1], blobs)
            joined, keys, lengths = self._segment(v[2]), v[3], v[4]
            if (type(keys) is not list or type(lengths) is not list or len(keys) != len(lengths)
                    or not {str}.issuperset(map(type, keys))
                    or not {int}.issuperset(map(type, lengths))
                    or (lengths and min(lengths) < 0) or sum(lengths) != len(joined)):
                raise SnapshotError("snapshot's kept records and their lengths differ")
            at = 0
            for key, length in zip(keys, lengths, strict=True):
                blobs[key] = blob = joined[at:at + length]
                at += length
                if blob[:1] != b"{" or blob[-1:] != b"}":
                    raise SnapshotError("snapshot's kept records and their lengths differ")
            if len(blobs) != len(keys):
                raise SnapshotError("snapshot's kept records repeat an id")
            return blobs
        if tag == "h":
            hashed: dict[bytes, Any] = {}
            self._keep(v[1], hashed)
            decode = self.decode
            hashed.update({bytes.fromhex(k): (x if type(x) is int else decode(x))
                        for k, x in v[2].items()})
            return hashed
        if tag == "l" or tag == "s" or tag == "q" or tag == "d" or tag == "D":
            ref = v[1]
            out: Any
            if tag == "l":
                out = []
                self._keep(ref, out)
                out.extend([self.decode(x) for x in v[2:]])
            elif tag == "s":
                out = set()
                self._keep(ref, out)
                out.update([self.decode(x) for x in v[2:]])
            elif tag == "q":
                out = deque()
                self._keep(ref, out)
                out.extend([self.decode(x) for x in v[2:]])
            elif tag == "D":
                out = {}
                self._keep(ref, out)
                out.update(self.decode(v[2]))
            else:
                out = {}
                self._keep(ref, out)
                items = [self.decode(x) for x in v[2:]]
                out.update(zip(items[::2], items[1::2], strict=True))
            return out
        if tag == "b":
            return bytes.fromhex(v[1])
        if tag == "a":  # an array of integers (fixed-size items, this machine's byte order)
            if v[2] not in _ARRAY_CODES:
                raise SnapshotError("snapshot holds an array of an unknown type")
            numbers = array(v[2])
            numbers.frombytes(bytes.fromhex(v[3]))
            self._keep(v[1], numbers)
            return numbers
        if tag == "t":
            return tuple([self.decode(x) for x in v[1:]])
        if tag == "r":
            return self.refs[v[1]]
        if tag == "e":
            cls = self.classes[v[1]]
            if not issubclass(cls, Enum):
                raise SnapshotError("snapshot makes an enum of a class that is none")
            member = cls._value2member_map_.get(v[2])
            return cls(v[2]) if member is None else member
        if tag == "T":
            return datetime.fromisoformat(v[1])
        if tag == "Y":
            return date.fromisoformat(v[1])
        if tag == "n":
            cls = self.classes[v[1]]
            if not issubclass(cls, tuple):
                raise SnapshotError("snapshot makes a named tuple of a class that is none")
            return cls(*[self.decode(x) for x in v[2:]])
        if tag == "f":
            return frozenset([self.decode(x) for x in v[1:]])
        if tag == "z":
            return self._records(v[1], v[2], v[3])
        raise SnapshotError(f"unknown tag in snapshot: {str(tag)[:20]!r}")

    def _keep(self, ref: int, value: object) -> None:
        if ref:
            self.refs[ref] = value

    def _segment(self, number: Any) -> bytes:
        if type(number) is not int or not 0 <= number < len(self.segments):
            raise SnapshotError("snapshot names a segment it does not have")
        return self.segments[number]

    def _records(self, number: int, keys: list[str], first: int) -> Records:
        """A dict whose values are in segment ``number``, decoded on first use by a decoder of
        their own (a segment holds no value written elsewhere; the segments from ``first`` up to
        ``number`` are those its values have)."""
        segment = self._segment(number)
        if type(first) is not int or not 0 <= first <= number:
            raise SnapshotError("snapshot's records name segments they cannot have")
        ids = dict.fromkeys(keys)
        if type(keys) is not list or len(ids) != len(keys) or not {str}.issuperset(map(type, ids)):
            raise SnapshotError("snapshot's record ids are no list of distinct strings")
        lazy = _Decoder.__new__(_Decoder)
        lazy.classes, lazy.plans, lazy.how = self.classes, self.plans, self.how
        # its own segments only: the others are not kept alive until it is decoded
        lazy.segments = [x if first <= i < number else b"" for i, x in enumerate(self.segments)]
        lazy.refs = {}

        def load() -> list[Any]:
            try:
                values = orjson.loads(segment)
                if type(values) is not list:
                    raise SnapshotError("snapshot's records are no list")
                return [lazy.decode(x) for x in values]
            except SnapshotError:
                raise
            except _DECODING as exc:
                raise SnapshotError(f"snapshot's records do not decode: {type(exc).__name__}"
                                    ) from None

        return Records(ids, load)


_DECODING = (orjson.JSONDecodeError, KeyError, IndexError, TypeError, ValueError, AttributeError,
             RecursionError)


def decode(data: bytes, community_id: str) -> tuple[CommunityState, Any]:
    """The state (and the ``extra`` data, undecoded) a snapshot holds; :class:`SnapshotError` for anything
    that is not one of this format, of this community."""
    try:
        end = data.find(b"\n")
        whole = memoryview(data)
        doc = orjson.loads(whole if end == -1 else whole[:end])
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            found = doc.get("format") if isinstance(doc, dict) else None
            raise SnapshotError(f"snapshot format {str(found)[:60]!r} is not {FORMAT!r}")
        if doc.get("community_id") != community_id:
            raise SnapshotError("snapshot of another community")
        segments = _segments(whole, end, doc["segments"])
        state = _Decoder(doc["classes"], doc["plans"], segments).decode(doc["state"])
        extra = doc.get("extra")
    except SnapshotError:
        raise
    except _DECODING as exc:
        raise SnapshotError(f"snapshot does not decode: {type(exc).__name__}") from None
    if (not isinstance(state, CommunityState) or state.community_id != community_id
            or state.size != doc.get("size")):
        raise SnapshotError("snapshot holds no state of this community")
    return state, extra


def _segments(data: memoryview, end: int, listed: list[list[Any]]) -> list[bytes]:
    """The segments after the head, each checked against the length and SHA-256 the head lists
    (a segment is decoded only on first use: one not as written is refused now), and copied out
    of the snapshot's bytes, so that those need not stay in memory."""
    out = []
    at = end + 1 if end != -1 else len(data)
    for length, digest in listed:
        if type(length) is not int or not 0 <= length <= len(data) - at:
            raise SnapshotError("snapshot is shorter than its segments")
        segment = data[at:at + length]
        if hashlib.sha256(segment).hexdigest() != digest:
            raise SnapshotError("snapshot segment does not match its digest")
        out.append(bytes(segment))
        at += length + 1
    if at != len(data) + (1 if listed else 0):
        raise SnapshotError("snapshot has bytes after its segments")
    return out
