"""Stage 1: read the log. Each entry becomes a :class:`Record` with its typed body and signer.

The signer is resolved as the log stood when the statement was recorded (role, public name,
key ID), so a record keeps showing who signed it even after that member's role or key changed:
from the same fold of the community's state that the ledger and the auditor run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ledger.domain.common import Body
from ledger.domain.community import Community
from ledger.domain.roles import ROLE_TITLES, Role
from ledger.domain.state import BODY_TYPES, CommunityState
from ledger.replay import decode


@dataclass(frozen=True)
class Signer:
    key_id: str
    member_id: str
    name: str  # the public name of the office holder, as recorded
    role: Role

    @property
    def role_zh(self) -> str:
        return ROLE_TITLES[self.role]


@dataclass(frozen=True)
class Record:
    index: int
    kind: str
    at: datetime  # when the member signed (aware UTC)
    accepted_at: datetime
    body: Body
    raw: dict[str, Any]  # the body exactly as signed
    signer: Signer
    entry_sha256: str  # hex SHA-256 of the log entry bytes
    statement_sha256: str
    cosigners: tuple[Signer, ...] = ()  # a co-signed entry's other signers, in the entry's order

    @property
    def kind_zh(self) -> str:
        return BODY_TYPES[self.kind].title_zh


def _signer(state: CommunityState, key_id: str) -> Signer:
    """Who holds ``key_id`` in the folded ``state``, in which role."""
    key = state.keys.get(key_id)
    member = state.members.get(key.member_id) if key is not None else None
    if member is None:
        return Signer(key_id, "", "（未知）", Role.MEMBER)
    return Signer(key_id, member.id, member.name, member.role)


def read_records(entries: Iterable[tuple[int, bytes]]) -> Iterator[Record]:
    """Decodes ``(index, entry bytes)`` pairs in log order, folding the community's state
    (:func:`ledger.replay.decode`, :meth:`CommunityState.apply`) to name each signer."""
    state: CommunityState | None = None
    for index, data in entries:
        r = decode(index, data)
        st = r.statement
        if state is None:
            state = CommunityState(st.community, keep_records=False)
        if isinstance(r.body, Community.Founded):
            state.apply(r.signed)  # the founding statement is signed by the key it names
            signer = _signer(state, r.entry.key_id)
        else:
            signer = _signer(state, r.entry.key_id)
        cosigners = tuple(_signer(state, k) for k, _ in r.entry.cosignatures)
        if not isinstance(r.body, Community.Founded):
            state.apply(r.signed)
        yield Record(index, st.kind, st.at, r.entry.accepted_at, r.body, st.body, signer,
                     hashlib.sha256(data).hexdigest(), hashlib.sha256(r.entry.statement).hexdigest(),
                     cosigners)
