"""Committee members and their signing keys: admission, role, key rotation, revocation, term."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Annotated, ClassVar

from pydantic import AfterValidator, Field, ValidationInfo

from ledger.crypto.ed25519 import check_public_key
from ledger.crypto.errors import WeakKeyError
from ledger.domain.common import Body, Day, Info, MemberRef, RecordId, Shape, ShortText, Text
from ledger.domain.errors import Conflict, InvalidInput, NotAuthorised
from ledger.domain.roles import Role

WEAK_KEY_ZH = ("公钥不安全，不能登记：它不是规范编码的 Ed25519 公钥，或是小阶点、不在素数阶子群中，"
               "任何人都可能冒用它签名；请用 sunlight keys new 生成新密钥")


LOGGED = {"logged": True}
"""Validation context of a body re-read from the ledger's own log (see ``parse_body``)."""


def _safe_key(value: str, info: ValidationInfo) -> str:
    if info.context is LOGGED:
        return value
    raw = base64.b64decode(value)  # the pattern admits base64 of 32 bytes only
    try:
        check_public_key(raw)
    except WeakKeyError:
        raise InvalidInput(WEAK_KEY_ZH, code="weak-key", field=info.field_name) from None
    if base64.b64encode(raw).decode() != value:  # two spellings of one key: refuse the second
        raise InvalidInput("公钥的 base64 编码不规范（末位含非零的填充位），请照原样复制公钥",
                           code="weak-key", field=info.field_name)
    return value


PublicKey = Annotated[str, Field(pattern=r"^[A-Za-z0-9+/]{43}=$"),
                      AfterValidator(_safe_key),
                      Info(label="公钥", help="成员的 Ed25519 公钥（sunlight keys new 生成，base64）",
                           shape=Shape.KEY, example="11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")]
"""A member key as registered: base64 of 32 bytes that :func:`check_public_key` accepts."""


@lru_cache(maxsize=4096)
def key_id_of(public_key_b64: str) -> str:
    """A member key's ID: the first 8 bytes of SHA-256 of the raw 32-byte key, in hex."""
    return hashlib.sha256(base64.b64decode(public_key_b64)).hexdigest()[:16]


@dataclass
class KeyRecord:
    key_id: str
    public_key: str
    member_id: str
    added_index: int
    retired_index: int | None = None  # rotated away or member revoked at this log index
    retired_reason: str | None = None
    added_at: datetime | None = None  # the time of the statement that registered the key


