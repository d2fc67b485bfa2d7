"""Searching projects on the real database (run on SQLite and on PostgreSQL): Chinese words of two
characters and more, English, and a 繁體 query finding Simplified words."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlmodel import Session, col, select

from portal.progress import search
from portal.progress.models import Project
from tests.unit.progress.public_data import clean_progress, make_project

pytestmark = pytest.mark.usefixtures("clean_progress")
__all__ = ["clean_progress"]


def found(db: Session, query: str) -> list[str]:
    words = search.words_of(query)
    rows = db.exec(select(Project.slug).where(search.matching(db, words)).order_by(col(Project.slug)))
    return list(rows)


@pytest.fixture
def projects(db: Session) -> None:
    make_project(
        db, "chailan", "拆栏透绿", title_en="Fences down, green opened up",
        summary_zh_hans="拆除围墙栏杆，让绿地向市民开放。", body_en="Sites in Jimei and Xinglin.",
    )  # fmt: skip
    make_project(
        db, "changdi", "十里长堤", title_en="The Ten-Li Embankment",
        summary_zh_hans="集美海堤的清理与提升。", title_zh_hant="十里長堤",
    )  # fmt: skip
    make_project(db, "ebike", "电动自行车专项整治", title_en="E-bike campaign", summary_en="Charging safely")


@pytest.mark.usefixtures("projects")
def test_chinese_words_of_two_characters_and_more(db: Session) -> None:
    assert found(db, "长堤") == ["changdi"]
    assert found(db, "拆栏透绿") == ["chailan"]
    assert found(db, "电动自行车") == ["ebike"]
    assert found(db, "集美") == ["changdi"]
    assert found(db, "海堤") == ["changdi"]
    assert found(db, "堤") == ["changdi"]


@pytest.mark.usefixtures("projects")
def test_english_words_in_any_case(db: Session) -> None:
    assert found(db, "embankment") == ["changdi"]
    assert found(db, "EMBANKMENT") == ["changdi"]
    assert found(db, "e-bike") == ["ebike"]
    assert found(db, "xinglin") == ["chailan"]  # from the body
    assert found(db, "charging") == ["ebike"]


@pytest.mark.usefixtures("projects")
def test_a_traditional_query_finds_simplified_words(db: Session) -> None:
    assert found(db, "長堤") == ["changdi"]
    assert found(db, "拆欄透綠") == ["chailan"]
    assert found(db, "電動自行車") == ["ebike"]


@pytest.mark.usefixtures("projects")
def test_every_word_must_match(db: Session) -> None:
    assert found(db, "拆栏 green") == ["chailan"]
    assert found(db, "拆栏　绿地") == ["chailan"]  # an ideographic space separates words too
    assert found(db, "拆栏 embankment") == []
    assert found(db, "长堤 E") == ["changdi"]
    assert found(db, "") == ["chailan", "changdi", "ebike"]


@pytest.mark.usefixtures("projects")
def test_wildcards_are_never_wildcards(db: Session) -> None:
    assert found(db, "%") == ["chailan", "changdi", "ebike"]  # no words at all
    assert found(db, "_bike") == ["ebike"]  # "_" splits words, it does not stand for a character
    assert found(db, "长%堤") == ["changdi"]
    assert found(db, "\\") == ["chailan", "changdi", "ebike"]


def test_words_are_folded_bounded_and_unique() -> None:
    assert search.words_of("  長堤  長堤 Embankment ") == ["长堤", "embankment"]
    assert len(search.words_of(" ".join(f"w{i}" for i in range(30)))) == search.MAX_WORDS
    assert search.words_of("x" * 500) == ["x" * search.MAX_WORD]


def test_reindex_follows_every_change_and_keeps_the_traditional_text(db: Session) -> None:
    project = make_project(db, "changdi", "十里长堤")
    assert found(db, "堤岸") == []
    project.title_zh_hant = "堤岸步道"  # written in Traditional only: 步道 is the same in both
    project.body_zh_hant = "濱海步道與觀景臺"
    search.reindex(db, project)
    db.commit()
    assert "滨海步道与观景台" in project.search_text  # the Traditional text folded to Simplified
    assert found(db, "堤岸") == ["changdi"]
    assert found(db, "滨海步道") == ["changdi"]
    assert found(db, "濱海步道") == ["changdi"]
    project.title_zh_hant = ""
    project.body_zh_hant = ""
    search.reindex(db, project)
    db.commit()
    assert found(db, "滨海步道") == []
    if db.get_bind().dialect.name == "sqlite":
        rows = db.execute(text("SELECT count(*) FROM project_search WHERE rowid = :id"), {"id": project.id})
        assert rows.scalar_one() == 1  # one row per project, replaced on each save
