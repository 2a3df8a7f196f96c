"""Working days on the mainland's official holiday calendar, with its 调休 make-up days.

The calendar is the State Council's yearly notice (国务院办公厅关于某年部分节假日安排的通知):
public holidays are days off even on a weekday, and make-up working days (调休补班) are working
days even on a Saturday or Sunday. The days come from the ``chinesecalendar`` package (PyPI
``chinesecalendar``, module ``chinese_calendar``), which transcribes each notice.

Only the years that package transcribes are known (``covered_years()``; 2004-2026 in 1.11.0).
A day outside them raises :class:`CalendarNotCovered` rather than being guessed from weekdays:
a late-disclosure finding counted on a wrong calendar would accuse a committee of something it
did not do. Upgrade the package once the State Council publishes the next year's notice.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import chinese_calendar

from ledger.domain.errors import DomainError


class CalendarNotCovered(DomainError):
    """The holiday calendar for a year is not known yet, so working days cannot be counted."""

    code = "calendar-year-not-covered"
    status = 422


@cache
def covered_years() -> range:
    """The years whose holidays and make-up days are known."""
    years = [day.year for day in chinese_calendar.holidays]
    return range(min(years), max(years) + 1)


def _check(day: date) -> None:
    years = covered_years()
    if day.year not in years:
        raise CalendarNotCovered(
            f"{day.year} 年的法定节假日和调休安排尚未收录（已收录 {years.start}–{years.stop - 1} 年），"
            "无法按工作日计算期限；请升级 chinesecalendar 后再试")


def is_workday(day: date) -> bool:
    """A working day: a weekday that is no public holiday, or a 调休 make-up Saturday/Sunday."""
    _check(day)
    return bool(chinese_calendar.is_workday(day))


def add_workdays(start: date, count: int) -> date:
    """The ``count``-th working day after ``start`` (``start`` itself not counted; ``count`` >= 0).

    "Within 20 working days of the 1st" is ``add_workdays(the 1st, 20)``: the last day allowed.
    """
    if count < 0:
        raise ValueError("count must be >= 0")
    day = start
    _check(day)
    while count:
        day += timedelta(days=1)
        if is_workday(day):
            count -= 1
    return day


def workdays_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end`` <= ``start``)."""
    if end <= start:
        return 0
    _check(start)
    _check(end)
    return sum(1 for n in range(1, (end - start).days + 1)
               if chinese_calendar.is_workday(start + timedelta(days=n)))
