"""Business dates: the day a thing happened (``received_on``, ``spent_on``, ``held_on`` ...).

A business date may precede its statement by years (paper ledgers are imported later), but it is
never later than the statement's own day in Asia/Shanghai, never earlier than 2000-01-01, and
never earlier than the record it belongs to (a donation than its fund's opening, a spend than its
estate's first day in the ledger, a project step than the step before it). A term's start and end
are not business dates -- a term may end in the future -- but stay within the same years.

Every date field of a statement body is named ``*_on`` (a business date) or ``term_start`` /
``term_end``; the checks below find them by name (a test holds every body to that).
Dates are compared as ``YYYY-MM-DD`` strings, which order exactly as the days do.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated

from pydantic import BaseModel, Field

from ledger.domain.common import Info, Shape
from ledger.domain.errors import InvalidInput, RuleViolation

EARLIEST = "2000-01-01"
LATEST = "2100-12-31"  # the last day a term may end

Year = Annotated[int, Field(ge=2000, le=2100, strict=True), Info(shape=Shape.YEAR, example=2025)]

TERM_FIELDS = ("term_start", "term_end")

LABELS = {
    "received_on": "收款日期", "spent_on": "支出日期", "granted_on": "拨付日期",
    "opened_on": "开始日期", "held_on": "会议日期", "closed_on": "结束日期",
    "added_on": "建账日期", "discovered_on": "发现日期", "classified_on": "分类日期",
    "designed_on": "设计日期", "completed_on": "完工日期", "evaluated_on": "评估日期",
    "raised_on": "提出日期", "answered_on": "答复日期",
    "term_start": "任期开始日期", "term_end": "任期结束日期",
}


@cache
def date_fields(cls: type[BaseModel]) -> tuple[tuple[str, bool], ...]:
    """``(field name, is a term date)`` for every date field of a statement body."""
    return tuple((name, name in TERM_FIELDS) for name in cls.model_fields
                 if name.endswith("_on") or name in TERM_FIELDS)


def label(name: str) -> str:
    return f"{LABELS.get(name, '日期')}（{name}）"


def check_dates(body: BaseModel, today: str) -> None:
    """Every date of ``body`` in its range; ``today``: the statement's day in Asia/Shanghai."""
    for name, is_term in date_fields(type(body)):
        value = getattr(body, name)
        if value is None:
            continue
        if value < EARLIEST:
            raise InvalidInput(f"{label(name)} {value} 早于 {EARLIEST}，不是可信的日期",
                               code="date-too-early")
        if is_term:
            if value > LATEST:
                raise InvalidInput(f"{label(name)} {value} 晚于 {LATEST}，不是可信的日期",
                                   code="date-too-late")
        elif value > today:
            raise InvalidInput(
                f"{label(name)} {value} 晚于本声明的签名日期 {today}（北京时间）：不能登记尚未发生的事",
                code="date-in-future")


def not_before(value: str, name: str, parent: str, what: str) -> None:
    """Refuses a date earlier than the day of what it belongs to (``what``, in Chinese)."""
    if value < parent:
        raise RuleViolation(f"{label(name)} {value} 早于{what}（{parent}）", code="date-before-parent")


def day_not_before(today: str, parent: str, what: str, record: str) -> None:
    """Refuses a record without a date of its own (its day is the statement's) that comes before
    the day of what it belongs to: a decision before its meeting."""
    if today < parent:
        raise RuleViolation(f"{record}的签名日期 {today}（北京时间）早于{what}（{parent}）",
                            code="date-before-parent")
