"""What a founding is: the community's ``community.founded`` statement first, a valid community
id and log name, and the one-time invitation tokens that let the service found (kept as hashes).
The application (:meth:`ledger.application.Sunlight.found`) writes it in one transaction."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import UTC, datetime

from ledger.domain.community import Community
from ledger.domain.errors import DomainError, InvalidInput, NotAuthorised, NotFound
from ledger.domain.policy import Founding
from ledger.signing import Statement, Submission

COMMUNITY_ID = r"^[a-z0-9][a-z0-9-]{1,62}$"


def not_founded(community_id: str, statements: Sequence[Statement]) -> DomainError:
    if any(st.kind == Community.Founded.kind for st in statements):
        return NotAuthorised("建立社区须经本系统运营方授权（sunlight init 或建账邀请），"
                             "不能直接提交建账声明", code="founding-not-authorised")
    return NotFound(f"本系统没有社区 {community_id}", code="community-not-found")


def founding_community(submissions: Sequence[Submission]) -> str:
    """The community that ``submissions`` found: the first must be its ``community.founded``."""
    if not submissions:
        raise InvalidInput("建账需要建账声明", code="founding-statement-missing")
    statements = [Statement.from_bytes(sub.statement) for sub in submissions]
    if statements[0].kind != Community.Founded.kind:
        raise InvalidInput("建账的第一份声明必须是 community.founded",
                           code="founding-statement-missing")
    if len({st.community for st in statements}) != 1:
        raise InvalidInput("一次建账只能针对一个社区", code="batch-mixed-communities")
    return statements[0].community


def require_default_policy(founded: Community.Founded) -> None:
    """A community founded through the service is under the default signing policy from its
    first entry: its founding statement must say so (``"policy": "default"``), since the policy
    a verifier re-derives is the one the entries state. (A founding without it -- as in logs
    written before the policy existed -- would leave one signature enough for everything.)"""
    if founded.policy is not Founding.DEFAULT:
        raise InvalidInput('建账声明须写明 "policy": "default"：新建的社区从建账起采用默认签署规则'
                           "（如拨付资助须出纳和主任共同签署）；请在建账声明中加上这一项后重新签名提交",
                           code="founding-policy-missing", field="policy")


def check_names(community_id: str, origin: str) -> None:
    if not re.fullmatch(COMMUNITY_ID, community_id):
        raise InvalidInput("社区编号只能使用小写字母、数字和连字符（2–63 位）", code="invalid-id")
    if not origin or "\n" in origin or "+" in origin or " " in origin or len(origin) > 200:
        raise InvalidInput("日志名称（origin）不能含空格、换行或加号", code="invalid-origin")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)  # SQLite returns naive UTC
