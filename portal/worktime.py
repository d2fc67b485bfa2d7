"""Working time on the official Chinese calendar: public holidays and adjusted working days (调休).

Deadlines are counted in working hours (to accept) and working days (to resolve). The calendar
comes from the ``chinese-calendar`` package, which follows the State Council's yearly notice;
for a year it does not know yet, weekends are the only rest days until the package is updated.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import chinese_calendar

from portal.i18n import DISTRICT_TZ

log = logging.getLogger("portal.worktime")
DAY_START = time(9, 0)
DAY_END = time(18, 0)
_MAX_DAYS = 3660  # no deadline is ten years away: stop rather than loop forever


@lru_cache(maxsize=4096)
def is_working_day(day: date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        log.warning("no official calendar for %s yet: counting weekdays only", day.year)
        return day.weekday() < 5


def _local(moment: datetime) -> datetime:
    return moment.astimezone(DISTRICT_TZ)


def _at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=DISTRICT_TZ)


def add_working_hours(start: datetime, hours: float) -> datetime:
    """The moment ``hours`` of working time (09:00–18:00 on working days) after ``start``."""
    remaining = timedelta(hours=hours)
    moment = _local(start)
    for _ in range(_MAX_DAYS):
        day = moment.date()
        if is_working_day(day):
            opens, closes = _at(day, DAY_START), _at(day, DAY_END)
            moment = max(moment, opens)
            if moment < closes:
                available = closes - moment
                if remaining <= available:
                    return moment + remaining
                remaining -= available
        moment = _at(day + timedelta(days=1), DAY_START)
    raise ValueError("deadline out of range")


def add_working_days(start: datetime, days: int) -> datetime:
    """The end (18:00) of the ``days``-th working day after the day of ``start``."""
    day = _local(start).date()
    counted = 0
    for _ in range(_MAX_DAYS):
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
            if counted >= days:
                return _at(day, DAY_END)
    raise ValueError("deadline out of range")
