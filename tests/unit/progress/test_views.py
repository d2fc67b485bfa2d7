"""/progress and /progress/{slug}: only published projects, filters and search, progress explained,
late milestones in words, campaign figures by the formulas of /stats, and the page cache."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from portal.progress.models import MilestoneStatus, ProjectKind, ProjectStatus, StoryStatus
from portal.services import Services
from portal.stats.period import today
from tests.pages import PageClient
from tests.unit.progress.public_data import (
    clean_progress,
    department,
    late_and_reached,
    make_project,
    make_story,
)

pytestmark = pytest.mark.usefixtures("clean_progress")
__all__ = ["clean_progress"]


def titles(html: str) -> list[str]:
    return re.findall(r'<a id="project-[^"]+" href="/progress/[^"]+"[^>]*>([^<]+)</a>', html)


def test_only_published_projects_are_listed_and_shown(client: PageClient, db: Session) -> None:
    make_project(db, "shili-changdi", "十里长堤", milestones=late_and_reached())
    make_project(db, "secret-plan", "未公开的计划", published=False)
    page = client.get("/progress")
    assert page.status_code == 200
    assert titles(page.text) == ["十里长堤"]
    assert "未公开的计划" not in page.text
    assert client.get("/progress/secret-plan").status_code == 404
    assert client.get("/progress/no-such-project").status_code == 404
    assert client.get("/progress/" + "x" * 200).status_code == 404
    assert client.get("/progress?q=未公开").text.count("未公开的计划") == 0


def test_the_list_filters_by_status_street_and_department(client: PageClient, db: Session) -> None:
    gardens, other = department(db, 1), department(db, 2)
    make_project(db, "chailan", "拆栏透绿", status=ProjectStatus.IN_PROGRESS, streets=["jimei"], lead=gardens)
    make_project(db, "changdi", "十里长堤", status=ProjectStatus.COMPLETED, streets=["xinglin"], lead=other,
                 others=[gardens])  # fmt: skip
    assert titles(client.get("/progress").text) == ["拆栏透绿", "十里长堤"]  # under way first
    assert titles(client.get("/progress?status=completed").text) == ["十里长堤"]
    assert titles(client.get("/progress?street=jimei").text) == ["拆栏透绿"]
    assert titles(client.get(f"/progress?department={other.slug}").text) == ["十里长堤"]
    assert titles(client.get(f"/progress?department={gardens.slug}").text) == ["拆栏透绿", "十里长堤"]
    # nonsense is ignored, never an error
    assert titles(client.get("/progress?status=nonsense&street=nowhere&department=%3Cx%3E").text) == [
        "拆栏透绿",
        "十里长堤",
    ]
    nothing = client.get("/progress?status=paused")
    assert titles(nothing.text) == [] and "No published project matches these choices." in nothing.text
    fragment = client.get("/progress?street=jimei", headers={"HX-Request": "true"})
    assert "<h1" not in fragment.text and titles(fragment.text) == ["拆栏透绿"]


def test_search_finds_words_in_any_locale(client: PageClient, db: Session) -> None:
    make_project(db, "chailan", "拆栏透绿", title_en="Fences down, green opened up")
    make_project(db, "changdi", "十里长堤", title_en="The Ten-Li Embankment")
    assert titles(client.get("/progress?q=长堤").text) == ["The Ten-Li Embankment"]
    assert titles(client.get("/progress?q=embankment").text) == ["The Ten-Li Embankment"]
    assert titles(client.get("/progress?q=長堤").text) == ["The Ten-Li Embankment"]  # 繁體 finds 简体
    assert titles(client.get("/progress?q=拆栏+green").text) == ["Fences down, green opened up"]
    assert titles(client.get("/progress?q=拆栏+embankment").text) == []
    page = client.get("/progress?q=%3Cscript%3E")
    assert page.status_code == 200 and "<script>" not in page.text


def test_the_project_page_explains_its_progress_and_marks_late_milestones(
    client: PageClient, db: Session
) -> None:
    gardens = department(db, 1)
    project = make_project(
        db, "changdi", "十里长堤", milestones=late_and_reached(12), streets=["jimei", "xinglin"], lead=gardens,
        summary_zh_hans="海堤整治提升", body_zh_hans="第一段。\n\n<b>第二段</b>",
    )  # fmt: skip
    make_story(db, "changdi-news", "长堤新貌", project, title_en="A new embankment")
    make_story(db, "changdi-draft", "草稿不公开", project, status=StoryStatus.DRAFT)
    make_story(db, "changdi-later", "明天才发布", project, publish_at=_tomorrow())
    page = client.get("/progress/changdi")
    assert page.status_code == 200
    text = _text(page.text)
    assert "Progress: 50%" in text
    assert "2 of 4 milestones reached: 20% + 30% = 50%" in text
    assert 'value="50.0"' in page.text and "<progress" in page.text
    assert "1 milestone is late" in text
    assert "Late Planned for" in text and "12 days late." in text
    assert "Reached late" in text and "5 days after the planned" in text
    assert gardens.name("en") in text
    assert "Jimei Subdistrict" in text
    assert "A new embankment" in text and 'href="/stories/changdi-news"' in page.text
    assert "草稿不公开" not in page.text and "明天才发布" not in page.text
    assert "<b>第二段</b>" not in page.text  # the body is never raw HTML
    assert project.id


def test_texts_carry_their_marks_in_each_language(client: PageClient, db: Session) -> None:
    make_project(db, "changdi", "十里长堤", summary_zh_hans="海堤整治提升")
    hant = client.get("/progress/changdi?lang=zh-Hant").text
    assert "<h1>十里長堤</h1>" in hant and "由簡體中文自動轉換" in hant
    english = client.get("/progress/changdi?lang=en").text
    assert 'lang="zh-Hans">十里长堤</h1>' in english
    assert "Not translated yet" in english


def test_sub_projects_weighted_and_listed(client: PageClient, db: Session) -> None:
    done = MilestoneStatus.DONE
    day = today() - timedelta(days=3)
    parent = make_project(db, "chailan", "拆栏透绿", kind=ProjectKind.PROJECT)
    make_project(db, "chailan-jimei", "集美街道拆栏", parent_id=parent.id, weight=3,
                 milestones=[(50, day, done, day), (50, today() + timedelta(days=9), "planned", None)])  # fmt: skip
    make_project(db, "chailan-xinglin", "杏林街道拆栏", parent_id=parent.id, weight=1,
                 milestones=[(100, day, done, day)])  # fmt: skip
    make_project(db, "chailan-hidden", "未公开街道", parent_id=parent.id, weight=4, published=False)
    text = _text(client.get("/progress/chailan").text)
    assert "Weighted by sub-project: (50% × 3 + 100% × 1) ÷ 4 = 62.5%" in text
    assert "未公开街道" not in text
    child = client.get("/progress/chailan-jimei").text
    assert 'href="/progress/chailan"' in child  # back to the parent
    listed = client.get("/progress").text
    assert titles(listed) == ["拆栏透绿", "集美街道拆栏", "杏林街道拆栏"]


def test_pages_are_cached_until_a_project_changes(client: PageClient, db: Session, app: Any) -> None:
    project = make_project(db, "changdi", "十里长堤")
    assert "十里长堤" in client.get("/progress").text
    project.title_zh_hans = "十里长堤二期"
    project.version += 1
    db.add(project)
    db.commit()
    assert "十里长堤二期" in client.get("/progress").text
    assert "十里长堤二期" in client.get("/progress/changdi").text
    project.published = False
    project.version += 1
    db.add(project)
    db.commit()
    assert client.get("/progress/changdi").status_code == 404
    assert "十里长堤" not in client.get("/progress").text


def test_a_scheduled_story_appears_when_its_time_comes(client: PageClient, db: Session) -> None:
    project = make_project(db, "changdi", "十里长堤")
    story = make_story(db, "soon", "即将发布", project, publish_at=_tomorrow())
    assert "即将发布" not in client.get("/progress/changdi").text
    from portal.db import utcnow

    story.publish_at = utcnow() - timedelta(seconds=1)  # as if the time had come: no version bump
    db.add(story)
    db.commit()
    assert "即将发布" in client.get("/progress/changdi").text


def _tomorrow() -> Any:
    from portal.db import utcnow

    return utcnow() + timedelta(days=1)


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split()).replace(" ,", ",").replace(" .", ".")


# --- a campaign's tickets ------------------------------------------------------------------------


def _tag(db: Session, project: Any, *tickets: Any) -> None:
    from portal.progress.models import ProjectTicket

    for ticket in tickets:
        db.add(ProjectTicket(project_id=project.id, ticket_id=ticket.id))
    db.commit()


def test_campaign_figures_are_the_stats_formulas_on_its_tickets(
    client: PageClient, db: Session, services: Services, app: Any
) -> None:
    from portal.progress.service import campaign_figures
    from tests.unit.factories import resolve_ticket
    from tests.unit.stats.test_views import figures_csv, period_query, rate, report

    campaign = make_project(db, "ebike", "电动自行车专项整治", kind=ProjectKind.CAMPAIGN)
    empty = client.get("/progress/ebike").text
    assert "No report has been tagged to this campaign yet." in empty

    first = report(client, db)
    second = report(client, db, phone="13912345678", description="集美大道电动车乱停放，堵住了盲道。")
    third = report(client, db, phone="13712345678", description="孙厝社区楼道里有人给电动车充电。",
                   visibility="private")  # fmt: skip
    resolve_ticket(db, services, first, "a")
    resolve_ticket(db, services, second, "b")
    assert rate(client, second.code, level="5", solved="yes").status_code == 303
    with PageClient(app=app, base_url="http://portal.test") as neighbour:
        assert rate(neighbour, first.code, level="2", solved="no", digits="1234").status_code == 303
    _tag(db, campaign, first, second, third)

    figures = campaign_figures(db, campaign)
    district = next(r for r in figures_csv(client, period_query()) if r["group_type"] == "district")
    assert figures.reported == 3
    assert str(figures.resolutions) == district["resolutions"] == "2"
    assert str(figures.resolved_on_time) == district["resolved_on_time"]
    assert str(figures.on_time_rate) == district["on_time_rate"]
    assert (str(figures.ratings), str(figures.satisfied_ratings)) == (
        district["ratings"],
        district["satisfied_ratings"],
    )
    assert str(figures.satisfaction_rate) == district["satisfaction_rate"] == "50.0"

    page = client.get("/progress/ebike").text
    assert re.search(r'data-figure="reported"><dt>[^<]+</dt><dd><strong>3</strong>', page)
    assert re.search(r'data-figure="satisfaction_rate">.*?<strong>50.0%</strong>', page, re.S)
    assert 'href="/tickets?project=ebike"' in page

    board = client.get("/tickets?project=ebike").text
    assert first.code in board and second.code in board
    assert third.code not in board  # private: counted, never listed
    assert "电动自行车专项整治" in board


def test_the_board_follows_tagging_and_ignores_unpublished_projects(client: PageClient, db: Session) -> None:
    from tests.unit.stats.test_views import report

    campaign = make_project(db, "ebike", "电动自行车专项整治", kind=ProjectKind.CAMPAIGN)
    hidden = make_project(db, "hidden", "未公开专项", kind=ProjectKind.CAMPAIGN, published=False)
    tagged = report(client, db)
    other = report(client, db, phone="13912345678", description="集美大道路灯不亮已经三天了，晚上很黑。")
    assert tagged.code not in client.get("/tickets?project=ebike").text
    _tag(db, campaign, tagged)
    _tag(db, hidden, other)
    board = client.get("/tickets?project=ebike").text  # no ticket event: the tagging itself refreshes it
    assert tagged.code in board and other.code not in board
    assert 'name="project" value="ebike"' in board
    unfiltered = client.get("/tickets?project=hidden").text
    assert tagged.code in unfiltered and other.code in unfiltered and "未公开专项" not in unfiltered


# --- photos and images, the home page -------------------------------------------------------------


def test_project_photos_and_story_images_are_public_only_once_their_page_is(
    client: PageClient, db: Session, services: Services, app: Any
) -> None:
    from portal.accounts.models import StaffRole
    from portal.accounts.service import create_user
    from portal.media import process_photo
    from portal.progress.models import ProjectPhoto, StoryImage, StoryText
    from tests.unit.factories import jpeg_bytes

    before = services.media.save(process_photo(jpeg_bytes(color=(10, 120, 40))))
    after = services.media.save(process_photo(jpeg_bytes(color=(10, 40, 120))))
    picture = services.media.save(process_photo(jpeg_bytes(color=(120, 40, 10))))
    project = make_project(db, "changdi", "十里长堤", published=False, summary_en="The embankment")
    story = make_story(db, "changdi-news", "长堤新貌", project, status=StoryStatus.DRAFT)
    for digest, role in ((before, "before"), (after, "after")):
        db.add(ProjectPhoto(project_id=project.id or 0, role=role, pair=1, digest=digest, width=800, height=600,
                            caption_zh_hans="长堤东段"))  # fmt: skip
    db.add(StoryImage(story_id=story.id or 0, digest=picture, width=800, height=600))
    db.commit()
    for digest in (before, picture):
        assert client.get(f"/media/{digest}/thumb").status_code == 404

    create_user(db, username="press-media", password="a long enough password", role=StaffRole.PRESS)
    db.commit()
    with PageClient(app=app, base_url="http://portal.test") as press:
        press.post("/staff/login", data={"username": "press-media", "password": "a long enough password",
                                         "_csrf_token": press.csrf()})  # fmt: skip
        for digest in (before, picture):
            seen = press.get(f"/media/{digest}/full")
            assert seen.status_code == 200 and seen.headers["cache-control"] == "private, no-store"

    project.published = True
    project.version += 1
    db.add(project)
    story.status = StoryStatus.PUBLISHED
    db.add(story)
    db.commit()
    # an image uploaded for an edit still awaiting review is not public with the approved story
    assert client.get(f"/media/{picture}/thumb").status_code == 404
    for text in db.exec(select(StoryText).where(StoryText.story_id == story.id, StoryText.stage == "live")):
        text.body = f"![长堤新貌](/media/{picture}/full)"
        db.add(text)
    db.commit()
    for digest in (before, picture):
        shown = client.get(f"/media/{digest}/thumb")
        assert shown.status_code == 200 and shown.headers["cache-control"] == "public, max-age=300"
    page = client.get("/progress/changdi").text
    assert f'src="/media/{before}/thumb" alt="Before: 长堤东段"' in page
    assert f'src="/media/{after}/thumb" alt="After: 长堤东段"' in page


def test_the_home_tile_leads_to_progress_with_the_latest_public_stories(
    client: PageClient, db: Session
) -> None:
    project = make_project(db, "changdi", "十里长堤")
    hidden = make_project(db, "hidden", "未公开", published=False)
    now = _tomorrow() - timedelta(days=1)
    for n in range(4):
        make_story(db, f"story-{n}", f"报道{n}", project, publish_at=now - timedelta(hours=10 - n))
    make_story(db, "draft", "草稿", project, status=StoryStatus.DRAFT)
    make_story(db, "of-hidden", "未公开项目的报道", hidden)
    make_story(db, "later", "明日报道", project, publish_at=_tomorrow())
    home = client.get("/").text
    assert 'href="/progress"' in home
    assert re.findall(r'<a href="/stories/([^"]+)"', home) == ["story-3", "story-2", "story-1"]
    for hidden_title in ("草稿", "未公开项目的报道", "明日报道", "报道0"):
        assert hidden_title not in home


def test_the_progress_pages_are_valid_html(
    client: PageClient, db: Session, services: Services, tmp_path: Any
) -> None:
    from portal.media import process_photo
    from portal.progress.models import ProjectPhoto
    from tests.unit.factories import jpeg_bytes
    from tests.unit.test_html import validate

    gardens = department(db, 1)
    parent = make_project(db, "chailan", "拆栏透绿", milestones=late_and_reached(), streets=["jimei"], lead=gardens,
                          others=[department(db, 2)], summary_zh_hans="拆除围墙", body_zh_hans="一\n\n二\n三",
                          start_date=today() - timedelta(days=300), target_date=today() + timedelta(days=90))  # fmt: skip
    make_project(db, "chailan-jimei", "集美街道拆栏", parent_id=parent.id, milestones=late_and_reached())
    campaign = make_project(db, "ebike", "电动自行车专项整治", kind=ProjectKind.CAMPAIGN)
    digest = services.media.save(process_photo(jpeg_bytes()))
    for role in ("cover", "before", "after"):
        db.add(
            ProjectPhoto(project_id=campaign.id or 0, role=role, pair=1, digest=digest, width=800, height=600)
        )
    db.commit()
    make_story(db, "news", "长堤新貌", campaign, title_en="News")
    pages = {
        f"{url} {lang}": client.get(f"{url}?lang={lang}").text
        for url in ("/progress", "/progress/chailan", "/progress/chailan-jimei", "/progress/ebike", "/")
        for lang in ("zh-Hans", "zh-Hant", "en")
    }
    pages["search"] = client.get("/progress?q=拆栏&status=in_progress").text
    pages["nothing found"] = client.get("/progress?q=nothing").text
    assert validate(pages, tmp_path) == []
