"""Affairs disclosure (居务公开): publish, correct, retract. The original always stays."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from ledger.domain.common import (
    Attachment,
    Body,
    Choice,
    DisclosureRef,
    Info,
    Period,
    RecordId,
    ShortText,
    Text,
)
from ledger.domain.errors import Conflict


class Category(Choice):
    DECISION = "decision", "决策及执行"  # 重大事项决策及执行
    FUND_USE = "fund_use", "资金使用"  # 专项资金使用
    WORK_ITEMS = "work_items", "工作事项准入清单"  # 社区工作事项准入清单
    CONSULTATION = "consultation", "协商结果"
    OTHER = "other", "其他"

    @property
    def title_zh(self) -> str:
        return self.label


CATEGORY_TITLES = {c: c.label for c in Category}

Attachments = Annotated[list[Attachment], Field(max_length=50),
                        Info("附件", "扫描件的文件名和内容哈希（文件本身不公开）")]


class Disclosure:
    class Published(Body):
        kind: ClassVar[str] = "disclosure.published"
        title_zh: ClassVar[str] = "发布公开"

        disclosure_id: Annotated[RecordId, Info("公开事项编号", "本社区内唯一的编号",
                                                example="gk-2025-01")]
        category: Annotated[Category, Info("类别", "公开事项属于哪一类居务公开")]
        period: Period
        title: Annotated[ShortText, Info("标题", "公开栏上显示的标题", example="2025 年第一季度财务公开")]
        body: Annotated[Text, Info("内容", "公开的正文")]
        attachments: Attachments = Field(default_factory=list)

    class Corrected(Body):
        kind: ClassVar[str] = "disclosure.corrected"
        title_zh: ClassVar[str] = "更正公开"

        disclosure_id: Annotated[DisclosureRef, Info(help="被更正的原公开事项的编号")]
        correction_id: Annotated[RecordId, Info("更正编号", "本社区内唯一的更正编号")]
        title: Annotated[ShortText | None, Info("新标题", "不填则沿用原标题")] = None
        body: Annotated[Text, Info("更正后的内容", "完整的新内容；原内容仍然保留可查")]
        reason: Annotated[Text, Info("更正理由", "为什么更正，居民可见")]
        attachments: Attachments = Field(default_factory=list)

    class Retracted(Body):
        kind: ClassVar[str] = "disclosure.retracted"
        title_zh: ClassVar[str] = "撤回公开"

        disclosure_id: DisclosureRef
        reason: Annotated[Text, Info("撤回理由", "为什么撤回，居民可见；原内容仍然保留可查")]

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
