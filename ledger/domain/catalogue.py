"""The disclosure catalogue (公开目录): what a community must disclose, and by when.

A community sets its catalogue with one signed ``community.disclosure_catalogue_set``
(:class:`~ledger.domain.community.Community.CatalogueSet`: the whole list, in force from that
entry on); until it does, :data:`~ledger.domain.community.DEFAULT_CATALOGUE` applies. The audit
views (:mod:`ledger.audit.findings`) read it to find disclosures that are late or missing, and
take from it the few thresholds the other findings use (how late a record may be entered, how
long an evaluation may wait for its consequence, how long a needs project may rest in one step).

Deadlines count days as residents do: a periodic item's ``deadline`` is a day of the month after
the period; a decision's or an evaluation's counts working days on the mainland holiday calendar
(:mod:`ledger.domain.workdays`, with its 调休 make-up days).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ledger.domain.common import Choice, Info, RecordId, Shape, ShortText
from ledger.domain.disclosure import Category


class Cadence(Choice):
    MONTHLY = "monthly", "每月"
    QUARTERLY = "quarterly", "每季度"
    YEARLY = "yearly", "每年"
    EACH_DECISION = "each_decision", "每项决议"
    EACH_EVALUATION = "each_evaluation", "每次评议结果"


PERIODIC = (Cadence.MONTHLY, Cadence.QUARTERLY, Cadence.YEARLY)

Days = Annotated[int, Field(ge=1, le=3650, strict=True), Info(shape=Shape.INTEGER, example=30)]


class CatalogueItem(BaseModel):
    """One thing that must be disclosed: a disclosure of ``category`` for every period of
    ``cadence`` by the ``deadline``-th day of the month after it, or for every decision (every
    evaluation's results) within ``deadline`` working days of its meeting (of its closing)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    item_id: Annotated[RecordId, Info("事项编号", "目录内唯一的编号", example="finance-monthly")]
    title: Annotated[ShortText, Info("事项", "公开什么，如 财务收支月度公开", example="财务收支月度公开")]
    cadence: Annotated[Cadence, Info("频次", "每月、每季度、每年，或每项决议、每次评议结果",
                                     example="each_evaluation")]
    deadline: Annotated[int, Field(ge=1, le=250, strict=True), Info(
        "期限", "按月、季、年公开的：期间结束后次月几日前（1–28）；每项决议、每次评议结果：会议或评议"
        "结束后多少个工作日内", shape=Shape.INTEGER, example=20)]
    category: Annotated[Category | None, Info(
        "公开类别", "须发布哪一类居务公开；每次评议结果不填（以登记的评议结果为准）")] = None

    @model_validator(mode="after")
    def _deadline(self) -> CatalogueItem:
        if self.cadence in PERIODIC:
            if self.category is None:
                raise ValueError("按月、季、年公开的事项须填写公开类别 category")
            if self.deadline > 28:
                raise ValueError("按月、季、年公开的期限是次月的第几日，应为 1–28")
        elif self.cadence == Cadence.EACH_DECISION and self.category is None:
            raise ValueError("每项决议的公开须填写公开类别 category")
        return self


DEFAULT_ITEMS = (
    CatalogueItem(item_id="finance-monthly", title="财务收支月度公开", cadence=Cadence.MONTHLY,
                  category=Category.FUND_USE, deadline=10),
    CatalogueItem(item_id="finance-quarterly", title="财务收支季度公开", cadence=Cadence.QUARTERLY,
                  category=Category.FUND_USE, deadline=10),
    CatalogueItem(item_id="decision", title="重大事项决策公开", cadence=Cadence.EACH_DECISION,
                  category=Category.DECISION, deadline=20),
    CatalogueItem(item_id="evaluation-results", title="评议结果公开", cadence=Cadence.EACH_EVALUATION,
                  deadline=20),
)
