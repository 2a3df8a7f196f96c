"""Stage 1: read the log. Each entry becomes a :class:`Record` with its typed body and signer.

The signer is resolved as the log stood when the statement was recorded (role, public name,
key ID), so a record keeps showing who signed it even after that member's role or key changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ledger.domain.common import Body
from ledger.domain.community import Community
from ledger.domain.kinds import BY_BODY
from ledger.domain.member import Member, key_id_of
from ledger.domain.roles import ROLE_TITLES, Role
from ledger.domain.state import BODY_TYPES, parse_body
from ledger.signing import Entry, Statement


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

    @property
    def kind_zh(self) -> str:
        return BODY_TYPES[self.kind].title_zh


class _Signers:
    """Who holds which key, and in which role, as the log is read in order."""

    def __init__(self) -> None:
        self.key_member: dict[str, str] = {}
        self.members: dict[str, tuple[str, Role]] = {}

    def signer(self, key_id: str) -> Signer:
        member_id = self.key_member.get(key_id, "")
        name, role = self.members.get(member_id, ("（未知）", Role.MEMBER))
        return Signer(key_id, member_id, name, role)

    def fold(self, body: Body) -> None:
        """Folds the kinds that change who signs (named by their fold in the kinds registry)."""
        handler = getattr(self, f"_{BY_BODY[type(body)].fold}", None)
        if handler is not None:
            handler(body)

    def _community_founded(self, body: Community.Founded) -> None:
        self.members[body.founder_id] = (body.founder_name, Role.CHAIR)
        self.key_member[key_id_of(body.founder_public_key)] = body.founder_id

    def _member_admitted(self, body: Member.Admitted) -> None:
        self.members[body.member_id] = (body.name, body.role)
        self.key_member[key_id_of(body.public_key)] = body.member_id

    def _role_assigned(self, body: Member.RoleAssigned) -> None:
        name, _ = self.members[body.member_id]
        self.members[body.member_id] = (name, body.role)

    def _key_rotated(self, body: Member.KeyRotated) -> None:
        self.key_member[key_id_of(body.public_key)] = body.member_id


def read_records(entries: Iterable[tuple[int, bytes]]) -> Iterator[Record]:
    """Decodes ``(index, entry bytes)`` pairs in log order."""
    signers = _Signers()
    for index, data in entries:
        entry = Entry.decode(data)
        st = Statement.from_bytes(entry.statement, check_canonical=False)
        body = parse_body(st.kind, st.body, logged=True)
        if isinstance(body, Community.Founded):
            signers.fold(body)  # the founding statement is signed by the key it names
            signer = signers.signer(entry.key_id)
        else:
            signer = signers.signer(entry.key_id)
            signers.fold(body)
        yield Record(index, st.kind, st.at, entry.accepted_at, body, st.body, signer,
                     hashlib.sha256(data).hexdigest(), hashlib.sha256(entry.statement).hexdigest())
