"""Property fees (物业费) per estate: yearly budgets, income and public revenue, spends.

A spend past its category's remaining budget for the year needs a passed decision that
authorises it. A second budget for the same estate and year is a revision: it needs a passed
decision that authorises it, may not cut a line below what is already spent in it, and every
revision is kept beside the original. An invoice (by its hash) pays for one spend only.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from ledger.domain.common import (
    AmountFen,
    Body,
    Choice,
    Day,
    DecisionRef,
    EstateRef,
    Info,
    Period,
    RecordId,
    Sha256Hex,
    ShortText,
    Text,
)
from ledger.domain.dates import Year, not_before
from ledger.domain.decision import Decision, fmt_yuan
from ledger.domain.errors import Conflict, InvalidInput, RuleViolation
from ledger.domain.ids import Ids, MemoryIds
from ledger.domain.kept import Kept


class SpendCategory(Choice):
    CLEANING = "cleaning", "保洁"
    SECURITY = "security", "秩序维护"
    GREENING = "greening", "绿化"
    REPAIRS = "repairs", "维修"
    ELEVATORS = "elevators", "电梯"
    UTILITIES = "utilities", "公共能耗"
    MANAGEMENT = "management", "管理费用"
    OTHER = "other", "其他"


SPEND_TITLES = {c: c.label for c in SpendCategory}


class IncomeSource(Choice):
    PROPERTY_FEE = "property_fee", "物业费"
    PARKING = "parking", "停车收益"  # public revenue
    ADVERTISING = "advertising", "广告收益"  # public revenue
    VENUE = "venue", "场地租赁"  # public revenue
    OTHER = "other", "其他收益"


INCOME_TITLES = {c: c.label for c in IncomeSource}


class BudgetLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    category: Annotated[SpendCategory, Info("类别", "预算的支出类别")]
    amount_fen: Annotated[AmountFen, Info("预算金额", "这一类别全年的预算（分）")]


class BudgetRevision(NamedTuple):
    """One budget of an estate's year: the original (``revision`` 0) or a revision of it."""

    revision: int
    log_index: int
    day: str  # the statement's day (Asia/Shanghai)
    lines: dict[str, int]  # category -> fen
    decision_id: str | None


