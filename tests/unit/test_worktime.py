"""Deadlines on the official calendar, checked against dates anyone can look up."""

from __future__ import annotations

from datetime import datetime

from portal.i18n import DISTRICT_TZ
from portal.worktime import add_working_days, add_working_hours, is_working_day


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=DISTRICT_TZ)  # type: ignore[misc]


def test_holidays_and_adjusted_working_days() -> None:
    assert not is_working_day(local(2026, 10, 1).date())  # National Day
    assert is_working_day(local(2026, 10, 10).date())  # a Saturday worked in exchange (调休)
    assert not is_working_day(local(2026, 11, 28).date())  # an ordinary Saturday


def test_working_hours_stop_at_night_and_weekends() -> None:
    friday_afternoon = local(2026, 11, 27, 16, 0)
    assert add_working_hours(friday_afternoon, 4) == local(2026, 11, 30, 11, 0)  # Monday 11:00
    before_opening = local(2026, 11, 24, 7, 30)
    assert add_working_hours(before_opening, 2) == local(2026, 11, 24, 11, 0)


def test_working_hours_skip_the_national_day_holiday() -> None:
    eve = local(2026, 9, 30, 17, 0)
    # 1 hour on 30 September, then the holiday from 1 to 7 October; work resumes on 8 October.
    assert add_working_hours(eve, 3) == local(2026, 10, 8, 11, 0)


def test_working_days_count_from_the_next_day() -> None:
    assert add_working_days(local(2026, 11, 24, 10, 0), 1) == local(2026, 11, 25, 18, 0)
    assert add_working_days(local(2026, 11, 27, 10, 0), 2) == local(2026, 12, 1, 18, 0)


def test_a_year_without_an_official_calendar_counts_weekdays() -> None:
    assert add_working_days(local(2027, 1, 1, 10, 0), 1) == local(2027, 1, 4, 18, 0)  # Friday -> Monday
