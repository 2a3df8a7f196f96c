"""The community (社区) and its estates (小区). The founding statement also admits the first
member, whose key founds the community."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from ledger.domain.common import Body, Day, RecordId, ShortText, Text
from ledger.domain.errors import Conflict, InvalidInput
from ledger.domain.members import PublicKey
from ledger.domain.roles import Role


class Community:
    """A community with its estates."""

    class Founded(Body):
        kind: ClassVar[str] = "community.founded"
        title_zh: ClassVar[str] = "社区建账"

        name: ShortText
        description: Text | None = None
        founder_id: RecordId
        founder_name: ShortText
        founder_public_key: PublicKey
        term_start: Day
        term_end: Day | None = None

    class EstateAdded(Body):
        kind: ClassVar[str] = "community.estate_added"
        title_zh: ClassVar[str] = "登记小区"

        estate_id: RecordId
        name: ShortText
        households: Annotated[int, Field(ge=0, le=1_000_000, strict=True)] | None = None
        # the estate's first day in the ledger: its fee records may not be dated earlier
        # (default: the day of this statement; set it earlier to import older paper ledgers)
        added_on: Day | None = None

    def __init__(self, community_id: str, event: Founded) -> None:
        self.id = community_id
        self.name = event.name
        self.description = event.description
        self.estates: dict[str, Community.EstateAdded] = {}
        self.founder_role = Role.CHAIR

    def add_estate(self, event: EstateAdded) -> None:
        if event.estate_id in self.estates:
            raise Conflict(f"小区编号 {event.estate_id} 已存在", code="estate-exists")
        self.estates[event.estate_id] = event

    def require_estate(self, estate_id: str) -> EstateAdded:
        try:
            return self.estates[estate_id]
        except KeyError:
            raise InvalidInput(f"没有编号为 {estate_id} 的小区", code="estate-not-found") from None
