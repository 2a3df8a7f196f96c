"""The committee roles. Which role may sign which kind is said by the kinds registry
(:mod:`ledger.domain.kinds`)."""

from __future__ import annotations

from ledger.domain.common import Choice


class Role(Choice):
    CHAIR = "chair", "主任"
    MEMBER = "member", "委员"
    TREASURER = "treasurer", "出纳"
    SUPERVISOR = "supervisor", "监督"

    @property
    def title_zh(self) -> str:
        return self.label


ROLE_TITLES = {role: role.label for role in Role}