class Fee:
    """The fee accounts of one estate across the years."""

    class BudgetSet(Body):
        kind: ClassVar[str] = "fee.budget_set"
        title_zh: ClassVar[str] = "编制年度预算"

        estate_id: EstateRef
        year: Annotated[Year, Info("年度", "预算所属的年份，如 2025")]
        lines: Annotated[list[BudgetLine], Field(min_length=1, max_length=len(SpendCategory)),
                         Info("预算明细", "每个支出类别一行：类别和金额")]
        note: Annotated[Text | None, Info("备注", "预算说明（可不填）")] = None
        # the passed decision that authorises this budget (required for a revision)
        decision_id: Annotated[DecisionRef | None, Info(
            help="授权修订预算的已通过决议的编号（同一年度的第二份预算必填）")] = None

    class IncomeRecorded(Body):
        kind: ClassVar[str] = "fee.income_recorded"
        title_zh: ClassVar[str] = "登记收入"

        estate_id: EstateRef
        income_id: Annotated[RecordId, Info("收入编号", "本小区内唯一的收入编号")]
        source: Annotated[IncomeSource, Info("来源", "物业费或停车、广告、场地等公共收益")]
        period: Annotated[Period, Info(help="收入所属的期间：2025、2025-03、2025-Q1 或 2025-H1")]
        amount_fen: Annotated[AmountFen, Info("收入金额")]
        received_on: Annotated[Day, Info("收款日期")]
        note: Annotated[ShortText | None, Info("备注", "公开的补充说明（可不填）")] = None

    class SpendRecorded(Body):
        kind: ClassVar[str] = "fee.spend_recorded"
        title_zh: ClassVar[str] = "登记支出"

        estate_id: EstateRef
        spend_id: Annotated[RecordId, Info("支出编号", "本小区内唯一的支出编号")]
        category: Annotated[SpendCategory, Info("类别", "支出类别，对应年度预算的一行")]
        vendor: Annotated[ShortText, Info("收款单位", "供应商或服务单位", example="某某电梯维保公司")]
        amount_fen: Annotated[AmountFen, Info("支出金额")]
        invoice_sha256: Annotated[Sha256Hex, Info(
            "发票哈希", "发票扫描件的 SHA-256：发票本身不公开，同一张发票只能报销一次")]
        spent_on: Annotated[Day, Info("支出日期")]
        description: Annotated[ShortText, Info("摘要", "这笔支出做了什么", example="3 号楼电梯年检")]
        decision_id: Annotated[DecisionRef | None, Info(
            help="超出预算时必填：授权这笔支出的已通过决议的编号")] = None

    def __init__(self, estate_id: str, keep: bool = True, ids: Ids | None = None,
                 start: str = "2000-01-01") -> None:
        """``keep``: keep every income and spend for reading; the rules need only their ids,
        kept in ``ids``. ``start``: the estate's first day in the ledger (YYYY-MM-DD)."""
        self.keep = keep
        self.ids: Ids = MemoryIds() if ids is None else ids
        self.estate_id = estate_id
        self.start = start
        self.budgets: dict[int, dict[str, int]] = {}
        self.budget_history: dict[int, list[BudgetRevision]] = {}  # year -> original, revisions
        self.spent: dict[int, dict[str, int]] = {}
        self.income: Kept[Fee.IncomeRecorded] = Kept(Fee.IncomeRecorded.kind)
        self.spends: Kept[Fee.SpendRecorded] = Kept(Fee.SpendRecorded.kind)

    def set_budget(self, event: BudgetSet, decision: Decision | None, index: int = 0,
                   day: str = "") -> None:
        """The year's first budget, or a revision of it (which ``decision`` must authorise)."""
        categories = [line.category for line in event.lines]
        if len(set(categories)) != len(categories):
            raise InvalidInput("预算中同一类别出现多次", code="budget-duplicate-category")
        lines = {line.category.value: line.amount_fen for line in event.lines}
        history = self.budget_history.get(event.year, [])
        if history and decision is None:
            raise RuleViolation(
                f"{event.year} 年预算已经编制；修订预算须注明授权修订的决议 decision_id",
                code="budget-revision-needs-decision")
        for category, spent in self.spent.get(event.year, {}).items():
            budget = lines.get(category, 0)
            if budget < spent:
                title = SPEND_TITLES[SpendCategory(category)]
                raise RuleViolation(
                    f"{event.year} 年“{title}”已支出 {fmt_yuan(spent)}，预算不能低于已支出的金额"
                    f"（本次为 {fmt_yuan(budget)}）", code="budget-below-spent")
        if decision is not None:
            total = sum(lines.values())
            position = decision.draw_budget(estate_id=self.estate_id, year=event.year,
                                            total_fen=total)
            decision.commit_draw(position, total,
                                 ("fee.budget_set", f"{self.estate_id}/{event.year}/{len(history)}"))
        self.budgets[event.year] = lines
        self.budget_history.setdefault(event.year, []).append(
            BudgetRevision(len(history), index, day, lines, event.decision_id))

    def record_income(self, event: IncomeRecorded) -> None:
        not_before(event.received_on, "received_on", self.start, f"小区 {self.estate_id} 的建账日期")
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
        not_before(event.spent_on, "spent_on", self.start, f"小区 {self.estate_id} 的建账日期")
        # An invoice pays for one spend, in whichever estate of the community: a second spend on
        # the same invoice is refused (spends have no corrections; see the README).
        invoice = ("invoice", "", event.invoice_sha256)
        if self.ids.taken(invoice):
            raise Conflict("这张发票（invoice_sha256 相同）已用于另一笔支出，同一张发票不能报销两次",
                           code="invoice-reused")
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
        self.ids.add(invoice)
        if self.keep:
            self.spends[event.spend_id] = event
        per_year = self.spent.setdefault(year, {})
        per_year[category] = per_year.get(category, 0) + event.amount_fen
