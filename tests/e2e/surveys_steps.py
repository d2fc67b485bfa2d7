"""Steps shared by the survey end-to-end tests: the staff builder's (make a survey with a section shown
only to those on 集美街道 and a matrix question, attach it to a project, open it) and the resident's
(choose an answer by its label, send a section, a browser in elder mode)."""

from __future__ import annotations

from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import ContextFactory
from tests.e2e.helpers import format_violations, run_axe, screenshot
from tests.e2e.test_staff import zh

PROJECT = "十里长堤整治提升"  # the demonstration project's title (portal/demo_progress.py, shili-changdi)
TITLE = "十里长堤工程满意度调查"
STREETS = {"o3": "集美街道", "o4": "侨英街道"}  # q2, "which street do you live on?", in section s1
SCALE = {"o7": "差", "o8": "一般", "o9": "好"}  # the matrix q6's scale, in section s5 (集美街道 only)
ROWS = {"r10": "绿化", "r11": "照明"}  # the matrix q6's rows


# --- both sides ------------------------------------------------------------------------------------------


def axe_clean(page: Page, where: str) -> None:
    violations = run_axe(page)
    assert not violations, format_violations(where, violations)


# --- the staff builder -----------------------------------------------------------------------------------


def press(page: Page, selector: str) -> None:
    with page.expect_navigation():
        page.locator(selector).click()


def saved(page: Page) -> None:
    expect(page.locator(".success")).to_be_visible()
    expect(page.locator(".error-summary")).to_have_count(0)


def build_survey(
    page: Page, slug: str, *, min_responses: int | None = None, results_public: bool = False
) -> None:
    """On a signed-in press officer's page: make the survey from /staff/surveys, attached to the 十里长堤
    project, with axe-core on every page of the builder, and open it. The builder's keys come in order:
    section s1 holds the single choice q2 (STREETS); section s5, shown only when q2 is 集美街道, holds the
    matrix q6 (SCALE × ROWS)."""
    page.locator(".staff-nav").get_by_role("link", name=zh("Surveys"), exact=True).click()
    expect(page.locator("h1")).to_have_text(zh("Surveys"))
    axe_clean(page, "/staff/surveys")
    page.get_by_role("link", name=zh("New survey")).click()

    # the settings: a typo in the address first, then right
    page.locator("#slug").fill("Shili Changdi")
    page.locator("#title_zh_Hans").fill(TITLE)
    page.locator("#title_en").fill("Ten-mile Embankment works: how satisfied are you?")
    page.locator("#intro_zh_Hans").fill("请花两分钟告诉我们您对十里长堤整治工程的看法。")
    page.locator("#thanks_zh_Hans").fill("谢谢您的参与！")
    page.locator("#project").select_option(label=PROJECT)
    if results_public:
        page.locator("label[for='results_public']").click()
    if min_responses is not None:
        page.locator("#min_responses").fill(str(min_responses))
    axe_clean(page, "the new survey form")
    press(page, "form.press-form button[type=submit]")
    expect(page.locator(".error-summary a[href='#slug']")).to_be_visible()
    expect(page.locator("#title_zh_Hans")).to_have_value(TITLE)
    page.locator("#slug").fill(slug)
    press(page, "form.press-form button[type=submit]")
    saved(page)

    # section 1 with a single choice
    page.locator("#new_section").fill("关于您")
    press(page, "button[value=add-section]")
    page.locator("#kind-s1").select_option("single")
    page.locator("#text-s1").fill("您住在哪个街道？")
    press(page, "button[value='add-question:s1']")
    for street in STREETS.values():
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
    for word in SCALE.values():
        page.locator("#opt-new-zh_Hans").fill(word)
        press(page, "button[value=add-option]")
    for word in ROWS.values():
        page.locator("#row-new-zh_Hans").fill(word)
        press(page, "button[value=add-row]")
    expect(page.locator("#row-r10-zh_Hans")).to_have_value(ROWS["r10"])
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
    expect(page.locator("#s5")).to_contain_text(STREETS["o3"])
    expect(page.locator(".survey-problems li")).to_have_count(0)  # nothing stops it opening
    axe_clean(page, "the questions editor")
    screenshot(page, "survey-builder-questions")

    # open it from the settings
    page.get_by_role("link", name=zh("Settings"), exact=True).click()
    axe_clean(page, "the survey's settings")
    press(page, "button[value=open]")
    saved(page)
    page.get_by_role("link", name=zh("All surveys")).click()
    row = page.locator(f"#survey-{slug}")
    expect(row.locator(".tag--survey-open")).to_have_text(zh("Open for answers"))
    expect(row).to_contain_text(PROJECT)
    axe_clean(page, "/staff/surveys (a survey open)")
    screenshot(page, "survey-builder-list")


# --- the resident --------------------------------------------------------------------------------------


def choose(page: Page, field_id: str) -> None:
    """Tap an option's label, as a finger does (the input itself may be drawn over)."""
    page.locator(f"label[for='{field_id}']").click()


def next_page(page: Page) -> None:
    """Send the section (the last one's button sends the survey)."""
    with page.expect_navigation():
        page.locator("button[name=go][value=next]").click()


def elder_context(new_context: ContextFactory, live_server: str, **options: object) -> BrowserContext:
    context = new_context(**options)
    context.add_cookies([{"name": "elder", "value": "1", "url": live_server}])
    return context
