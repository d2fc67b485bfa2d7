"""Locales: negotiation, complete catalogs and a template that matches the code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from portal.i18n import LOCALES, locale_from_tag, negotiate, translator
from portal.settings import PROJECT_ROOT


def test_tags_map_to_our_locales() -> None:
    assert locale_from_tag("zh-Hans") == "zh_Hans"
    assert locale_from_tag("zh-HK") == "zh_Hant"
    assert locale_from_tag("en-GB") == "en"
    assert locale_from_tag("fr") is None
    assert negotiate("fr;q=1, en;q=0.5, zh-TW;q=0.8") == "zh_Hant"
    assert negotiate("garbage;;q=x,,") is None


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_is_complete(locale: str) -> None:
    path = PROJECT_ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle)
    missing = [
        m.id
        for m in catalog
        if m.id and (m.fuzzy or not (all(m.string) if isinstance(m.string, tuple) else m.string))
    ]
    assert missing == [], f"{locale}: {len(missing)} untranslated, e.g. {missing[:3]}"


def test_template_is_not_stale(tmp_path: Path) -> None:
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "N_",
         "--no-location", "--sort-output", "--omit-header", "-o", str(fresh), "."],
        cwd=PROJECT_ROOT, check=True, capture_output=True,
    )  # fmt: skip
    committed = (PROJECT_ROOT / "locales" / "messages.pot").read_text(encoding="utf-8")
    assert fresh.read_text(encoding="utf-8") == committed, "messages.pot is stale: run scripts/i18n"


def test_chinese_is_the_default_and_formats_dates_locally() -> None:
    from datetime import UTC, datetime

    moment = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)  # 00:30 on 2 March in Xiamen
    assert translator("zh_Hans").date(moment) == "2026年3月2日"
    assert translator("en").date(moment) == "2 Mar 2026"
    assert translator("zh_Hans").number(12345) == "12,345"


def test_dates_and_times_read_the_same_unambiguous_way_in_every_locale() -> None:
    from datetime import UTC, datetime

    evening = datetime(2026, 11, 27, 14, 45, tzinfo=UTC)  # 22:45 in Xiamen
    assert translator("en").datetime(evening) == "27 Nov 2026, 22:45"  # not 11/27/26, 10:45 PM
    assert translator("zh_Hans").datetime(evening) == "2026年11月27日 22:45"
    assert translator("zh_Hant").datetime(evening) == "2026年11月27日 22:45"