class Member:
    """One committee member: who signs, in which role, from when to when."""

    class Admitted(Body):
        kind: ClassVar[str] = "member.admitted"
        title_zh: ClassVar[str] = "成员入职"

        member_id: Annotated[RecordId, Info("成员编号", "本社区内唯一的成员编号", example="li")]
        name: Annotated[ShortText, Info("姓名", "公开称呼，如 王主任 或 王建国", example="李委员")]
        role: Annotated[Role, Info("职务", "决定此人能登记哪些记录")]
        public_key: PublicKey
        term_start: Annotated[Day, Info("任期开始")]
        term_end: Annotated[Day | None, Info("任期结束", "不填表示未定")] = None

    class RoleAssigned(Body):
        kind: ClassVar[str] = "member.role_assigned"
        title_zh: ClassVar[str] = "调整职务"

        member_id: MemberRef
        role: Annotated[Role, Info("新职务", "调整后的职务，从本条记录起生效")]

    class KeyRotated(Body):
        kind: ClassVar[str] = "member.key_rotated"
        title_zh: ClassVar[str] = "更换密钥"

        member_id: MemberRef
        public_key: Annotated[PublicKey, Info("新公钥")]
        reason: Annotated[ShortText | None, Info("理由", "如 手机丢失（可不填）")] = None

    class Revoked(Body):
        kind: ClassVar[str] = "member.revoked"
        title_zh: ClassVar[str] = "撤销成员"

        member_id: MemberRef
        reason: Annotated[Text, Info("理由", "撤销的原因")]

    class TermSet(Body):
        kind: ClassVar[str] = "member.term_set"
        title_zh: ClassVar[str] = "设定任期"

        member_id: MemberRef
        term_start: Annotated[Day, Info("任期开始")]
        term_end: Annotated[Day | None, Info("任期结束", "不填表示未定")] = None

    def __init__(self, event: Admitted, index: int, at: datetime | None = None) -> None:
        """``at``: the time of the admitting statement (the role and key hold from then)."""
        self.id = event.member_id
        self.name = event.name
        self.role = event.role
        self.role_since = at
        self.term_start = date.fromisoformat(event.term_start)
        self.term_end = date.fromisoformat(event.term_end) if event.term_end else None
        self.revoked_index: int | None = None
        self.keys: list[KeyRecord] = [
            KeyRecord(key_id_of(event.public_key), event.public_key, self.id, index, added_at=at)
        ]
        _check_term(self.term_start, self.term_end)

    @property
    def current_key(self) -> KeyRecord:
        return self.keys[-1]

    @property
    def active(self) -> bool:
        return self.revoked_index is None

    def covers(self, day: date) -> bool:
        return self.term_start <= day and (self.term_end is None or day <= self.term_end)

    def assign_role(self, event: RoleAssigned, at: datetime | None = None) -> None:
        self._require_active()
        if event.role == self.role:
            raise Conflict(f"{self.name} 已是该职务", code="role-unchanged")
        self.role = event.role
        self.role_since = at

    def rotate_key(self, event: KeyRotated, index: int, known_key_ids: set[str],
                   at: datetime | None = None) -> KeyRecord:
        self._require_active()
        new_id = key_id_of(event.public_key)
        if new_id in known_key_ids:
            raise Conflict("该公钥已被使用过，请生成新密钥", code="key-reused")
        self.current_key.retired_index = index
        self.current_key.retired_reason = "rotated"
        record = KeyRecord(new_id, event.public_key, self.id, index, added_at=at)
        self.keys.append(record)
        return record

    def revoke(self, event: Revoked, index: int) -> None:
        self._require_active()
        self.revoked_index = index
        self.current_key.retired_index = index
        self.current_key.retired_reason = "revoked"

    def set_term(self, event: TermSet) -> None:
        self._require_active()
        start = date.fromisoformat(event.term_start)
        end = date.fromisoformat(event.term_end) if event.term_end else None
        _check_term(start, end)
        self.term_start, self.term_end = start, end

    def _require_active(self) -> None:
        if not self.active:
            raise Conflict(f"成员 {self.name} 已被撤销", code="member-revoked")


def _check_term(start: date, end: date | None) -> None:
    if end is not None and end < start:
        raise InvalidInput("任期结束日期早于开始日期", code="term-invalid")


def require_signer(member: Member | None, key: KeyRecord | None, on: date,
                   accepting: bool = False) -> Member:
    """The signer's standing on the day ``on`` (the statement's day, or with ``accepting`` the
    day the log accepts it), or a clear refusal."""
    if key is None or member is None:
        raise NotAuthorised("签名密钥不属于本社区任何成员", code="unknown-key")
    if key.retired_index is not None:
        if key.retired_reason == "revoked":
            raise NotAuthorised(f"{member.name} 的密钥已被撤销", code="key-revoked")
        raise NotAuthorised(f"{member.name} 的这把密钥已被更换，请使用新密钥", code="key-rotated")
    if not member.covers(on):
        when = "登记当天" if accepting else ""
        raise NotAuthorised(f"{member.name} 的任期不包含{when} {on.isoformat()}", code="term-over")
    return member


def require_held_at(member: Member, key: KeyRecord, at: datetime) -> None:
    """Refuses a statement dated before its signer's key was registered or their role given: a
    statement cannot be backdated into a time when its signer had no such authority."""
    if key.added_at is not None and at < key.added_at:
        raise NotAuthorised(f"声明时间早于 {member.name} 这把密钥的登记时间", code="key-not-yet-valid")
    if member.role_since is not None and at < member.role_since:
        raise NotAuthorised(f"声明时间早于 {member.name} 担任{member.role.title_zh}的时间",
                            code="role-not-yet-held")
