"""The press office builds a survey on a phone (360×800): a section shown only to those who live on
集美街道, a matrix question, attached to the 十里长堤 project, opened; the list then shows it open.
axe-core on every page of the builder; screenshots in test-results/screens/survey-builder-*.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from portal.accounts.models import StaffRole
from portal.surveys.models import Survey, SurveyState
from portal.surveys.service import definition_of, state_of
from tests.e2e.conftest import ContextFactory
from tests.e2e.helpers import format_violations, run_axe, screenshot
from tests.e2e.test_staff import make_staff, staff_browser, zh
from tests.unit.progress.press_helpers import a_project, no_projects_after

pytestmark = pytest.mark.e2e
__all__ = ["no_projects_after"]

SLUG = "shili-changdi-2026"
PROJECT = "十里长堤整治提升"  # the demonstration project's title (portal/demo_progress.py, shili-changdi)


def axe_clean(page: Page, where: str) -> None:
    violations = run_axe(page)
    assert not violations, format_violations(where, violations)


def press(page: Page, selector: str) -> None:
    with page.expect_navigation():
        page.locator(selector).click()


def saved(page: Page) -> None:
    expect(page.locator(".success")).to_be_visible()
    expect(page.locator(".error-summary")).to_have_count(0)


def test_the_press_office_builds_and_opens_a_survey_on_a_phone(
    new_context: ContextFactory, engine: Engine, no_projects_after: None
) -> None:
    with Session(engine, expire_on_commit=False) as db:
        project = a_project(db, slug="shili-changdi", title_zh_hans=PROJECT)
    make_staff(engine, "press-surveys", StaffRole.PRESS)
    page = staff_browser(new_context, "press-surveys")

    page.locator(".staff-nav").get_by_role("link", name=zh("Surveys"), exact=True).click()
    expect(page.locator("h1")).to_have_text(zh("Surveys"))
    axe_clean(page, "/staff/surveys (empty)")
    page.get_by_role("link", name=zh("New survey")).click()

    # the settings: a typo in the address first, then right
    page.locator("#slug").fill("Shili Changdi")
    page.locator("#title_zh_Hans").fill("十里长堤工程满意度调查")
    page.locator("#title_en").fill("Ten-mile Embankment works: how satisfied are you?")
    page.locator("#intro_zh_Hans").fill("请花两分钟告诉我们您对十里长堤整治工程的看法。")
    page.locator("#thanks_zh_Hans").fill("谢谢您的参与！")
    page.locator("#project").select_option(label=PROJECT)
    axe_clean(page, "the new survey form")
    press(page, "form.press-form button[type=submit]")
    expect(page.locator(".error-summary a[href='#slug']")).to_be_visible()
    expect(page.locator("#title_zh_Hans")).to_have_value("十里长堤工程满意度调查")
    page.locator("#slug").fill(SLUG)
    press(page, "form.press-form button[type=submit]")
    saved(page)

    # section 1 with a single choice
    page.locator("#new_section").fill("关于您")
    press(page, "button[value=add-section]")
    page.locator("#kind-s1").select_option("single")
    page.locator("#text-s1").fill("您住在哪个街道？")
    press(page, "button[value='add-question:s1']")
    for street in ("集美街道", "侨英街道"):
        page.locator("#opt-new-zh_Hans").fill(street)
        press(page, "button[value=add-option]")
        saved(page)
    page.locator("#required").check()
    axe_clean(page, "a single choice question's form")
    screenshot(page, "survey-builder-question")
    press(page, "form.press-form button[value=save] >> nth=-1")
    saved(page)

    # section 2, shown only to those on 集美街道, with a matrix
    page.locator("#new_section").fill("十里长堤")
    press(page, "button[value=add-section]")
    page.locator("#kind-s5").select_option("matrix")
    page.locator("#text-s5").fill("请为以下方面打分")
    press(page, "button[value='add-question:s5']")
    for word in ("差", "一般", "好"):
        page.locator("#opt-new-zh_Hans").fill(word)
        press(page, "button[value=add-option]")
    for word in ("绿化", "照明"):
        page.locator("#row-new-zh_Hans").fill(word)
        press(page, "button[value=add-row]")
    expect(page.locator("#row-r10-zh_Hans")).to_have_value("绿化")
    axe_clean(page, "a matrix question's form")
    screenshot(page, "survey-builder-matrix")
    press(page, "form.press-form button[value=save] >> nth=-1")

    page.locator("#s5 a[href$='/sections/s5']").click()
    page.locator("#title_en").fill("The embankment")
    page.locator("#cond_question").select_option("q2")
    page.locator("#cond_op").select_option("equals")
    page.locator("#cond_option").select_option("q2:o3")
    axe_clean(page, "a section's form")
    press(page, "form.press-form button[type=submit]")
    saved(page)
    expect(page.locator("#s5")).to_contain_text("集美街道")
    expect(page.locator(".survey-problems li")).to_have_count(0)  # nothing stops it opening
    axe_clean(page, "the questions editor")
    screenshot(page, "survey-builder-questions")

    # open it from the settings
    page.get_by_role("link", name=zh("Settings"), exact=True).click()
    axe_clean(page, "the survey's settings")
    press(page, "button[value=open]")
    saved(page)
    page.get_by_role("link", name=zh("All surveys")).click()
    row = page.locator(f"#survey-{SLUG}")
    expect(row.locator(".tag--survey-open")).to_have_text(zh("Open"))
    expect(row).to_contain_text(PROJECT)
    axe_clean(page, "/staff/surveys")
    screenshot(page, "survey-builder-list")

    with Session(engine) as db:
        survey = db.exec(select(Survey).where(Survey.slug == SLUG)).one()
        assert survey.project_id == project.id and state_of(survey) == SurveyState.OPEN
        definition = definition_of(db, survey)
        section = definition.section("s5")
        assert section is not None and section.condition is not None and section.condition.option == "o3"
        matrix = definition.question("q6")
        assert matrix is not None and len(matrix.options) == 3 and len(matrix.rows) == 2


def test_the_builder_in_elder_mode_fits_a_phone(
    new_context: ContextFactory, engine: Engine, no_projects_after: None
) -> None:
    make_staff(engine, "press-elder", StaffRole.PRESS)
    page = staff_browser(new_context, "press-elder")
    page.goto("/staff/surveys/new?elder=on")
    expect(page.locator("body")).to_have_class("elder")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    axe_clean(page, "the new survey form in elder mode")
    screenshot(page, "survey-builder-new-elder")
