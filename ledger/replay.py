"""Log entries into signed statements: the one decoding every reader of a log uses.

The ledger's own state, the API's read model, the publisher and the auditor all read the same
entry bytes: :func:`read_entry` opens an entry and its statement (refusing what is malformed with
a :class:`~ledger.domain.errors.DomainError` naming the code), :func:`decode` adds the typed body,
and :func:`replay` folds each decoded entry into a :class:`~ledger.domain.state.CommunityState` --
the one fold of a community's rules, which also says who signed what. The auditor checks every
signature and signer itself (:func:`ledger.acceptance.accept`); the ledger's readers replay a log
it accepted. Pure: no database.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ledger.domain.common import Body
from ledger.domain.state import CommunityState, Signed, parse_body
from ledger.signing import Entry, Statement, statement_hash


@dataclass(frozen=True, slots=True)
class Replayed:
    """One entry of a log, decoded."""

    index: int
    data: bytes  # the entry bytes as stored (its SHA-256 is the leaf's input)
    entry: Entry
    statement: Statement
    signed: Signed  # what the fold takes: index, kind, typed body, key ID, time, statement hash

    @property
    def body(self) -> Body:
        return self.signed.body


def read_entry(data: bytes) -> tuple[Entry, Statement]:
    """The entry and its statement. A malformed entry raises ``entry-malformed``; a malformed
    statement, its own code (``statement-malformed``, ``invalid-time``...)."""
    entry = Entry.decode(data)
    return entry, Statement.from_bytes(entry.statement, check_canonical=False)


def decode(index: int, data: bytes) -> Replayed:
    """The entry at ``index`` of a log this ledger wrote, with its typed body (a key it
    registered is taken as it stands: see :func:`~ledger.domain.state.parse_body`)."""
    entry, st = read_entry(data)
    body = parse_body(st.kind, st.body, logged=True)
    return Replayed(index, data, entry, st,
                    Signed(index, st.kind, body, entry.key_id, st.at, statement_hash(entry.statement),
                           tuple(k for k, _ in entry.cosignatures)))


def replay(state: CommunityState, entries: Iterable[tuple[int, bytes]]) -> Iterator[Replayed]:
    """Decodes ``(index, entry bytes)`` in log order and folds each into ``state``, yielding it
    once folded. The state's rules still run: an entry they refuse raises."""
    apply = state.apply
    for index, data in entries:
        replayed = decode(index, data)
        apply(replayed.signed)
        yield replayed
