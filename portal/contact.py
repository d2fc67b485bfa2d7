"""Phone numbers and names: validation, and the one masking helper for showing them second-hand."""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

_MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def normalize_mobile(text: str) -> str | None:
    """A mainland China mobile number as 11 digits, or None when it is not one."""
    cleaned = re.sub(r"[\s.\-]", "", unicodedata.normalize("NFKC", text))
    if not cleaned or len(cleaned) > 20:
        return None
    try:
        number = phonenumbers.parse(cleaned, "CN")
    except NumberParseException:
        return None
    if number.country_code != 86 or not phonenumbers.is_valid_number(number):
        return None
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        return None
    national = str(number.national_number)
    return national if len(national) == 11 and national.startswith("1") else None


def mask_phone(phone: str) -> str:
    """138****5678"""
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"


def mask_name(name: str) -> str:
    """张* (the family name only; Latin names keep their first letter)."""
    name = name.strip()
    if not name:
        return ""
    return name[0] + "*" * max(1, min(len(name) - 1, 2))


def last_four(phone: str) -> str:
    return phone[-4:] if len(phone) >= 4 else ""


_DIGIT = "[0-9\uff10-\uff19]"  # full-width digits too, as Chinese input methods type them
_SEP = "[\\s.\\-\u00b7\u2014\uff0d\uff0e]?"  # at most one space, dot or dash between digits
_PHONE_IN_TEXT = re.compile(
    f"(?<!{_DIGIT})"
    f"(?:(?:[+\uff0b]|00|\uff10\uff10)?[8\uff18][6\uff16]{_SEP})?"  # +86, 0086 or 86
    f"[1\uff11](?:{_SEP}{_DIGIT}){{10}}"
    f"(?!{_DIGIT})"
)


def _masked(match: re.Match[str]) -> str:
    digits = "".join(c for c in unicodedata.normalize("NFKC", match.group()) if c.isdigit())[-11:]
    return mask_phone(digits) if digits[1] in "3456789" else match.group()


def mask_phones_in_text(text: str) -> str:
    """Residents sometimes type their number into the description, in any of the ways people write
    one (139.1111.3333, +8613911112222, full-width digits): never show it in public."""
    return _PHONE_IN_TEXT.sub(_masked, text)
