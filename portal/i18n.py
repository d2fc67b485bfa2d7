"""Locales, negotiation, translation and locale-aware formatting.

Message ids are English; zh_Hans is the default locale. Catalogs live in
``locales/<locale>/LC_MESSAGES/messages.po`` and are compiled to ``.mo`` by the setup step.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_skeleton
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

from portal.numbers import decimal_number
from portal.settings import PROJECT_ROOT

LOCALES = ("zh_Hans", "zh_Hant", "en")
DEFAULT_LOCALE = "zh_Hans"
LOCALE_DIR = PROJECT_ROOT / "locales"
DISTRICT_TZ = ZoneInfo("Asia/Shanghai")

# The public contract spells locales as BCP 47 tags (?lang=zh-Hans); Babel spells them zh_Hans.
TAGS = {"zh_Hans": "zh-Hans", "zh_Hant": "zh-Hant", "en": "en"}
# Day before month in words, year in full, a 24-hour clock: no reader can take one date for another.
DATE_PATTERNS = {"zh_Hans": "y年M月d日", "zh_Hant": "y年M月d日", "en": "d MMM y"}
DATETIME_PATTERNS = {"zh_Hans": "y年M月d日 HH:mm", "zh_Hant": "y年M月d日 HH:mm", "en": "d MMM y, HH:mm"}
_BY_TAG = {tag.lower(): locale for locale, tag in TAGS.items()}
_REGION_TO_LOCALE = {
    "zh-cn": "zh_Hans", "zh-sg": "zh_Hans", "zh-my": "zh_Hans", "zh": "zh_Hans",
    "zh-tw": "zh_Hant", "zh-hk": "zh_Hant", "zh-mo": "zh_Hant",
}  # fmt: skip
LANGUAGE_NAMES = {"zh_Hans": "简体中文", "zh_Hant": "繁體中文", "en": "English"}


def N_(message: str) -> str:
    """Mark a module-level message for extraction; translate it where it is shown."""
    return message


def locale_from_tag(tag: str | None) -> str | None:
    """``zh-Hans``/``zh_hans``/``zh-TW``/``en-GB`` to one of LOCALES, or None."""
    if not tag:
        return None
    key = tag.strip().replace("_", "-").lower()
    if key in _BY_TAG:
        return _BY_TAG[key]
    if key in _REGION_TO_LOCALE:
        return _REGION_TO_LOCALE[key]
    if key.startswith("zh-hant"):
        return "zh_Hant"
    if key.startswith("zh"):
        return "zh_Hans"
    if key.startswith("en"):
        return "en"
    return None


def negotiate(accept_language: str | None) -> str | None:
    """The best of our locales for an Accept-Language header, by its q-values."""
    if not accept_language:
        return None
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            quality = decimal_number(params.strip()[2:], 0, 1) or 0.0
        locale = locale_from_tag(tag)
        if locale and quality > 0:
            ranked.append((-quality, index, locale))
    return min(ranked)[2] if ranked else None


@lru_cache(maxsize=len(LOCALES))
def translations(locale: str) -> NullTranslations:
    found = Translations.load(str(LOCALE_DIR), [locale], domain="messages")
    return found


class Translator:
    """Translation and formatting for one locale: handed to templates and views."""

    def __init__(self, locale: str) -> None:
        self.locale = locale if locale in LOCALES else DEFAULT_LOCALE
        self.tag = TAGS[self.locale]
        self._t = translations(self.locale)
        self._babel = Locale.parse(self.locale)

    def gettext(self, message: str, **values: Any) -> str:
        text = self._t.gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        text = self._t.ngettext(singular, plural, n)
        values.setdefault("num", n)
        return text % values

    def datetime(self, value: dt.datetime | None) -> str:
        """A moment in district time, the same way on every page: ``27 Nov 2026, 22:45``,
        ``2026年11月27日 22:45``. Never the locale's short form: ``11/27/26`` reads as a different
        day to half the world, and a 12-hour clock is easily misread."""
        if value is None:
            return ""
        return format_datetime(value, DATETIME_PATTERNS[self.locale], tzinfo=DISTRICT_TZ, locale=self._babel)

    def date(self, value: dt.datetime | None) -> str:
        """The day of a moment in district time: ``27 Nov 2026``, ``2026年11月27日``."""
        if value is None:
            return ""
        return format_date(value.astimezone(DISTRICT_TZ), DATE_PATTERNS[self.locale], locale=self._babel)

    def day(self, value: dt.date, format: str = "medium") -> str:
        return format_date(value, format=format, locale=self._babel)

    def month(self, value: dt.date, skeleton: str = "yMMM") -> str:
        """A month in the reader's style: 2026年11月, Nov 2026 (skeleton ``MMM``: 11月, Nov)."""
        return format_skeleton(skeleton, value, locale=self._babel)

    def number(self, value: float | int) -> str:
        return format_decimal(value, locale=self._babel)


@lru_cache(maxsize=len(LOCALES))
def translator(locale: str) -> Translator:
    return Translator(locale)
