"""Language and elder mode: switched from the header on any page, remembered on the next one."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ContextFactory
from tests.e2e.helpers import CJK, PHONE, fill_report, report_ticket

pytestmark = pytest.mark.e2e


def language_link(page: Page, tag: str) -> Any:
    return page.locator(f"header a[hreflang='{tag}']")


def test_switch_language_and_keep_it(new_context: ContextFactory) -> None:
    page = new_context().new_page()
    page.goto("/tickets")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")  # from Accept-Language zh-CN
    expect(page.locator("#filter-street option[value=qiaoying]")).to_have_text("侨英街道")

    language_link(page, "en").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(language_link(page, "en")).to_have_attribute("aria-current", "true")
    expect(page.locator("#filter-street option[value=qiaoying]")).to_have_text("Qiaoying Subdistrict")
    expect(page.locator("h1")).to_have_text("Public reports")
    # The next page, reached by a plain link without ?lang=, stays English (cookie).
    page.locator("footer a[href='/track']").click()
    expect(page).to_have_url(re.compile(r"/track$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Follow my ticket")
    page.goto("/report")
    expect(page.locator("label[for=category-streetlight]")).to_have_text("Streetlight out")

    language_link(page, "zh-Hant").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hant")
    expect(page.locator("label[for=category-streetlight]")).to_have_text("路燈不亮")
    page.goto("/tickets")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hant")
    expect(page.locator("#filter-street option[value=qiaoying]")).to_have_text("僑英街道")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookies.get("lang") in {"zh_Hant", "zh-Hant"}, cookies


def test_interface_text_is_translated(new_context: ContextFactory) -> None:
    """The page chrome (headings, buttons, messages), not only the data, follows the language."""
    page = new_context().new_page()
    seen: dict[str, str] = {}
    for tag in ("zh-Hans", "zh-Hant", "en"):
        page.goto(f"/report?lang={tag}")
        seen[tag] = page.locator("h1").inner_text() + " | " + page.locator("button[data-submit]").inner_text()
    assert CJK.search(seen["zh-Hans"]) and CJK.search(seen["zh-Hant"]), f"not translated: {seen}"
    assert len(set(seen.values())) == 3, f"the three languages look the same: {seen}"


def tap_targets(page: Page, selector: str) -> list[dict[str, Any]]:
    """Size of each visible element matching selector; a bare link counts only when it stands alone
    (the only thing in its paragraph or list item) -- links inside a sentence are exempt (WCAG 2.5.8)."""
    return page.eval_on_selector_all(
        selector,
        """els => els.filter(e => e.offsetParent !== null)
            .filter(e => e.tagName !== 'A' || e.matches('.button, .tile, header a') ||
                         e.parentElement.textContent.trim() === e.textContent.trim())
            .map(e => { const r = e.getBoundingClientRect();
                return {what: e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + '.' + e.className,
                        text: (e.innerText || e.value || '').trim().slice(0, 30),
                        width: Math.round(r.width), height: Math.round(r.height)}; })""",
    )


BIG_TARGETS = (
    "header a, header button:not([hidden]), main .button, main button:not([hidden]), main .tile, "
    "main select, main textarea, main input:not([type=hidden]):not([type=radio]):not([type=file]), "
    "main .choice label, main a, footer a"
)


def elder_problems(page: Page) -> list[str]:
    """What on the current page breaks the elder-friendly rules (MIIT 2021, DESIGN §9)."""
    page.wait_for_load_state("load")  # a URL change is not a loaded stylesheet
    expect(page.locator("body")).to_have_class(re.compile(r"\belder\b"))
    size = float(page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)"))
    line = page.evaluate(
        "(() => { const s = getComputedStyle(document.querySelector('main p')); "
        "return parseFloat(s.lineHeight) / parseFloat(s.fontSize); })()"
    )
    where = page.url.split("/", 3)[-1]
    problems = []
    if size < 22:
        problems.append(f"/{where}: body text is {size}px (at least 18, aim 22-24)")
    if line < 1.3:
        problems.append(f"/{where}: line height {line:.2f} (at least 1.3)")
    for t in tap_targets(page, BIG_TARGETS):
        if t["height"] < 60 or (t["width"] < 60 and t["text"]):
            problems.append(f"/{where}: tap target under 60×60 px: {t}")
    return problems


def test_elder_mode(new_context: ContextFactory) -> None:
    page = new_context().new_page()
    page.goto("/")
    normal = float(page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)"))
    page.locator("header a.elder-switch").click()
    expect(page).to_have_url(re.compile(r"elder=on"))
    problems = elder_problems(page)
    size = float(page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)"))
    assert size > normal >= 16
    # Remembered on the next pages, reached by ordinary links.
    page.locator("a.tile[href='/report']").click()
    expect(page).to_have_url(re.compile(r"/report$"))
    problems += elder_problems(page)
    fill_report(page, community="岑头社区", phone=PHONE)
    with page.expect_navigation():
        page.locator("button[data-submit]").click()
    problems += elder_problems(page)  # the receipt
    page.locator("main a.button--primary").click()
    expect(page).to_have_url(re.compile(r"/t/"))
    problems += elder_problems(page)  # the ticket page
    for url in ("/tickets", "/track", "/privacy"):
        page.goto(url)
        problems += elder_problems(page)
    # And switched off again from the header.
    page.locator("header a.elder-switch").click()
    expect(page.locator("body")).not_to_have_class(re.compile(r"\belder\b"))
    page.goto("/")
    expect(page.locator("body")).not_to_have_class(re.compile(r"\belder\b"))
    assert not problems, "elder mode:\n" + "\n".join(problems)


def test_tap_targets_in_normal_mode(new_context: ContextFactory) -> None:
    """Outside elder mode every tap target is still at least 44×44 (DESIGN §9)."""
    page = new_context().new_page()
    problems: list[str] = []
    code = report_ticket(page)
    for url in ("/", "/report", "/track", "/tickets", f"/t/{code}"):
        page.goto(url)
        page.wait_for_load_state("load")
        for t in tap_targets(page, BIG_TARGETS):
            if t["height"] < 44 or (t["width"] < 44 and t["text"]):
                problems.append(f"{url}: {t}")
    assert not problems, "tap targets under 44×44 px:\n" + "\n".join(problems)
