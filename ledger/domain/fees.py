"""Property fees (物业费) per estate: yearly budgets, income and public revenue, spends.

A spend past its category's remaining budget for the year needs a passed decision that
authorises it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from ledger.domain.common import AmountFen, Body, Day, Period, RecordId, Sha256Hex, ShortText, Text
from ledger.domain.decision import Decision, fmt_yuan
from ledger.domain.errors import Conflict, InvalidInput
from ledger.domain.ids import Ids, MemoryIds


class SpendCategory(StrEnum):
    CLEANING = "cleaning"
    SECURITY = "security"
    GREENING = "greening"
    REPAIRS = "repairs"
    ELEVATORS = "elevators"
    UTILITIES = "utilities"
    MANAGEMENT = "management"
    OTHER = "other"


SPEND_TITLES = {
    SpendCategory.CLEANING: "保洁",
    SpendCategory.SECURITY: "秩序维护",
    SpendCategory.GREENING: "绿化",
    SpendCategory.REPAIRS: "维修",
    SpendCategory.ELEVATORS: "电梯",
    SpendCategory.UTILITIES: "公共能耗",
    SpendCategory.MANAGEMENT: "管理费用",
    SpendCategory.OTHER: "其他",
}


class IncomeSource(StrEnum):
    PROPERTY_FEE = "property_fee"  # 物业费
    PARKING = "parking"  # 停车收益 (public revenue)
    ADVERTISING = "advertising"  # 广告收益 (public revenue)
    VENUE = "venue"  # 场地租赁 (public revenue)
    OTHER = "other"


INCOME_TITLES = {
    IncomeSource.PROPERTY_FEE: "物业费",
    IncomeSource.PARKING: "停车收益",
    IncomeSource.ADVERTISING: "广告收益",
    IncomeSource.VENUE: "场地租赁",
    IncomeSource.OTHER: "其他收益",
}


class BudgetLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    category: SpendCategory
    amount_fen: AmountFen


Year = Annotated[int, Field(ge=2000, le=2100, strict=True)]


class EstateFees:
    """The fee accounts of one estate across the years."""

    class BudgetSet(Body):
        kind: ClassVar[str] = "fee.budget_set"
        title_zh: ClassVar[str] = "编制年度预算"

        estate_id: RecordId
        year: Year
        lines: Annotated[list[BudgetLine], Field(min_length=1, max_length=len(SpendCategory))]
        note: Text | None = None

    class IncomeRecorded(Body):
        kind: ClassVar[str] = "fee.income_recorded"
        title_zh: ClassVar[str] = "登记收入"

        estate_id: RecordId
        income_id: RecordId
        source: IncomeSource
        period: Period
        amount_fen: AmountFen
        received_on: Day
        note: ShortText | None = None

    class SpendRecorded(Body):
        kind: ClassVar[str] = "fee.spend_recorded"
        title_zh: ClassVar[str] = "登记支出"

        estate_id: RecordId
        spend_id: RecordId
        category: SpendCategory
        vendor: ShortText
        amount_fen: AmountFen
        invoice_sha256: Sha256Hex
        spent_on: Day
        description: ShortText
        decision_id: RecordId | None = None

    def __init__(self, estate_id: str, keep: bool = True, ids: Ids | None = None) -> None:
        """``keep``: keep every income and spend for reading; the rules need only their ids,
        kept in ``ids``."""
        self.keep = keep
        self.ids: Ids = MemoryIds() if ids is None else ids
        self.estate_id = estate_id
        self.budgets: dict[int, dict[str, int]] = {}
        self.spent: dict[int, dict[str, int]] = {}
        self.income: dict[str, EstateFees.IncomeRecorded] = {}
        self.spends: dict[str, EstateFees.SpendRecorded] = {}

    def set_budget(self, event: BudgetSet) -> None:
        categories = [line.category for line in event.lines]
        if len(set(categories)) != len(categories):
            raise InvalidInput("预算中同一类别出现多次", code="budget-duplicate-category")
        self.budgets[event.year] = {line.category.value: line.amount_fen for line in event.lines}

    def record_income(self, event: IncomeRecorded) -> None:
        if self.ids.claim(("income", self.estate_id, event.income_id)) is not None:
            raise Conflict(f"收入编号 {event.income_id} 已存在", code="id-exists")
        if self.keep:
            self.income[event.income_id] = event

    def remaining(self, year: int, category: str) -> int:
        budget = self.budgets.get(year, {}).get(category, 0)
        return budget - self.spent.get(year, {}).get(category, 0)

    def record_spend(self, event: SpendRecorded, decision: Decision | None) -> None:
        spend = ("spend", self.estate_id, event.spend_id)
        if self.ids.taken(spend):
            raise Conflict(f"支出编号 {event.spend_id} 已存在", code="id-exists")
        year = int(event.spent_on[:4])
        category = event.category.value
        remaining = self.remaining(year, category)
        record = ("fee.spend_recorded", event.spend_id)
        draw: int | None = None
        if event.amount_fen > remaining:
            if decision is None:
                title = SPEND_TITLES[event.category]
                raise InvalidInput(
                    f"{year} 年“{title}”预算余额 {fmt_yuan(remaining)}，本笔 "
                    f"{fmt_yuan(event.amount_fen)} 超出预算，须注明授权决议 decision_id",
                    code="over-budget-needs-decision")
            draw = decision.draw(type="spend", amount_fen=event.amount_fen, record=record,
                                 estate_id=self.estate_id, category=category)
        elif decision is not None and not decision.passed:
            decision.draw(type="spend", amount_fen=0, record=record)  # raises: not passed
        if decision is not None:
            if draw is not None:
                decision.commit_draw(draw, event.amount_fen, record)
            else:
                decision.uses.append(record)
        self.ids.add(spend)
        if self.keep:
            self.spends[event.spend_id] = event
        per_year = self.spent.setdefault(year, {})
        per_year[category] = per_year.get(category, 0) + event.amount_fen
