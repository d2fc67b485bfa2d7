"""Bad input gets a clear message, keeps what was typed and changes nothing (DESIGN §9)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Dialog, Page, expect

from tests.e2e.conftest import ContextFactory
from tests.e2e.helpers import PHONE, fill_report, submit_report, tracking_code

pytestmark = pytest.mark.e2e


def error_summary_links(page: Page) -> list[str]:
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_have_attribute("role", "alert")
    return [a.get_attribute("href") or "" for a in summary.locator("a").all()]


def expect_error_title(page: Page) -> None:
    heading = page.locator("h1").inner_text().strip()
    title = page.title()
    assert title != "" and heading in title and not title.startswith(heading), (
        f"the title should say there is an error before the heading: {title!r}"
    )


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_empty_description(
    new_context: ContextFactory, ticket_count: Callable[[], int], javascript: bool
) -> None:
    page = new_context(java_script_enabled=javascript).new_page()
    page.goto("/report")
    fill_report(page, description="", community="岑头社区", phone=PHONE)
    page.locator("#address").fill("银江路公交站东侧")
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/report")) as sent:
        submit_report(page)
    assert sent.value.status == 422
    expect_error_title(page)
    assert error_summary_links(page) == ["#description"]
    if javascript:  # app.js moves focus to the summary so a screen reader announces it
        assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    description = page.locator("#description")
    expect(description).to_have_attribute("aria-invalid", "true")
    expect(description).to_have_attribute("aria-describedby", re.compile(r"\bdescription-error\b"))
    expect(page.locator("#description-error")).to_be_visible()
    expect(page.locator("#description-error")).not_to_be_empty()
    # What was typed stays.
    expect(page.locator("#phone")).to_have_value(PHONE)
    expect(page.locator("#address")).to_have_value("银江路公交站东侧")
    expect(page.locator("#community")).to_have_value("centou")
    expect(page.locator("#category-streetlight")).to_be_checked()
    # The summary's link takes the resident to the field.
    page.locator(".error-summary a[href='#description']").click()
    assert page.evaluate("document.activeElement.id") == "description"
    assert page.url.endswith("#description")
    assert ticket_count() == 0
    # Fixing the one field sends the report.
    description.fill("小区门口的路灯坏了三天了，晚上很黑。")
    submit_report(page)
    expect(page).to_have_url(re.compile(r"/report/done"))
    assert ticket_count() == 1


def test_phone_that_is_not_a_mobile(new_context: ContextFactory, ticket_count: Callable[[], int]) -> None:
    page = new_context().new_page()
    page.goto("/report")
    fill_report(page, community="岑头社区")
    phone = page.locator("#phone")
    with page.expect_response(lambda r: "/report/check?field=phone" in r.url):
        phone.fill("0592-6068110")  # a landline
        phone.blur()
    expect(page.locator("#phone-error")).to_be_visible()  # checked while typing, before sending
    expect(page.locator("#phone-error")).not_to_be_empty()
    submit_report(page)
    assert error_summary_links(page) == ["#phone"]
    expect(phone).to_have_value("0592-6068110")
    expect(phone).to_have_attribute("aria-invalid", "true")
    assert ticket_count() == 0


def test_text_file_named_like_a_photo(new_context: ContextFactory, ticket_count: Callable[[], int]) -> None:
    page = new_context().new_page()
    page.goto("/report")
    fill_report(page, community="岑头社区", phone=PHONE)
    page.locator("#photos").set_input_files(
        {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": b"this is not a photo\n" * 50}
    )
    submit_report(page)
    assert error_summary_links(page) == ["#photos"]
    expect(page.locator("#photos-error")).to_be_visible()
    expect(page.locator("#photos-error")).not_to_be_empty()
    expect(page.locator("#description")).not_to_be_empty()
    expect(page.locator("#phone")).to_have_value(PHONE)
    assert ticket_count() == 0


def test_script_in_description_is_shown_as_text(new_context: ContextFactory) -> None:
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    context = new_context()
    context.on("dialog", on_dialog)
    page = context.new_page()
    hostile = "<script>alert(1)</script><img src=x onerror=alert(2)> 路灯不亮"
    page.goto("/report")
    fill_report(page, description=hostile, community="岑头社区")
    submit_report(page)
    code = tracking_code(page)
    page.goto(f"/t/{code}")
    expect(page.locator(".description")).to_have_text(hostile)
    assert page.locator("main script, main img[src=x]").count() == 0
    page.goto("/tickets")
    expect(page.locator(".ticket-card-text").first).to_contain_text("<script>alert(1)</script>")
    stranger = new_context().new_page()
    stranger.on("dialog", on_dialog)
    stranger.goto(f"/t/{code}")
    expect(stranger.locator(".description")).to_have_text(hostile)
    page.wait_for_timeout(200)
    assert dialogs == [], f"a script in the description ran: {dialogs}"


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_unknown_tracking_code(new_context: ContextFactory, javascript: bool) -> None:
    page = new_context(java_script_enabled=javascript).new_page()
    page.goto("/track")
    page.locator("#code").fill("7K4M-P2QX")
    with page.expect_response(lambda r: r.request.method == "POST") as sent:
        page.locator("main form button[type=submit]").click()
    assert sent.value.status == 422
    expect_error_title(page)
    assert error_summary_links(page) == ["#code"]
    expect(page.locator("#code")).to_have_value("7K4M-P2QX")
    expect(page.locator("#code")).to_have_attribute("aria-invalid", "true")
    # A guessed address is a friendly 404 that leads back to the lookup.
    response = page.goto("/t/7K4M-P2QX")
    assert response and response.status == 404
    expect(page.locator("main a[href='/track']")).to_be_visible()


def test_inline_check_of_the_description(new_context: ContextFactory) -> None:
    """While typing, the description is checked (htmx) -- a good one must not be flagged."""
    page = new_context().new_page()
    page.goto("/report")
    description = page.locator("#description")
    with page.expect_response(lambda r: "/report/check?field=description" in r.url):
        description.fill("坏了")
        description.blur()
    expect(page.locator("#description-error")).to_be_visible()
    with page.expect_response(lambda r: "/report/check?field=description" in r.url):
        description.fill("小区门口的路灯坏了三天了，晚上很黑。")
        description.blur()
    expect(page.locator("#description-error")).to_be_hidden()


def test_double_tap_on_send_makes_one_ticket(
    new_context: ContextFactory, ticket_count: Callable[[], int]
) -> None:
    page = new_context().new_page()
    page.goto("/report")
    fill_report(page, community="岑头社区")
    with page.expect_navigation():
        page.locator("button[data-submit]").dblclick()
    expect(page).to_have_url(re.compile(r"/report/done"))
    page.wait_for_timeout(300)
    assert ticket_count() == 1


def test_double_tap_without_javascript_makes_one_ticket(
    new_context: ContextFactory, ticket_count: Callable[[], int]
) -> None:
    """Without app.js nothing stops the second tap: the form key must."""
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/report")
    fill_report(page, community="岑头社区")
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    send = page.locator("button[data-submit]")
    send.scroll_into_view_if_needed()
    box = send.bounding_box()
    assert box
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.click(x, y)
    page.wait_for_timeout(40)
    page.mouse.click(x, y)
    expect(page).to_have_url(re.compile(r"/report/done"))  # polls: the first navigation was aborted
    page.wait_for_load_state("networkidle")
    # The browser may drop the second tap when the first navigation has begun; either way, one ticket.
    assert 1 <= len(posts) <= 2, f"unexpected POSTs: {posts}"
    assert ticket_count() == 1, f"{len(posts)} POSTs made {ticket_count()} tickets"


def test_resending_the_same_form_key_returns_the_first_ticket(
    new_context: ContextFactory, ticket_count: Callable[[], int]
) -> None:
    """Back, then send again with the key of the form already sent (a browser that restored the form,
    or a retry on a flaky network): the first ticket comes back, nothing new is made."""
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/report")
    fill_report(page, community="岑头社区")
    key = page.locator("input[name=form_key]").input_value()
    submit_report(page)
    first = tracking_code(page)
    page.go_back()
    expect(page).to_have_url(re.compile(r"/report$"))
    page.locator("input[name=form_key]").evaluate("(el, key) => { el.value = key; }", key)
    fill_report(page, category=None, community="岑头社区")
    submit_report(page)
    expect(page).to_have_url(re.compile(r"/report/done\?.*again=1"))
    assert tracking_code(page) == first
    assert ticket_count() == 1


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_back_button_then_send_again_makes_one_ticket(
    new_context: ContextFactory, ticket_count: Callable[[], int], javascript: bool
) -> None:
    """What Chromium really does: Back re-fetches /report (new form key) but restores the typed text,
    so one more tap on "send" files the same report a second time."""
    page = new_context(java_script_enabled=javascript).new_page()
    page.goto("/report")
    fill_report(page, community="岑头社区")
    submit_report(page)
    first = tracking_code(page)
    page.go_back()
    expect(page).to_have_url(re.compile(r"/report$"))
    restored = page.locator("#description").input_value()
    if not restored:
        pytest.skip("the browser did not restore the typed report, so nothing could be resent")
    fill_report(page, category=None, description=restored, community="岑头社区")
    submit_report(page)
    expect(page).to_have_url(re.compile(r"/report/done"))
    assert ticket_count() == 1, (
        f"Back + send again filed a duplicate: {first} and {tracking_code(page)} "
        "(the re-fetched form had a fresh form_key)"
    )
