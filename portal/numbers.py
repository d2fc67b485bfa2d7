"""Numbers and dates in what a request carries (path, query, form, headers): one strict reading.

Python's own parsers accept far more than anyone types into a form: ``int()`` and ``float()`` take
'٣' (Arabic-Indic three), full-width digits, '1_000', 'nan' and '1e999'; ``str.isdigit()`` passes
'²', which ``int()`` then refuses with a ValueError; a 30-digit id overflows the database's
integer. Here a number is ASCII digits within bounds, and anything else is None, for the caller to
treat as missing.
"""

from __future__ import annotations

import re
from datetime import date

MAX_ID = 2**31 - 1  # PostgreSQL's integer, the type of every id column

_WHOLE = re.compile(r"[0-9]{1,18}")
_DECIMAL = re.compile(r"-?[0-9]{1,9}(?:\.[0-9]{1,15})?")
_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


def whole_number(text: object, low: int = 0, high: int = MAX_ID) -> int | None:
    """``text`` as a whole number from ``low`` to ``high``, or None. Spaces around it are allowed."""
    if not isinstance(text, str) or not _WHOLE.fullmatch(text := text.strip()):
        return None
    value = int(text)
    return value if low <= value <= high else None


def decimal_number(text: object, low: float, high: float) -> float | None:
    """``text`` as a decimal like ``-12.5`` from ``low`` to ``high``, or None (no exponents, no nan)."""
    if not isinstance(text, str) or not _DECIMAL.fullmatch(text := text.strip()):
        return None
    value = float(text)
    return value if low <= value <= high else None


def digits(text: object, length: int) -> str | None:
    """``text`` when it is exactly ``length`` ASCII digits (a code, the end of a phone number), else None."""
    if isinstance(text, str) and len(text) == length and _WHOLE.fullmatch(text):
        return text
    return None


def calendar_day(text: object) -> date | None:
    """A day written YYYY-MM-DD, or None when it is not one (2026-02-30 is not)."""
    found = _DAY.fullmatch(text.strip()) if isinstance(text, str) else None
    return _date(*(int(part) for part in found.groups())) if found else None


def calendar_month(text: object) -> date | None:
    """The first day of a month written YYYY-MM, or None."""
    found = _MONTH.fullmatch(text.strip()) if isinstance(text, str) else None
    return _date(int(found.group(1)), int(found.group(2)), 1) if found else None


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:  # month 13, day 32, year 0
        return None
