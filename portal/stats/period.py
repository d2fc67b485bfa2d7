"""The reporting period of the public figures: whole days in district time, from a month or a range."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from portal.i18n import DISTRICT_TZ, N_
from portal.numbers import calendar_day, calendar_month

EARLIEST = date(2020, 1, 1)  # before the portal kept records
LONGEST_DAYS = 731  # two years: a longer range says nothing a reader can act on


class PeriodError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Period:
    """From the start of ``first`` to the end of ``last`` (both included), in district time."""

    first: date
    last: date

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.first, time(0), tzinfo=DISTRICT_TZ)

    @property
    def end_at(self) -> datetime:
        """The first moment after the period."""
        return datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=DISTRICT_TZ)

    @property
    def is_month(self) -> bool:
        return (
            self.first.day == 1
            and self.first == month_start(self.last)
            and _month_end(self.first) == self.last
        )

    def months(self) -> list[Period]:
        """The calendar months the period touches, each cut to the period."""
        parts: list[Period] = []
        first = self.first
        while first <= self.last:
            last = min(_month_end(first), self.last)
            parts.append(Period(first, last))
            first = last + timedelta(days=1)
        return parts

    def query(self) -> str:
        if self.is_month:
            return f"month={self.first:%Y-%m}"
        return f"from={self.first.isoformat()}&to={self.last.isoformat()}"


def month_start(day: date) -> date:
    return day.replace(day=1)


def _month_end(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def today() -> date:
    return datetime.now(DISTRICT_TZ).date()


def current_month(on: date | None = None) -> Period:
    on = on or today()
    return Period(month_start(on), _month_end(on))


def parse_period(month: str, start: str, end: str, *, on: date | None = None) -> Period:
    """The period a reader asked for: ``month`` (YYYY-MM), or ``start``–``end`` (YYYY-MM-DD each),
    or this month when nothing was asked. Raises PeriodError with a message for the reader."""
    on = on or today()
    month, start, end = month.strip(), start.strip(), end.strip()
    if start or end:
        if not (start and end):
            raise PeriodError(N_("Give both the first and the last day, or choose a month."))
        first, last = _day(start), _day(end)
        if last < first:
            raise PeriodError(N_("The last day is before the first day. Swap them and try again."))
    elif month:
        found = calendar_month(month)
        if found is None:
            raise PeriodError(N_("Write the month as year and month, for example 2026-10."))
        first = last = (
            found  # its month's end, once the month is known to be a sensible one  # its month's end, once the month is known to be a sensible one
        )
    else:
        return current_month(on)
    if first < EARLIEST:
        raise PeriodError(N_("The figures start in January 2020. Choose a later first day."))
    if first > _month_end(on):
        raise PeriodError(N_("That period has not started yet. Choose a day up to today."))
    if month and not (start or end):
        last = _month_end(first)
    if (last - first).days + 1 > LONGEST_DAYS:
        raise PeriodError(N_("Choose a period of at most two years."))
    return Period(first, min(last, _month_end(on)))


def _day(text: str) -> date:
    day = calendar_day(text)
    if day is None:
        raise PeriodError(N_("Write each day as year-month-day, for example 2026-10-01."))
    return day
