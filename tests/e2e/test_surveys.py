"""The survey from end to end, as issue 10 tells it: the press office builds a survey with a condition
and a matrix question in the staff pages, attaches it to 十里长堤 and opens it; a resident answers it on
a phone in elder mode without JavaScript, another with JavaScript; a third is refused a second response;
the results chart, table and CSV agree with what was answered, and the project's page lists the survey.

The results are public with a minimum of 2 responses, so that the two answers show their breakdown (the
minimum rule itself is unit-tested in tests/unit/surveys)."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from portal.accounts.models import StaffRole
from portal.surveys.models import Survey, SurveyDraft, SurveyResponse, SurveyState
from portal.surveys.service import definition_of, state_of
from tests.e2e.conftest import ContextFactory
from tests.e2e.helpers import screenshot
from tests.e2e.surveys_steps import (
    ROWS,
    SCALE,
    STREETS,
    TITLE,
    build_survey,
    choose,
    elder_context,
    next_page,
)
from tests.e2e.test_staff import make_staff, staff_browser
from tests.unit.progress.press_helpers import a_project, no_projects_after

pytestmark = pytest.mark.e2e
__all__ = ["no_projects_after"]

SLUG = "shili-changdi-2026"
# What the two residents answer: the street (q2) and, on 集美街道 only, the matrix rows (q6).
ELDER = {"q2": "o3", "q6_r10": "o9", "q6_r11": "o8"}  # 集美街道; 绿化 好, 照明 一般
LIVELY = {"q2": "o4", "q6_r10": "", "q6_r11": ""}  # 侨英街道: the matrix's section is never shown


def figures(desc: Locator) -> dict[str, Decimal]:
    """A bar chart's text alternative, "<description> label: value; label: value.", as numbers."""
    text = desc.text_content() or ""
    return {label: Decimal(value) for label, value in re.findall(r"(\S+): (\d+(?:\.\d+)?)", text)}


def percent_of(cell: str) -> Decimal:
    return Decimal(re.sub(r"[^\d.]", "", cell.split("(")[-1]))


def read_csv(page: Page, path: str) -> list[dict[str, str]]:
    """A download fetched through the browser's own session, as its link would fetch it."""
    response = page.request.get(path)
    assert response.ok, f"{path}: {response.status}"
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.body().decode("utf-8-sig"))))


