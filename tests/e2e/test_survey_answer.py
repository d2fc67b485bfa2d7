"""Residents answer the sample survey (tests/unit/surveys/survey_data.py: conditions on questions, a
chain, a matrix) on a phone: in elder mode without JavaScript the questions a section's answers open come
back with the page; with htmx they appear in place, the focus kept. The survey's whole life (built in the
staff pages, answered with and without JavaScript, a second response refused, the results and downloads)
is the chain in tests/e2e/test_surveys.py."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from portal.surveys.models import SurveyAnswer, SurveyDraft, SurveyResponse
from tests.e2e.conftest import ContextFactory
from tests.e2e.helpers import format_violations, run_axe, screenshot
from tests.e2e.surveys_steps import choose, elder_context, next_page
from tests.unit.surveys.survey_data import open_survey

pytestmark = pytest.mark.e2e

SLUG = "shili-changdi-manyidu"


def test_in_elder_mode_without_javascript_a_section_comes_back_with_the_questions_it_opened(
    new_context: ContextFactory, live_server: str, db: Session
) -> None:
    open_survey(db, intro_zh_hans="十里长堤整治提升工程已完成一期。\n\n请花三分钟告诉我们您的看法。")

    # Elder mode, no JavaScript: the section is sent, and comes back with the questions it opened.
    plain = elder_context(new_context, live_server, java_script_enabled=False)
    page = plain.new_page()
    page.goto("/surveys")
    expect(page.locator("body")).to_have_class(re.compile(r"\belder\b"))
    with page.expect_navigation():
        page.get_by_role("link", name="十里长堤工程满意度调查").click()
    expect(page.locator("#survey-progress")).to_have_text("第 1 节，共 2 节")
    screenshot(page, "survey-s1-elder-nojs")
    box = page.locator("label[for='q-q1-o1']").bounding_box()
    assert box is not None and box["height"] >= 60  # a big target in elder mode
    choose(page, "q-q1-o1")
    next_page(page)
    expect(page.locator("#survey-progress")).to_have_text("第 2 节，共 3 节")
    expect(page.locator("#q-q3")).to_have_count(0)
    point = page.locator("label[for='q-q2-1']").bounding_box()
    assert point is not None and point["height"] >= 60 and point["width"] >= 56
    choose(page, "q-q2-1")
    next_page(page)
    expect(page.locator(".notice")).to_contain_text("您的回答打开了本节的更多问题")
    expect(page.locator("#q-q2-1")).to_be_checked()  # what was chosen is kept
    expect(page.locator("#q-q3")).to_be_visible()
    choose(page, "q-q3-o1")
    next_page(page)
    expect(page.locator("#q-q4")).to_be_visible()
    page.locator("#q-q4").fill("晚上十点以后还在打桩。")
    screenshot(page, "survey-s2-elder-nojs")
    next_page(page)
    expect(page.locator("#survey-progress")).to_have_text("第 3 节，共 3 节")
    page.locator("#q-q6").fill("七十二")
    next_page(page)
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator(".error-summary a[href='#q-q6']")).to_be_visible()
    screenshot(page, "survey-s3-errors-elder-nojs")
    page.locator("#q-q6").fill("72")
    choose(page, "q-q5-9")
    choose(page, "q-q8-r1-o3")
    next_page(page)
    expect(page.locator("h1")).to_have_text("感谢您的回答")
    screenshot(page, "survey-thanks-elder-nojs")

    db.expire_all()
    stored = db.exec(select(SurveyResponse)).all()
    assert len(stored) == 1
    texts = {a.text for a in db.exec(select(SurveyAnswer).where(SurveyAnswer.question == "q4"))}
    assert texts == {"晚上十点以后还在打桩。"}
    reasons = sorted(a.option for a in db.exec(select(SurveyAnswer).where(SurveyAnswer.question == "q3")))
    assert reasons == ["o1"]
    assert not db.exec(select(SurveyDraft)).all()


@pytest.mark.parametrize("mode", ["normal", "elder"])
def test_questions_appear_in_place_with_javascript_and_the_pages_pass_axe(
    new_context: ContextFactory, live_server: str, db: Session, mode: str
) -> None:
    open_survey(db)
    context = elder_context(new_context, live_server) if mode == "elder" else new_context()
    page = context.new_page()
    page.goto("/surveys")
    violations = run_axe(page)
    assert not violations, format_violations(f"/surveys ({mode})", violations)
    page.goto(f"/surveys/{SLUG}")
    choose(page, "q-q1-o1")
    next_page(page)
    url = page.url
    choose(page, "q-q2-2")
    expect(page.locator("#q-q3")).to_be_visible()
    assert page.url == url  # no page load: htmx swapped the question in
    expect(page.locator("#q-q2-2")).to_be_focused()
    page.locator("label[for='q-q3-o1']").click()
    expect(page.locator("#q-q4")).to_be_visible()
    choose(page, "q-q2-4")  # a better rating: the reason and its follow-up go away
    expect(page.locator("#q-q3")).to_have_count(0)
    expect(page.locator("#q-q4")).to_have_count(0)
    choose(page, "q-q2-1")
    expect(page.locator("#q-q3")).to_be_visible()
    page.locator("label[for='q-q3-o1']").click()
    expect(page.locator("#q-q4")).to_be_visible()
    screenshot(page, f"survey-section-{mode}")
    violations = run_axe(page)
    assert not violations, format_violations(f"a survey's section ({mode})", violations)
    next_page(page)
    page.locator("#q-q6").fill("5")
    next_page(page)
    expect(page.locator(".error-summary")).to_be_visible()
    screenshot(page, f"survey-errors-{mode}")
    violations = run_axe(page)
    assert not violations, format_violations(f"a survey's section with errors ({mode})", violations)
