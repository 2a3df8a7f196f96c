"""Affairs disclosure (居务公开): publish, correct, retract. The original always stays."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import Field

from ledger.domain.common import Attachment, Body, Period, RecordId, ShortText, Text
from ledger.domain.errors import Conflict


class Category(StrEnum):
    DECISION = "decision"  # 重大事项决策及执行
    FUND_USE = "fund_use"  # 专项资金使用
    WORK_ITEMS = "work_items"  # 社区工作事项准入清单
    CONSULTATION = "consultation"  # 协商结果
    OTHER = "other"

    @property
    def title_zh(self) -> str:
        return CATEGORY_TITLES[self]


CATEGORY_TITLES = {
    Category.DECISION: "决策及执行",
    Category.FUND_USE: "资金使用",
    Category.WORK_ITEMS: "工作事项准入清单",
    Category.CONSULTATION: "协商结果",
    Category.OTHER: "其他",
}

Attachments = Annotated[list[Attachment], Field(max_length=50)]


class Disclosure:
    class Published(Body):
        kind: ClassVar[str] = "disclosure.published"
        title_zh: ClassVar[str] = "发布公开"

        disclosure_id: RecordId
        category: Category
        period: Period
        title: ShortText
        body: Text
        attachments: Attachments = Field(default_factory=list)

    class Corrected(Body):
        kind: ClassVar[str] = "disclosure.corrected"
        title_zh: ClassVar[str] = "更正公开"

        disclosure_id: RecordId  # the original
        correction_id: RecordId
        title: ShortText | None = None
        body: Text
        reason: Text
        attachments: Attachments = Field(default_factory=list)

    class Retracted(Body):
        kind: ClassVar[str] = "disclosure.retracted"
        title_zh: ClassVar[str] = "撤回公开"

        disclosure_id: RecordId
        reason: Text

    def __init__(self, event: Published, index: int) -> None:
        self.id = event.disclosure_id
        self.published = event
        self.index = index
        self.corrections: list[tuple[int, Disclosure.Corrected]] = []
        self.retracted: tuple[int, Disclosure.Retracted] | None = None

    def correct(self, event: Corrected, index: int) -> None:
        self._require_not_retracted()
        self.corrections.append((index, event))

    def retract(self, event: Retracted, index: int) -> None:
        self._require_not_retracted()
        self.retracted = (index, event)

    def _require_not_retracted(self) -> None:
        if self.retracted is not None:
            raise Conflict(f"公开事项 {self.id} 已撤回，不能再更正或撤回", code="disclosure-retracted")