def test_a_survey_built_answered_and_published_from_end_to_end(
    new_context: ContextFactory, live_server: str, engine: Engine, no_projects_after: None
) -> None:
    with Session(engine, expire_on_commit=False) as db:
        project = a_project(db, slug="shili-changdi", title_zh_hans="十里长堤整治提升", published=True)

    # 1. The press office builds it, attaches it to 十里长堤 and opens it, results public from 2 responses.
    make_staff(engine, "press-surveys", StaffRole.PRESS)
    staff = staff_browser(new_context, "press-surveys")
    build_survey(staff, SLUG, min_responses=2, results_public=True)
    with Session(engine) as db:
        survey = db.exec(select(Survey).where(Survey.slug == SLUG)).one()
        assert survey.project_id == project.id and state_of(survey) == SurveyState.OPEN
        assert survey.results_public and survey.min_responses == 2
        definition = definition_of(db, survey)
        section = definition.section("s5")
        assert section is not None and section.condition is not None and section.condition.option == "o3"
        matrix = definition.question("q6")
        assert matrix is not None and len(matrix.options) == 3 and len(matrix.rows) == 2

    # 2. A resident in elder mode, without JavaScript: 集美街道 opens the matrix's section when sent.
    plain = elder_context(new_context, live_server, java_script_enabled=False)
    page = plain.new_page()
    page.goto("/surveys")
    with page.expect_navigation():
        page.get_by_role("link", name=TITLE).click()
    expect(page.locator("body")).to_have_class(re.compile(r"\belder\b"))
    expect(page.locator("#q-q6-r10")).to_have_count(0)
    choose(page, f"q-q2-{ELDER['q2']}")
    next_page(page)
    expect(page.locator("#survey-progress")).to_have_text("第 2 节，共 2 节")
    choose(page, f"q-q6-r10-{ELDER['q6_r10']}")
    choose(page, f"q-q6-r11-{ELDER['q6_r11']}")
    screenshot(page, "surveys-matrix-elder-nojs")
    next_page(page)
    expect(page.locator("h1")).to_have_text("感谢您的回答")

    # 3. Another, with JavaScript: the section count follows the street as it is chosen; 侨英街道 ends it.
    lively = new_context().new_page()
    lively.goto(f"/surveys/{SLUG}")
    choose(lively, f"q-q2-{ELDER['q2']}")
    expect(lively.locator("#survey-progress")).to_have_text("第 1 节，共 2 节")
    choose(lively, f"q-q2-{LIVELY['q2']}")
    expect(lively.locator("#survey-progress")).to_have_text("第 1 节，共 1 节")
    next_page(lively)
    expect(lively.locator("h1")).to_have_text("感谢您的回答")

    # 4. The first resident's browser again: a second response is refused.
    again = plain.new_page()
    again.goto(f"/surveys/{SLUG}")
    expect(again.locator("main .notice")).to_contain_text("您已经在这个浏览器上回答过这份问卷")
    expect(again.locator("#q-q2")).to_have_count(0)
    with Session(engine) as db:
        assert len(db.exec(select(SurveyResponse)).all()) == 2
        assert not db.exec(select(SurveyDraft)).all()

    # 5. The public results, seen by the resident with JavaScript: the table counts what was chosen...
    lively.goto(f"/surveys/{SLUG}/results")
    expect(lively.locator("h1")).to_contain_text(TITLE)
    screenshot(lively, "surveys-results")
    answered = [ELDER, LIVELY]
    table = lively.locator("#q-q2-table")
    page_counts: dict[tuple[str, str, str], int] = {}
    for key in STREETS:
        cell = table.locator(f"tr[data-option='{key}'] td[data-figure='count']")
        chosen = sum(1 for a in answered if a["q2"] == key)
        expect(cell).to_have_text(str(chosen))
        page_counts[("q2", "", key)] = chosen
    matrix_table = lively.locator("#q-q6-table")
    for row in ROWS:
        for key in SCALE:
            chosen = sum(1 for a in answered if a[f"q6_{row}"] == key)
            cell = matrix_table.locator(f"tr[data-row='{row}'] td[data-option='{key}']")
            expect(cell).to_have_text(re.compile(rf"^{chosen}\b"))
            page_counts[("q6", row, key)] = chosen

    # ... and the charts say the same as the tables: the text alternative and the drawn values.
    bars = figures(lively.locator("#q-q2-chart desc"))
    drawn = lively.locator("#q-q2-chart text.chart-value").all_text_contents()
    for key, street in STREETS.items():
        shown = table.locator(f"tr[data-option='{key}'] td[data-figure='percent']").inner_text()
        assert (
            bars[street] == percent_of(shown) == Decimal(100 * page_counts[("q2", "", key)]) / len(answered)
        )
    assert [Decimal(v) for v in drawn] == [bars[s] for s in STREETS.values()]
    stacked = lively.locator("#q-q6-chart desc").text_content() or ""
    for row, label in ROWS.items():
        segments = re.search(rf"{label}: ((?:\d+ [\d.]+%(?:, )?)+)", stacked)
        assert segments is not None, stacked
        drawn_shares = {
            int(n): Decimal(v) for n, v in re.findall(r"(\d+) (\d+(?:\.\d+)?)%", segments.group(1))
        }
        cells = [
            matrix_table.locator(f"tr[data-row='{row}'] td[data-option='{key}']").inner_text()
            for key in SCALE
        ]
        # a segment per scale option chosen, numbered as the legend and the table's columns
        assert drawn_shares == {n: percent_of(c) for n, c in enumerate(cells, 1) if not c.startswith("0")}, (
            stacked
        )

    # 6. The downloads, by the page's links through the same browser: one row per response with the
    # chosen option keys in the question's stable columns...
    rows = read_csv(lively, lively.locator("main a[href$='/results.csv']").get_attribute("href") or "")
    assert len(rows) == 2
    assert [{k: r[k] for k in ELDER} for r in rows] == answered
    assert [r["response"] for r in rows] == ["1", "2"]
    # ... and the summary's counts are the page's.
    summary = read_csv(lively, lively.locator("main a[href$='/summary.csv']").get_attribute("href") or "")
    counted = {
        (r["question"], r["row"], r["option"]): int(r["count"])
        for r in summary
        if r["measure"] in ("option", "matrix") and r["option"]
    }
    assert counted == page_counts
    assert {(r["question"], r["count"]) for r in summary if r["measure"] == "answered"} == {
        ("q2", "2"),
        ("q6", "1"),
    }

    # 7. The project's page lists the survey, open, with its two responses and a way to its results.
    lively.goto("/progress/shili-changdi")
    screenshot(lively, "surveys-project")
    listed = lively.locator("section[aria-labelledby='surveys-title']")
    expect(listed.get_by_role("link", name=TITLE, exact=True)).to_have_attribute("href", f"/surveys/{SLUG}")
    expect(listed).to_contain_text("进行中：现在填写 · 2 份回答")
    expect(listed.locator(f"a[href='/surveys/{SLUG}/results']")).to_be_visible()
