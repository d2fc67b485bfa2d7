"""Which words a reader sees: the text written in their locale, else one made for them.

Simplified Chinese is always written. A 繁體中文 reader without a Traditional text sees the
Simplified one converted with OpenCC, marked as converted; an English reader without an English
text sees the Simplified one, marked as not translated. The same conversion serves what residents
typed (ticket descriptions, comments): it is stored as typed and converted only for display.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import opencc

from portal.localized import LOCALE_SUFFIX

_lock = threading.Lock()


@lru_cache(maxsize=8)
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def to_hant(text: str, config: str = "s2hk") -> str:
    """``text`` in Traditional characters (``config``: s2hk, s2twp, s2tw or s2t)."""
    if not text:
        return text
    with _lock:  # one converter object is shared by the threads of a worker
        return str(_converter(config).convert(text))


def to_hans(text: str) -> str:
    """Traditional characters folded to Simplified (for search: a 繁體 query finds Simplified words)."""
    if not text:
        return text
    with _lock:
        return str(_converter("t2s").convert(text))


@dataclass(frozen=True)
class Shown:
    """A text as one reader sees it."""

    text: str
    converted: bool = False  # made from the Simplified text by OpenCC
    untranslated: bool = False  # the Simplified text, for want of one in the reader's locale

    def __str__(self) -> str:
        return self.text


def pick(hans: str, hant: str, en: str, locale: str, config: str = "s2hk") -> Shown:
    """The text for ``locale`` from the three written ones."""
    if locale == "zh_Hant":
        return Shown(hant) if hant.strip() else Shown(to_hant(hans, config), converted=bool(hans))
    if locale == "en":
        return Shown(en) if en.strip() else Shown(hans, untranslated=bool(hans))
    return Shown(hans)


def field(row: Any, name: str, locale: str, config: str = "s2hk") -> Shown:
    """``row.<name>_<locale>`` for a row with ``_zh_hans``, ``_zh_hant`` and ``_en`` columns."""
    values = [str(getattr(row, f"{name}_{suffix}") or "") for suffix in LOCALE_SUFFIX.values()]
    return pick(values[0], values[1], values[2], locale, config)


def typed_text(text: str, locale: str, config: str = "s2hk") -> Shown:
    """What a resident typed, for a reader in ``locale``: converted for 繁體 readers."""
    if locale != "zh_Hant" or not text:
        return Shown(text)
    converted = to_hant(text, config)
    return Shown(converted, converted=converted != text)
