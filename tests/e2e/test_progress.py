"""A resident on a phone (360×800) finds a project by a word, opens it, reads how its percentage was
computed and sees the late milestone marked in words; the progress pages are axe-clean in normal and
elder mode, and a screenshot of each (in every language) goes to test-results/screens/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import Session

from portal.media import process_photo
from portal.progress.models import MilestoneStatus, ProjectKind, ProjectPhoto, ProjectStatus
from portal.services import Services
from portal.stats.period import today
from tests.e2e.conftest import ContextFactory
from tests.e2e.helpers import format_violations, run_axe, screenshot
from tests.unit.factories import jpeg_bytes
from tests.unit.progress.public_data import (
    clear_progress,
    department,
    late_and_reached,
    make_project,
    make_story,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def projects(engine: Engine, services: Services) -> Iterator[None]:
    with Session(engine, expire_on_commit=False) as db:
        gardens = department(db, 1)
        make_project(
            db, "shili-changdi", "十里长堤", title_en="The Ten-Li Embankment", status=ProjectStatus.IN_PROGRESS,
            summary_zh_hans="集美海堤的清理与提升：步道、护栏和绿化。", milestones=late_and_reached(12),
            streets=["jimei"], lead=gardens, others=[department(db, 2)],
            start_date=today() - timedelta(days=240), target_date=today() + timedelta(days=120),
            body_zh_hans="十里长堤位于集美学村南侧。\n\n整治分三段进行。",
        )  # fmt: skip
        chailan = make_project(
            db, "chailan-toulv", "拆栏透绿", title_en="Fences down, green opened up",
            status=ProjectStatus.IN_PROGRESS, summary_zh_hans="拆除围墙栏杆，让绿地向市民开放。", lead=gardens,
        )  # fmt: skip
        done = MilestoneStatus.DONE
        day = today() - timedelta(days=30)
        make_project(db, "chailan-jimei", "集美街道拆栏透绿", parent_id=chailan.id, weight=2,
                     streets=["jimei"], milestones=[(100, day, done, day)])  # fmt: skip
        make_project(db, "chailan-xinglin", "杏林街道拆栏透绿", parent_id=chailan.id, weight=1,
                     streets=["xinglin"], milestones=[(40, day, done, day),
                                                      (60, today() + timedelta(days=40), "planned", None)])  # fmt: skip
        ebike = make_project(db, "ebike", "电动自行车专项整治", kind=ProjectKind.CAMPAIGN,
                             status=ProjectStatus.IN_PROGRESS, title_en="E-bike campaign")  # fmt: skip
        before = services.media.save(process_photo(jpeg_bytes(color=(120, 110, 90))))
        after = services.media.save(process_photo(jpeg_bytes(color=(60, 140, 70))))
        for digest, role in ((before, "before"), (after, "after")):
            db.add(ProjectPhoto(project_id=ebike.id or 0, role=role, pair=1, digest=digest, width=800, height=600,
                                caption_zh_hans="集美大道充电棚"))  # fmt: skip
        db.commit()
        make_story(db, "changdi-news", "长堤东段完工", None, title_en="The east section is finished")
    yield
    clear_progress(engine)


@pytest.mark.usefixtures("projects")
def test_a_resident_finds_a_project_and_reads_how_far_it_has_come(page: Page) -> None:
    page.goto("/")
    page.get_by_role("link", name=re.compile("全区工作进展")).click()
    expect(page.locator("h1")).to_have_text("全区工作进展")
    page.locator("#q").fill("长堤")
    page.get_by_role("button", name="搜索").click()
    expect(page.locator(".project-card")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"q=%E9%95%BF%E5%A0%A4"))
    card = page.locator(".project-card")
    expect(card.locator(".progress-value")).to_have_text("进度：50%")
    expect(card.locator("progress")).to_have_attribute("value", "50.0")
    expect(card.locator(".flag--late")).to_have_text("1 个节点延期")
    card.get_by_role("link", name="十里长堤").click()

    expect(page.locator("h1")).to_have_text("十里长堤")
    expect(page.locator(".progress-sum")).to_contain_text("4 个节点中已完成 2 个：")
    expect(page.locator(".progress-sum .sum")).to_have_text("20% + 30% = 50%")
    late = page.locator(".milestone--late")
    expect(late).to_have_count(1)
    expect(late.locator(".flag--late")).to_have_text("已延期")
    expect(late).to_contain_text("已延期 12 天")
    expect(page.locator(".milestone--reached_late .flag")).to_have_text("延期完成")
    expect(page.locator(".notice--late")).to_be_visible()
    screenshot(page, "progress-project-found")


@pytest.mark.usefixtures("projects")
def test_the_filters_work_without_a_reload(page: Page) -> None:
    page.goto("/progress")
    expect(page.locator(".project-card")).to_have_count(5)
    page.locator(".progress-more summary").click()
    page.locator("#filter-street").select_option(value="xinglin")
    expect(page).to_have_url(re.compile(r"street=xinglin"))
    expect(page.locator(".project-card")).to_have_count(1)
    expect(page.locator(".project-card h2")).to_have_text("杏林街道拆栏透绿")


PAGES = {
    "progress-list": "/progress",
    "progress-search": "/progress?q=拆栏",
    "progress-project": "/progress/shili-changdi",
    "progress-campaign": "/progress/ebike",
    "progress-parent": "/progress/chailan-toulv",
    "progress-home": "/",
    "progress-board": "/tickets?project=ebike",
}


@pytest.mark.usefixtures("projects")
@pytest.mark.parametrize("mode", ["normal", "elder"])
@pytest.mark.parametrize("name", list(PAGES))
def test_progress_pages_have_no_axe_violations(
    new_context: ContextFactory, live_server: str, name: str, mode: str
) -> None:
    context = new_context()
    if mode == "elder":
        context.add_cookies([{"name": "elder", "value": "1", "url": live_server}])
    page = context.new_page()
    for lang in ("zh-Hant", "en", "zh-Hans"):  # the last one stays for axe
        page.goto(f"{PAGES[name]}{'&' if '?' in PAGES[name] else '?'}lang={lang}")
        page.wait_for_load_state("load")
        screenshot(page, f"{name}-{mode}-{lang}")
    violations = run_axe(page)
    assert not violations, format_violations(f"{name} ({mode} mode, {page.url})", violations)
