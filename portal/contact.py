"""Phone numbers and names: validation, and the one masking helper for showing them second-hand."""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

_MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def normalize_mobile(text: str) -> str | None:
    """A mainland China mobile number as 11 digits, or None when it is not one."""
    cleaned = text.strip().replace(" ", "").replace("-", "")
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


_PHONE_IN_TEXT = re.compile(r"(?<!\d)(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)")


def mask_phones_in_text(text: str) -> str:
    """Residents sometimes type their number into the description: never show it in public."""
    return _PHONE_IN_TEXT.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
