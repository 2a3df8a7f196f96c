"""Working days on the mainland holiday calendar: known answers from the State Council notices."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.domain.workdays import CalendarNotCovered, add_workdays, covered_years, is_workday, workdays_between


@pytest.mark.parametrize(("day", "working"), [
    # 2024 notice: Spring Festival 2-10..2-17 off, make-up Sun 2-4 and Sun 2-18; National Day 10-1..10-7
    # off, make-up Sun 9-29 and Sat 10-12.
    (date(2024, 2, 4), True), (date(2024, 2, 12), False), (date(2024, 2, 18), True),
    (date(2024, 9, 29), True), (date(2024, 10, 7), False), (date(2024, 10, 12), True),
    # 2025 notice: Spring Festival 1-28..2-4 off, make-up Sun 1-26 and Sat 2-8; National Day and
    # Mid-Autumn 10-1..10-8 off, make-up Sun 9-28 and Sat 10-11.
    (date(2025, 1, 26), True), (date(2025, 2, 3), False), (date(2025, 2, 8), True),
    (date(2025, 9, 28), True), (date(2025, 10, 8), False), (date(2025, 10, 11), True),
    (date(2025, 10, 12), False), (date(2025, 10, 13), True),
    # 2026 notice: make-up Sun 1-4, Sat 2-14, Sat 2-28, Sat 5-9, Sun 9-20, Sat 10-10.
    (date(2026, 1, 4), True), (date(2026, 2, 14), True), (date(2026, 10, 10), True),
    (date(2026, 10, 1), False),
])
def test_holidays_and_make_up_days(day: date, working: bool) -> None:
    assert is_workday(day) is working


def test_counting_skips_holidays_and_counts_make_up_days() -> None:
    # From Tue 2025-09-30: 10-1..10-8 are off, Sat 10-11 is a make-up day; 9, 10, 11, 13 -> 4th is 10-13.
    assert add_workdays(date(2025, 9, 30), 4) == date(2025, 10, 13)
    assert add_workdays(date(2025, 9, 26), 1) == date(2025, 9, 28)  # Fri -> make-up Sunday
    assert add_workdays(date(2025, 3, 3), 0) == date(2025, 3, 3)
    assert workdays_between(date(2025, 9, 30), date(2025, 10, 13)) == 4
    assert workdays_between(date(2025, 10, 13), date(2025, 9, 30)) == 0
    # Twenty working days across the Spring Festival 2025 from Mon 1-20: 1-21..1-24 (4), make-up Sun
    # 1-26 (5), 1-27 (6), 1-28..2-4 off, 2-5..2-7 (9), make-up Sat 2-8 (10), 2-10..2-14 (15),
    # 2-17..2-21 (20).
    assert add_workdays(date(2025, 1, 20), 20) == date(2025, 2, 21)


def test_years_covered_include_2024_to_2026() -> None:
    assert {2024, 2025, 2026} <= set(covered_years())


def test_a_year_not_covered_is_refused_not_guessed() -> None:
    year = covered_years().stop
    with pytest.raises(CalendarNotCovered) as raised:
        is_workday(date(year, 3, 2))
    assert f"{year} 年" in raised.value.message
    with pytest.raises(CalendarNotCovered):
        add_workdays(date(year - 1, 12, 28), 10)
