"""/feed.atom, a project's feed, /sitemap.xml and /robots.txt: what the public may see, and only that."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from xml.etree import ElementTree as ET

import feedparser
from litestar.testing import TestClient
from sqlmodel import Session

from portal.app import create_app
from portal.db import utcnow
from portal.progress.models import StoryStatus
from portal.services import Services
from portal.settings import Settings
from tests.pages import PageClient
from tests.unit.progress.follow_data import (
    _clean_progress,  # noqa: F401  (autouse)
    make_milestone,
    make_project,
    make_story,
)

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def atom(client: PageClient, url: str) -> tuple[Any, ET.Element]:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    assert response.headers["cache-control"] == "public, max-age=300" and response.headers["etag"]
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed, ET.fromstring(response.content)


def check_atom_structure(root: ET.Element) -> None:
    """RFC 4287: a feed has one id, title and updated, an author, and each entry an absolute id,
    a title, an updated time and a link."""
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert len(root.findall(f"{ATOM}{name}")) == 1, name
    assert root.find(f"{ATOM}author/{ATOM}name") is not None
    assert root.find(f"{ATOM}link[@rel='self']") is not None
    for entry in root.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated", "published", "summary"):
            assert len(entry.findall(f"{ATOM}{name}")) == 1, name
        assert entry.findtext(f"{ATOM}id", "").startswith("tag:")
        assert entry.find(f"{ATOM}summary").get("type") == "text"  # type: ignore[union-attr]
        assert entry.find(f"{ATOM}link[@rel='alternate']") is not None


def test_the_feed_has_public_stories_and_milestones_and_nothing_else(client: PageClient, db: Session) -> None:
    project = make_project(db)
    hidden = make_project(db, "hidden-project", published=False, title_zh_hans="未发布项目")
    make_milestone(db, project, "完成围栏拆除", note_zh_hans="乐海路段完成")
    make_milestone(db, project, "绿地开放", status="planned", actual_date=None)
    make_milestone(db, hidden, "不该出现的节点")
    make_story(db, "fences-down", project=project, titles={"zh_Hans": "围栏拆了，绿地回来了"})
    make_story(db, "no-project", titles={"zh_Hans": "全区进展综述"})
    make_story(
        db,
        "scheduled",
        project=project,
        publish_at=utcnow() + timedelta(hours=2),
        titles={"zh_Hans": "定时稿件"},
    )
    make_story(db, "draft", project=project, status=StoryStatus.DRAFT, titles={"zh_Hans": "草稿稿件"})
    make_story(db, "in-review", project=project, status=StoryStatus.REVIEW, titles={"zh_Hans": "待审稿件"})
    make_story(
        db, "taken-back", project=project, status=StoryStatus.UNPUBLISHED, titles={"zh_Hans": "撤回稿件"}
    )
    make_story(db, "of-hidden", project=hidden, titles={"zh_Hans": "未发布项目的稿件"})

    parsed, root = atom(client, "/feed.atom")
    check_atom_structure(root)
    titles = sorted(e.title for e in parsed.entries)
    assert titles == sorted(["全区进展综述", "围栏拆了，绿地回来了", "节点达成：完成围栏拆除"])
    body = client.get("/feed.atom").text
    for secret in ("定时", "草稿", "待审", "撤回", "未发布", "不该出现", "绿地开放"):
        assert secret not in body
    story = next(e for e in parsed.entries if e.title == "围栏拆了，绿地回来了")
    assert story.link == "http://portal.test/stories/fences-down?lang=zh-Hans"
    assert story.summary == "乐海路段的围栏已经拆除。"
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "zh-Hans"
    milestone = next(e for e in parsed.entries if "完成围栏拆除" in e.title)
    assert milestone.link == "http://portal.test/progress/chailan-toulv?lang=zh-Hans"
    assert "乐海路段完成" in milestone.summary and "拆栏透绿" in milestone.summary
    # The ids do not change from one fetch to the next.
    again, _ = atom(client, "/feed.atom")
    assert [e.id for e in again.entries] == [e.id for e in parsed.entries]
    assert len({e.id for e in parsed.entries}) == len(parsed.entries)


def test_a_scheduled_story_appears_once_its_time_has_come(client: PageClient, db: Session) -> None:
    project = make_project(db)
    story = make_story(
        db,
        "later",
        project=project,
        publish_at=utcnow() + timedelta(minutes=5),
        titles={"zh_Hans": "稍后发布"},
    )
    assert "稍后发布" not in client.get("/feed.atom").text
    story.publish_at = utcnow() - timedelta(seconds=1)
    db.add(story)
    db.commit()
    parsed, _ = atom(client, "/feed.atom")
    assert [e.title for e in parsed.entries] == ["稍后发布"]


def test_each_locale_has_its_titles_and_hant_is_converted_when_missing(
    client: PageClient, db: Session
) -> None:
    project = make_project(db)
    make_story(
        db,
        "three",
        project=project,
        titles={"zh_Hans": "围栏拆了", "zh_Hant": "圍欄拆了（手寫）", "en": "The fences are down"},
    )
    make_story(
        db, "hans-only", project=project, titles={"zh_Hans": "绿地开放了"}, summary="这里的绿地对市民开放。"
    )

    hans, _ = atom(client, "/feed.atom?lang=zh-Hans")
    hant, hant_root = atom(client, "/feed.atom?lang=zh-Hant")
    english, _ = atom(client, "/feed.atom?lang=en")
    assert {e.title for e in hans.entries} == {"围栏拆了", "绿地开放了"}
    assert {e.title for e in hant.entries} == {"圍欄拆了（手寫）", "綠地開放了"}
    assert {e.title for e in english.entries} == {"The fences are down", "绿地开放了"}
    converted = next(e for e in hant.entries if e.title == "綠地開放了")
    assert converted.summary.startswith("這裏的綠地對市民開放。") or converted.summary.startswith(
        "這裡的綠地對市民開放。"
    )
    assert "自動轉換" in converted.summary  # marked as converted
    assert hant_root.get("{http://www.w3.org/XML/1998/namespace}lang") == "zh-Hant"
    assert hant.feed.id != hans.feed.id  # one feed per locale
    assert next(e for e in english.entries if e.title == "The fences are down").link.endswith("?lang=en")


def test_a_project_feed_has_only_that_projects_news(client: PageClient, db: Session) -> None:
    mine = make_project(db)
    other = make_project(db, "shili-changdi", title_zh_hans="十里长堤")
    hidden = make_project(db, "hidden-project", published=False)
    make_story(db, "mine", project=mine, titles={"zh_Hans": "本项目的报道"})
    make_story(db, "theirs", project=other, titles={"zh_Hans": "别的项目的报道"})
    make_milestone(db, other, "别的项目的节点")
    parsed, root = atom(client, "/progress/chailan-toulv/feed.atom?lang=en")
    check_atom_structure(root)
    assert [e.title for e in parsed.entries] == ["本项目的报道"]
    assert "Fences down, green opened up" in parsed.feed.title
    assert client.get("/progress/hidden-project/feed.atom").status_code == 404
    assert client.get("/progress/no-such-thing/feed.atom").status_code == 404
    assert hidden.id


def test_an_empty_feed_is_still_valid_and_unchanged_feeds_answer_304(client: PageClient, db: Session) -> None:
    parsed, root = atom(client, "/feed.atom")
    check_atom_structure(root)
    assert parsed.entries == []
    etag = client.get("/feed.atom").headers["etag"]
    assert client.get("/feed.atom", headers={"If-None-Match": etag}).status_code == 304
    make_story(db, "news", titles={"zh_Hans": "新报道"})
    assert client.get("/feed.atom", headers={"If-None-Match": etag}).status_code == 200


def test_text_with_control_characters_and_markup_stays_valid_xml(client: PageClient, db: Session) -> None:
    make_story(db, "odd", titles={"zh_Hans": "<b>围栏</b> & \x07铃声"}, summary="<script>alert(1)</script>")
    parsed, _ = atom(client, "/feed.atom")
    assert parsed.entries[0].title == "<b>围栏</b> & 铃声"
    assert "<script>" in client.get("/feed.atom").text.replace("&lt;script&gt;", "<script>")
    assert "<script>" not in client.get("/feed.atom").text


def test_without_a_trusted_address_links_are_relative_and_there_is_no_sitemap(
    settings: Settings, services: Services, db: Session
) -> None:
    """A Host header alone never makes an address in a feed: links stay relative to the feed."""
    bare = Services(
        **{**services.__dict__, "settings": settings.with_overrides(base_url="", allowed_hosts=())}
    )
    app = create_app(bare.settings, bare)
    make_story(db, "relative", titles={"zh_Hans": "相对链接"})
    with TestClient(app=app, base_url="http://evil.example") as other:
        response = other.get("/feed.atom")
        assert response.status_code == 200
        assert "evil.example" not in response.text
        parsed = feedparser.parse(
            response.content,
            response_headers={
                "content-location": "https://jimei.example/feed.atom",
                "content-type": response.headers["content-type"],
            },
        )
        assert not parsed.bozo
        assert parsed.entries[0].link == "https://jimei.example/stories/relative?lang=zh-Hans"
        assert other.get("/sitemap.xml").status_code == 404
        robots = other.get("/robots.txt").text
        assert "Sitemap" not in robots and "evil.example" not in robots


def test_the_sitemap_lists_public_pages_projects_and_stories_only(client: PageClient, db: Session) -> None:
    project = make_project(db)
    make_project(db, "hidden-project", published=False)
    make_story(db, "public-story", project=project)
    make_story(db, "scheduled", project=project, publish_at=utcnow() + timedelta(days=1))
    make_story(db, "draft", status=StoryStatus.DRAFT)
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    assert response.headers["cache-control"].startswith("public")
    root = ET.fromstring(response.content)
    locs = [loc.text for loc in root.iter(f"{SITEMAP}loc")]
    base = "http://portal.test"
    for path in (
        "/",
        "/report",
        "/track",
        "/tickets",
        "/stats",
        "/progress",
        "/progress/chailan-toulv",
        "/stories/public-story",
    ):
        assert f"{base}{path}" in locs
    text = response.text
    for hidden in ("hidden-project", "scheduled", "draft", "/staff", "/t/"):
        assert hidden not in text
    alternates = root.findall(f"{SITEMAP}url/{{http://www.w3.org/1999/xhtml}}link")
    assert {a.get("hreflang") for a in alternates} == {"zh-Hans", "zh-Hant", "en"}


def test_robots_keeps_crawlers_out_of_staff_pages_and_names_the_sitemap(client: PageClient) -> None:
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    lines = response.text.splitlines()
    assert lines[0] == "User-agent: *"
    for path in ("/staff", "/report/done", "/t/", "/media/", "/progress/unsubscribe/"):
        assert f"Disallow: {path}" in lines
    assert "Sitemap: http://portal.test/sitemap.xml" in lines


def test_the_sitemap_lists_open_surveys_and_public_results_only(client: PageClient, db: Session) -> None:
    from tests.unit.surveys.survey_data import open_survey

    open_survey(db)  # open, results public
    open_survey(db, slug="private-results", results_public=False)
    open_survey(db, slug="not-yet", opens_at=utcnow() + timedelta(days=2))
    open_survey(db, slug="never-opened", opens_at=None)
    open_survey(db, slug="hidden-one", hidden=True)
    open_survey(db, slug="closed-public", closes_at=utcnow() - timedelta(hours=1))
    text = client.get("/sitemap.xml").text
    base = "http://portal.test"
    for path in (
        "/surveys",
        "/surveys/shili-changdi-manyidu",
        "/surveys/shili-changdi-manyidu/results",
        "/surveys/private-results",
        "/surveys/closed-public/results",
    ):
        assert f"<loc>{base}{path}</loc>" in text
    for absent in (
        "/surveys/private-results/results",
        "not-yet",
        "never-opened",
        "hidden-one",
        "/surveys/closed-public<",
    ):
        assert absent not in text.replace("</loc>", "<"), absent
