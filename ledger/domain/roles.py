"""Which role may record which kind of statement: the rule lives here and nowhere else."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache


class Role(StrEnum):
    CHAIR = "chair"  # 主任
    MEMBER = "member"  # 委员
    TREASURER = "treasurer"  # 出纳
    SUPERVISOR = "supervisor"  # 监督

    @property
    def title_zh(self) -> str:
        return ROLE_TITLES[self]


ROLE_TITLES = {
    Role.CHAIR: "主任",
    Role.MEMBER: "委员",
    Role.TREASURER: "出纳",
    Role.SUPERVISOR: "监督",
}

# Kinds are "<aggregate>.<event>"; a rule names an aggregate prefix or one exact kind.
_RIGHTS: dict[Role, frozenset[str]] = {
    # The chair may record everything, and is the only one who manages the committee.
    Role.CHAIR: frozenset({"community", "member", "disclosure", "fund", "fee", "decision",
                           "evaluation", "project"}),
    Role.MEMBER: frozenset({"disclosure", "decision", "evaluation", "project"}),
    # Money is recorded by the treasurer, who also discloses fund use.
    Role.TREASURER: frozenset({"fund", "fee", "disclosure"}),
    # The supervision member records evaluations and may publish disclosures (e.g. findings).
    Role.SUPERVISOR: frozenset({"evaluation", "disclosure"}),
}


@lru_cache(maxsize=256)
def may_record(role: Role, kind: str) -> bool:
    rights = _RIGHTS[role]
    return kind in rights or kind.split(".", 1)[0] in rights


def roles_for(kind: str) -> list[Role]:
    return [role for role in Role if may_record(role, kind)]
