"""The records a state keeps for reading, each as its body's JSON: a fifth of the memory.

The rules never read a donation, grant, income or spend back (they ask the ids, kept in
:mod:`ledger.domain.ids`, and the running totals); only the read views do, a page at a time. A
service holding hundreds of communities keeps these records, the bulk of every log, as the JSON
of their bodies (~300 bytes each) rather than as pydantic objects (~1.5 KB each, their
``__pydantic_fields_set__`` alone ~700 bytes), and reads one back as the body it was (a few
microseconds) when it is asked for.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any, Generic, TypeVar

from ledger.domain.common import Body
from ledger.domain.member import LOGGED

B = TypeVar("B", bound=Body)


class Kept(MutableMapping[str, B], Generic[B]):
    """A dict of the bodies of one record kind, by record id, in the order first recorded."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.data: dict[str, bytes] = {}  # record id -> the body's JSON

    def __getitem__(self, key: str) -> B:
        return self._body(self.data[key])

    def get(self, key: str, default: Any = None) -> Any:
        data = self.data.get(key)
        return default if data is None else self._body(data)

    def __setitem__(self, key: str, body: B) -> None:
        if body.kind != self.kind:
            raise TypeError(f"a {body.kind} body kept among {self.kind} records")
        self.data[key] = type(body).__pydantic_serializer__.to_json(body)

    def __delitem__(self, key: str) -> None:
        del self.data[key]

    def __contains__(self, key: object) -> bool:
        return key in self.data

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def _body(self, data: bytes) -> B:
        # The body was validated when its statement was accepted; read back with the context of
        # the ledger's own log (as a fold of that log does: ``parse_body(..., logged=True)``).
        validator = _body_type(self.kind).__pydantic_validator__
        return validator.validate_json(data, context=LOGGED)  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return f"Kept({self.kind}, {len(self)} records)"


def _body_type(kind: str) -> type[Body]:
    from ledger.domain.kinds import BODY_TYPES  # the registry imports the kinds that use this

    return BODY_TYPES[kind]
