"""The public board: filters that work with htmx and without JavaScript, and no personal data."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from portal.services import Services
from tests.e2e.conftest import ContextFactory
from tests.e2e.helpers import PHONE, report_ticket, screenshot

pytestmark = pytest.mark.e2e


def three_reports(page: Page) -> dict[str, str]:
    return {
        "jimei": report_ticket(page, community="岑头社区", description="岑头社区公交站旁的路灯一周都不亮。"),
        "qiaoying": report_ticket(
            page, community="孙厝社区", description="孙厝社区菜市场门口路灯不亮，晚上很黑。"
        ),
        "private": report_ticket(
            page,
            community="孙厝社区",
            description="我家楼下的路灯坏了，请联系我，13812345678。",
            name="张三丰",
            phone=PHONE,
            private=True,
        ),
    }


def cards(page: Page) -> list[str]:
    return [c.inner_text() for c in page.locator("#results .ticket-card").all()]


def test_filter_by_street_with_htmx(new_context: ContextFactory) -> None:
    page = new_context().new_page()
    codes = three_reports(page)
    page.goto("/")
    page.locator("a.tile[href='/tickets']").click()
    expect(page.locator("#results .ticket-card")).to_have_count(2)  # the private report is not listed
    text = page.locator("main").inner_text()
    assert codes["private"] not in text and "张" not in text and "5678" not in text
    expect(page.locator(".filters button[type=submit]")).to_be_hidden()  # htmx filters on change

    page.evaluate("() => { window.__sameDocument = true; }")
    with page.expect_response(lambda r: "/tickets?" in r.url and "street=qiaoying" in r.url) as swap:
        page.locator("#filter-street").select_option(label="侨英街道")
    assert swap.value.request.headers.get("hx-request") == "true"
    expect(page.locator("#results .ticket-card")).to_have_count(1)
    assert codes["qiaoying"] in cards(page)[0] and "侨英街道" in cards(page)[0]
    expect(page).to_have_url(re.compile(r"/tickets\?.*street=qiaoying"))
    assert page.evaluate("() => window.__sameDocument === true"), "the page was reloaded, not swapped"
    expect(page.locator("h1")).to_have_count(1)  # the fragment did not nest a second page

    # The pushed address is a real page: reload it and the filter holds.
    page.reload()
    expect(page.locator("#filter-street")).to_have_value("qiaoying")
    expect(page.locator("#results .ticket-card")).to_have_count(1)

    # A street with nothing to show says so.
    page.locator("#filter-street").select_option(value="houxi")
    expect(page.locator("#results .ticket-card")).to_have_count(0)
    expect(page.locator("#results")).not_to_be_empty()
    expect(page).to_have_url(re.compile(r"street=houxi"))

    page.go_back()
    expect(page).to_have_url(re.compile(r"street=qiaoying"))
    expect(page.locator("#results .ticket-card")).to_have_count(1)


def test_filter_by_street_without_javascript(new_context: ContextFactory) -> None:
    reporter = new_context().new_page()
    codes = three_reports(reporter)
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/tickets")
    expect(page.locator("#results .ticket-card")).to_have_count(2)
    page.locator("#filter-street").select_option(label="集美街道")
    with page.expect_navigation():
        page.locator(".filters button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/tickets\?.*street=jimei"))
    expect(page.locator("#results .ticket-card")).to_have_count(1)
    assert codes["jimei"] in cards(page)[0]
    # The private ticket's own page shows progress only, with no personal data.
    page.goto(f"/t/{codes['private']}")
    main = page.locator("main").inner_text()
    assert "路灯坏了" not in main and "张" not in main and "5678" not in main, main
    expect(page.locator("ol.timeline > li")).to_have_count(1)


def test_me_too_with_a_bad_phone_says_so_in_place(new_context: ContextFactory) -> None:
    """With JavaScript the "me too" form answers in place: a refused number shows its message too."""
    page = new_context().new_page()
    code = report_ticket(page, phone="13812345678")
    stranger = new_context().new_page()
    stranger.goto(f"/t/{code}")
    stranger.locator("#support-phone").fill("12345")
    with stranger.expect_response(lambda r: r.url.endswith("/support")) as answer:
        stranger.locator("#support button[type=submit], section.support button[type=submit]").first.click()
    assert answer.value.status == 422
    expect(stranger.locator("#support-phone-error")).to_be_visible()
    expect(stranger).to_have_url(re.compile(rf"/t/{code}$"))  # no page load: answered in place


def _console_errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "nojs"])
def test_me_too_counts_once_and_a_phone_follows_after_its_code(
    new_context: ContextFactory, services: Services, javascript: bool
) -> None:
    code = report_ticket(new_context().new_page(), phone=PHONE)
    page = new_context(java_script_enabled=javascript).new_page()
    errors = _console_errors(page)
    page.goto(f"/t/{code}")
    expect(page.locator("#supporters")).to_be_hidden()
    if javascript:  # as a browser's autofill or a reading aid does: htmx must not copy it as an inline style
        page.evaluate("() => { document.getElementById('support-phone').style.backgroundColor = '#ffe'; }")
    page.locator("section.support button[type=submit]").click()
    expect(page.locator("#supporters dd")).to_have_text("2")  # the reporter and this resident
    expect(page.locator("section.support [role=status]")).to_contain_text("已把您计入")

    page.locator("section.support button[type=submit]").click()  # a second tap counts nothing
    expect(page.locator("section.support [role=status]")).to_contain_text("每人只计一次")
    expect(page.locator("#supporters dd")).to_have_text("2")

    page.locator("#support-phone").fill("139 0000 2222")
    page.locator("section.support button[type=submit]").click()
    expect(page.locator("#confirm-code")).to_be_visible()
    expect(page.locator("section.support")).to_contain_text("139****2222")
    screenshot(page, f"me-too-code-{'htmx' if javascript else 'nojs'}")
    [texted] = services.sms.to("13900002222")  # type: ignore[attr-defined]
    sent = re.search(r"\d{6}", texted)
    assert sent, texted
    page.locator("#confirm-code").fill(sent.group())
    page.locator("section.support button[type=submit]").click()
    expect(page.locator("section.support [role=status]")).to_contain_text("您已关注")
    expect(page.locator("#supporters dd")).to_have_text("2")
    screenshot(page, f"me-too-following-{'htmx' if javascript else 'nojs'}")
    assert errors == [], errors
    page.goto("/tickets")
    expect(page.locator("#results .ticket-card").first).to_contain_text("2位居民反映")


def test_a_refused_me_too_says_so_where_the_button_was(
    new_context: ContextFactory, services: Services
) -> None:
    code = report_ticket(new_context().new_page(), phone=PHONE)
    page = new_context().new_page()
    page.goto(f"/t/{code}")
    limit = services.settings.rate_limits["support"]
    for _ in range(limit.count):  # others behind this address used up its "me too" allowance
        services.limiter.hit("support", "127.0.0.1", limit)
    page.locator("section.support button[type=submit]").click()
    expect(page.locator("#support [role=alert]")).to_contain_text("尝试次数过多")
    expect(page.locator("#support [role=alert]")).to_contain_text("分钟")
