"""portal.numbers: the one strict reading of numbers and dates that requests carry."""

from __future__ import annotations

from datetime import date

import pytest

from portal.numbers import MAX_ID, calendar_day, calendar_month, decimal_number, digits, whole_number


@pytest.mark.parametrize("text", ["0", "7", " 42 ", "2147483647"])
def test_ascii_digits_within_bounds_are_numbers(text: str) -> None:
    assert whole_number(text) == int(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "²",
        "٣",
        "１２",
        "Ⅻ",
        "-1",
        "+5",
        "1_000",
        "1e5",
        "0x1f",
        "1.5",
        "\x00",
        "7\x00",
        "1" * 30,
        str(MAX_ID + 1),
    ],
)
def test_anything_else_is_none(text: str) -> None:
    assert whole_number(text) is None


def test_bounds_are_the_callers() -> None:
    assert whole_number("5", 1, 5) == 5
    assert whole_number("6", 1, 5) is None
    assert whole_number("0", 1, 5) is None
    assert whole_number(None) is None  # type: ignore[arg-type]


def test_decimals_are_plain_and_bounded() -> None:
    assert decimal_number("24.61", 24.3, 24.95) == 24.61
    assert decimal_number("-0.5", -1, 1) == -0.5
    for odd in ("nan", "inf", "1e1", "٢٤.٥", "24.", ".5", "24.6.1", "", "24,6"):
        assert decimal_number(odd, -1000, 1000) is None, odd
    assert decimal_number("25", 24.3, 24.95) is None


def test_digits_are_ascii_and_exactly_so_many() -> None:
    assert digits("1234", 4) == "1234"
    assert digits("0042", 4) == "0042"
    for odd in ("123", "12345", "²²²²", "١٢٣٤", "12 4", "１２３４"):
        assert digits(odd, 4) is None, odd


def test_days_and_months_exist_and_are_written_in_ascii() -> None:
    assert calendar_day("2026-10-01") == date(2026, 10, 1)
    assert calendar_month(" 2026-10 ") == date(2026, 10, 1)
    for odd in ("2026-02-30", "2026-13-01", "0000-01-01", "٢٠٢٦-10-01", "2026-1-1", "2026-10-01\x00"):
        assert calendar_day(odd) is None, odd
    for odd in ("2026-13", "٢٠٢٦-10", "2026-1", "202610", ""):
        assert calendar_month(odd) is None, odd
