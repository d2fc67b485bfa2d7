"""The reporting period a reader asks for, and the messages for periods that make no sense."""

from __future__ import annotations

from datetime import date

import pytest

from portal.stats.period import Period, PeriodError, parse_period

TODAY = date(2026, 11, 24)


def test_nothing_asked_means_this_month() -> None:
    assert parse_period("", "", "", on=TODAY) == Period(date(2026, 11, 1), date(2026, 11, 30))


def test_a_month_and_a_range() -> None:
    assert parse_period("2026-02", "", "", on=TODAY) == Period(date(2026, 2, 1), date(2026, 2, 28))
    assert parse_period("", "2026-09-15", "2026-10-14", on=TODAY) == Period(
        date(2026, 9, 15), date(2026, 10, 14)
    )
    # days win over the month, as the form says
    assert parse_period("2026-02", "2026-09-15", "2026-10-14", on=TODAY).first == date(2026, 9, 15)


def test_a_range_reaching_past_this_month_is_cut_to_it() -> None:
    assert parse_period("", "2026-11-01", "2027-01-31", on=TODAY).last == date(2026, 11, 30)


@pytest.mark.parametrize(
    ("month", "start", "end", "message"),
    [
        ("", "2026-10-31", "2026-10-01", "The last day is before the first day"),
        ("", "2026-10-01", "", "Give both the first and the last day"),
        ("", "2026-13-01", "2026-12-01", "Write each day as year-month-day"),
        ("", "yesterday", "today", "Write each day as year-month-day"),
        ("2026-1x", "", "", "Write the month as year and month"),
        ("1999-12", "", "", "The figures start in January 2020"),
        ("", "0001-01-01", "2026-01-01", "The figures start in January 2020"),
        ("2031-01", "", "", "That period has not started yet"),
        ("", "2021-01-01", "2026-10-31", "Choose a period of at most two years"),
    ],
)
def test_periods_that_make_no_sense_get_a_message(month: str, start: str, end: str, message: str) -> None:
    with pytest.raises(PeriodError) as refused:
        parse_period(month, start, end, on=TODAY)
    assert refused.value.message.startswith(message)


def test_months_of_a_range_are_cut_to_it() -> None:
    parts = Period(date(2026, 9, 15), date(2026, 11, 10)).months()
    assert [(p.first, p.last) for p in parts] == [
        (date(2026, 9, 15), date(2026, 9, 30)),
        (date(2026, 10, 1), date(2026, 10, 31)),
        (date(2026, 11, 1), date(2026, 11, 10)),
    ]
    assert Period(date(2026, 10, 1), date(2026, 10, 31)).is_month
    assert not parts[0].is_month


@pytest.mark.parametrize("month", ["9999-12", "9999-13", "0000-01"])
def test_months_at_the_end_of_the_calendar_get_a_message_not_an_error(month: str) -> None:
    with pytest.raises(PeriodError):
        parse_period(month, "", "", on=TODAY)
