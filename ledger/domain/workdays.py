"""Working days (工作日) on the mainland China calendar: weekends off, statutory holidays off,
the weekend days that make up for a holiday (调休) on.

The holiday schedule comes from the State Council's yearly notice, as kept by the
``chinesecalendar`` package. For a year the package does not know yet (or no longer covers), a
day counts as a working day when it is a Monday to Friday: a count across such a year is then
at most a few days short of the official one, never longer.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import chinese_calendar


@cache
def is_workday(day: date) -> bool:
    """Whether ``day`` is a working day in mainland China."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # a year the holiday schedule does not cover
        return day.weekday() < 5


def workdays_after(start: date, end: date) -> int:
    """How many working days come after ``start``, up to and including ``end`` (0 when ``end``
    is not after ``start``): the working days that have passed since ``start`` on ``end``."""
    count = 0
    day = start + timedelta(days=1)
    while day <= end:
        count += is_workday(day)
        day += timedelta(days=1)
    return count


def add_workdays(start: date, n: int) -> date:
    """The ``n``-th working day after ``start`` (a deadline of ``n`` working days)."""
    day = start
    while n > 0:
        day += timedelta(days=1)
        n -= is_workday(day)
    return day
