"""The rules' day of a time (Asia/Shanghai), remembered between calls, is always the day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from ledger.domain.state import SHANGHAI, _day, _iso_day

times = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                     timezones=st.sampled_from([UTC, SHANGHAI, timezone(timedelta(hours=-11))]))


@given(st.lists(times, min_size=1, max_size=50))
def test_the_day_of_any_time_in_any_order(ats: list[datetime]) -> None:
    for at in ats:
        assert _day(at) == at.astimezone(SHANGHAI).date()
        assert _iso_day(at) == at.astimezone(SHANGHAI).date().isoformat()


def test_the_day_changes_at_midnight_in_shanghai() -> None:
    midnight = datetime(2025, 1, 1, 16, tzinfo=UTC)  # 2025-01-02 00:00 +08:00
    for at in (midnight - timedelta(microseconds=1), midnight, midnight - timedelta(microseconds=1)):
        assert _day(at) == at.astimezone(SHANGHAI).date()
    assert _iso_day(midnight) == "2025-01-02" and _iso_day(midnight - timedelta(microseconds=1)) == "2025-01-01"
