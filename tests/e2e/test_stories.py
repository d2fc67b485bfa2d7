"""A story in a real browser: a press officer drafts it on a phone (with a photo and a Markdown table,
autosaved while typing, previewed live), a press lead approves it on a desktop for a later time, and at
that time it appears on /stories/{slug} in three locales (the 繁體 page converted and marked); axe-core
on the public page in normal and elder mode (screenshots in test-results/screens/story-*.png)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import feedparser
import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from portal.accounts.models import StaffRole
from portal.accounts.service import create_user
from portal.db import utcnow
from portal.i18n import DISTRICT_TZ, translator
from portal.progress.models import Project, Story, StoryImage, StoryStatus
from tests.e2e.conftest import ContextFactory
from tests.e2e.helpers import format_violations, run_axe, screenshot
from tests.unit.progress.story_data import clear_stories

pytestmark = pytest.mark.e2e

PASSWORD = "a long enough password"
ZH = translator("zh_Hans")
DESKTOP = {"width": 1280, "height": 800}
TITLE = "侨英街道拆栏透绿完成"
BODY = (
    "侨英街道拆除围栏**三百米**，还绿于民。\n\n| 街道 | 完成 |\n|---|--:|\n| 侨英 | 80% |\n| 杏林 | 60% |\n"
)


def zh(message: str, **values: object) -> str:
    return ZH.gettext(message, **values)


@pytest.fixture
def newsroom(engine: Engine) -> Iterator[Project]:
    with Session(engine, expire_on_commit=False) as session:
        for username, role in (("press-e2e", StaffRole.PRESS), ("lead-e2e", StaffRole.PRESS_LEAD)):
            create_user(session, username=username, password=PASSWORD, role=role, display_name=username)
        project = Project(
            slug="chai-lan-tou-lv", title_zh_hans="拆栏透绿", title_en="Fences down", published=True
        )
        session.add(project)
        session.commit()
    yield project
    clear_stories(engine)


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    """A real JPEG: a park behind a low fence, drawn with Pillow."""
    path = tmp_path / "qiaoying.jpg"
    image = Image.new("RGB", (1200, 800), (120, 170, 220))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 500, 1200, 800), fill=(60, 140, 60))
    for x in range(0, 1200, 60):
        draw.rectangle((x, 430, x + 8, 560), fill=(90, 90, 90))
    image.save(path, "JPEG", quality=88)
    return path


def signed_in(new_context: ContextFactory, username: str, **options: object) -> Page:
    page = new_context(**options).new_page()
    page.goto("/staff/login?next=/staff/press/stories")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("form[action='/staff/login'] button[type=submit]").click()
    return page


def story_row(engine: Engine) -> Story:
    with Session(engine, expire_on_commit=False) as session:
        return session.exec(select(Story)).one()


def test_a_story_from_draft_to_the_public_page(
    new_context: ContextFactory, engine: Engine, newsroom: Project, photo: Path, live_server: str
) -> None:
    # --- a press officer writes on a phone ---
    writer = signed_in(new_context, "press-e2e")
    expect(writer.locator("h1")).to_have_text(zh("Stories"))
    writer.get_by_role("link", name=zh("Write a new story")).first.click()
    expect(writer.locator("h1")).to_have_text(zh("Write a new story"))
    writer.locator("#title_zh_Hans").fill(TITLE)
    writer.locator("#summary_zh_Hans").fill("三百米围栏拆除，绿地向居民开放。")
    writer.locator("#project").select_option(str(newsroom.id))
    # Autosave: a few seconds after typing stops the draft is kept and the page learns its address.
    expect(writer.locator("#autosave-status")).to_contain_text("自动保存", timeout=15_000)
    expect(writer).to_have_url(re.compile(r"/staff/press/stories/\d+$"))
    story = story_row(engine)
    assert story.status == StoryStatus.DRAFT

    writer.locator("#body_zh_Hans").fill(BODY)
    writer.locator("#title_en").fill("Fences down in Qiaoying")
    writer.locator("#body_en").fill("Three hundred metres of fence came down.")
    writer.locator("#image").set_input_files(photo)
    with writer.expect_navigation():
        writer.get_by_role("button", name=zh("Save and upload the image")).click()
    expect(writer.locator(".success")).to_contain_text(
        zh("The image is uploaded. Copy its line into the text where the image should appear.")
    )
    snippet = writer.locator(".image-list input[readonly]").first.input_value()
    assert re.fullmatch(r"!\[.+\]\(/media/[0-9a-f]{64}/full\)", snippet)
    line = snippet.replace(f"[{zh('caption')}]", "[侨英街道拆除围栏后的绿地]")
    writer.locator("#body_zh_Hans").fill(BODY + "\n" + line + "\n")
    # The live preview renders the table and the figure while typing.
    preview = writer.locator("#preview-zh_Hans")
    expect(preview.locator("td.align-right").first).to_have_text("80%")
    expect(preview.locator("figure figcaption")).to_have_text("侨英街道拆除围栏后的绿地")
    screenshot(writer, "story-editor-phone")
    with writer.expect_navigation():
        writer.get_by_role("button", name=zh("Save and submit for review")).click()
    expect(writer.locator(".success")).to_have_text(
        zh("Saved and submitted for review. A press office lead will read it.")
    )
    story = story_row(engine)
    assert story.status == StoryStatus.REVIEW and story.slug == "fences-down-in-qiaoying"
    with Session(engine) as session:
        image = session.exec(select(StoryImage)).one()
        assert max(image.width, image.height) <= 1600

    # --- a press lead approves it on a desktop, for a little later ---
    lead = signed_in(new_context, "lead-e2e", viewport=DESKTOP)
    lead.get_by_role("link", name=zh("Review queue")).click()
    lead.get_by_role("link", name=TITLE).click()
    expect(lead.locator(".review-text").first.locator("td.align-right").first).to_have_text("80%")
    screenshot(lead, "story-review-desktop")
    at = (utcnow() + timedelta(minutes=3)).astimezone(DISTRICT_TZ)
    lead.locator("#publish_at").fill(at.strftime("%Y-%m-%dT%H:%M"))
    with lead.expect_navigation():
        lead.get_by_role("button", name=zh("Approve and publish")).click()
    expect(lead.locator(".success")).to_contain_text("将于")
    screenshot(lead, "story-editor-desktop")
    story = story_row(engine)
    assert (
        story.status == StoryStatus.PUBLISHED and story.publish_at is not None and story.publish_at > utcnow()
    )

    # --- the public: nothing before its time, then the story in three locales ---
    reader = new_context().new_page()
    assert reader.goto(f"/stories/{story.slug}").status == 404
    assert not [
        e for e in feedparser.parse(reader.request.get("/feed.atom").body()).entries if TITLE in e.title
    ]
    with Session(engine) as session:  # the clock moves on to the scheduled time
        row = session.get(Story, story.id)
        assert row is not None
        row.publish_at = utcnow() - timedelta(seconds=1)
        session.add(row)
        session.commit()
    assert reader.goto(f"/stories/{story.slug}").status == 200
    expect(reader.locator("h1")).to_have_text(TITLE)
    expect(reader.locator(".story-body td.align-right").first).to_have_text("80%")
    expect(reader.locator(".story-body figure img")).to_have_attribute("alt", "侨英街道拆除围栏后的绿地")
    expect(reader.locator(".story-meta a")).to_have_text("拆栏透绿")
    assert reader.locator('meta[property="og:title"]').get_attribute("content") == TITLE
    screenshot(reader, "story-public-zh-hans")
    assert reader.evaluate("() => document.querySelector('.story-body figure img').naturalWidth") > 0
    project_page = reader.locator(".story-meta a").get_attribute("href")
    assert project_page
    reader.goto(project_page)  # the story is listed on its project's page
    expect(reader.get_by_role("link", name=TITLE)).to_be_visible()
    reader.goto(f"/stories/{story.slug}")
    for lang, title in (
        ("zh-Hans", TITLE),
        ("zh-Hant", "僑英街道拆欄透綠完成"),
        ("en", "Fences down in Qiaoying"),
    ):
        feed = feedparser.parse(reader.request.get(f"/feed.atom?lang={lang}").body())
        assert feed.version == "atom10" and not feed.bozo, feed.bozo_exception
        assert [e for e in feed.entries if e.title == title and f"/stories/{story.slug}?" in e.link], lang

    reader.goto(f"/stories/{story.slug}?lang=zh-Hant")
    expect(reader.locator("h1")).to_have_text("僑英街道拆欄透綠完成")
    expect(reader.locator(".story-mark")).to_have_text(translator("zh_Hant").gettext(
        "This text was converted automatically from Simplified Chinese and may contain mistakes."
    ))  # fmt: skip
    screenshot(reader, "story-public-zh-hant")

    reader.goto(f"/stories/{story.slug}?lang=en")
    expect(reader.locator("h1")).to_have_text("Fences down in Qiaoying")
    expect(reader.locator(".story-meta a")).to_have_text("Fences down")
    reader.goto(f"/stories/{story.slug}?lang=zh-Hans")


@pytest.mark.parametrize("mode", ["normal", "elder"])
def test_the_public_story_page_has_no_axe_violations(
    new_context: ContextFactory, engine: Engine, newsroom: Project, live_server: str, mode: str
) -> None:
    from portal.progress import stories
    from portal.progress.forms import StoryDraft, TextInput

    with Session(engine, expire_on_commit=False) as session:
        users = {
            u.username: u
            for u in session.exec(
                select(__import__("portal.accounts.models", fromlist=["StaffUser"]).StaffUser)
            )
        }
        text = TextInput(
            title=TITLE,
            summary="三百米围栏拆除。",
            body="## 进展\n\n"
            + BODY
            + "\n> 居民说：很好。\n\n- 一\n- 二\n\n[区政府](https://www.jimei.gov.cn)",
        )
        story = stories.create(
            session, users["press-e2e"], StoryDraft("axe-story", newsroom.id, {"zh_Hans": text})
        )
        stories.submit(session, users["press-e2e"], story)
        stories.approve(session, users["lead-e2e"], story)
        session.commit()
    context = new_context()
    if mode == "elder":
        context.add_cookies([{"name": "elder", "value": "1", "url": live_server}])
    page = context.new_page()
    for lang in ("zh-Hans", "zh-Hant", "en"):
        assert page.goto(f"/stories/axe-story?lang={lang}").status == 200
        violations = run_axe(page)
        assert not violations, format_violations(f"/stories/axe-story ({mode}, {lang})", violations)
    screenshot(page, f"story-public-{mode}")


def test_words_autosave_refuses_are_not_lost_by_leaving_the_page(
    new_context: ContextFactory, newsroom: Project
) -> None:
    writer = signed_in(new_context, "press-e2e")
    writer.goto("/staff/press/stories/new")
    writer.locator("#title_zh_Hans").fill("杏林公园夜间照明")
    writer.locator("#body_zh_Hans").fill("第一段。<br>第二段。")
    status = writer.locator("#autosave-status .autosave-problem")
    expect(status).to_contain_text(zh("Remove the HTML code (such as <br> or <b>): a story is written in Markdown only. A blank line starts a new paragraph; **two stars** make bold."), timeout=15_000)  # fmt: skip
    asked: list[str] = []
    writer.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    writer.close(run_before_unload=True)
    writer.wait_for_timeout(500)
    assert asked == ["beforeunload"]  # the browser asks before the unsaved words go
