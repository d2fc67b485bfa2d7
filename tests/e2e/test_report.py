"""A resident reports a problem on a phone: with a photo and a location, and with JavaScript off."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import ExifTags, Image
from playwright.sync_api import Page, expect

from tests.e2e.conftest import JIMEI_COMMUNITY, JIMEI_POINT, JIMEI_STREET, ContextFactory
from tests.e2e.helpers import (
    CATEGORY,
    DESCRIPTION,
    PHONE,
    fill_report,
    screenshot,
    submit_report,
    tracking_code,
)

pytestmark = pytest.mark.e2e

CODE = re.compile(r"^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$")


def check_ticket_page(page: Page, code: str, *, street: str, community: str) -> None:
    """The ticket's own page: code in the heading, street, the timeline with the report event."""
    expect(page).to_have_url(re.compile(rf"/t/{code}$"))
    expect(page.locator("h1")).to_contain_text(code)
    expect(page.locator(".ticket-summary")).to_contain_text(CATEGORY)
    expect(page.locator(".ticket-summary")).to_contain_text(street)
    expect(page.locator(".description")).to_have_text(DESCRIPTION)
    timeline = page.locator("ol.timeline > li")
    expect(timeline).to_have_count(1)
    expect(timeline.first.locator("time")).to_have_attribute("datetime", re.compile(r"^\d{4}-\d\d-\d\d"))
    # The reporter's own browser sees the private details, masked.
    expect(page.locator(".facts--private")).to_contain_text(community)
    expect(page.locator(".facts--private")).to_contain_text("138****5678")
    expect(page.locator("main")).not_to_contain_text(PHONE)


def test_report_with_photo_and_location(
    new_context: ContextFactory, phone_photo: Path, ticket_count: Callable[[], int]
) -> None:
    context = new_context(permissions=["geolocation"], geolocation=JIMEI_POINT)
    page = context.new_page()
    page.goto("/")
    page.locator("a.tile[href='/report']").click()
    expect(page).to_have_url(re.compile(r"/report$"))

    fill_report(page, phone=PHONE)
    page.locator("#photos").set_input_files(phone_photo)
    expect(page.locator("[data-photo-preview] img")).to_have_count(1)

    locate = page.locator("button[data-locate]")
    expect(locate).to_be_visible()  # JavaScript shows it; without JavaScript it stays hidden
    with page.expect_response(lambda r: "/report/locate" in r.url and "lat=" in r.url) as located:
        locate.click()
    assert located.value.status == 200
    found = page.locator("#location-result .located")
    expect(found).to_contain_text(JIMEI_COMMUNITY)
    expect(found).to_contain_text(JIMEI_STREET)
    assert page.locator("input[name=lat]").input_value().startswith("24.605")
    assert page.locator("input[name=lng]").input_value().startswith("118.08")

    submit_report(page)
    expect(page).to_have_url(re.compile(r"/report/done\?key="))
    code = tracking_code(page)
    assert CODE.match(code), code
    qr = page.locator(".qr svg")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box and box["width"] >= 100, f"the QR code is too small to scan: {box}"
    expect(page.locator(".ticket-url")).to_have_text(re.compile(rf"/t/{code}$"))
    expect(page.locator("button[data-print]")).to_be_visible()
    assert ticket_count() == 1

    # The QR code's own address serves an SVG too (for printing).
    qr_file = page.request.get(f"/t/{code}/qr.svg")
    assert qr_file.ok and qr_file.headers["content-type"].startswith("image/svg+xml")

    page.locator(f"a[href='/t/{code}']").click()
    check_ticket_page(page, code, street=JIMEI_STREET, community=JIMEI_COMMUNITY)

    # The photo is on the page for the reporter (not yet public), stored small and without metadata.
    image = page.locator(".photos img")
    expect(image).to_have_count(1)
    full = page.locator(".photos a").first.get_attribute("href")
    assert full
    response = page.request.get(full)
    assert response.ok, response.status
    data = response.body()
    assert len(data) < 500_000, f"stored photo is {len(data)} bytes"
    with Image.open(io.BytesIO(data)) as stored:
        assert max(stored.size) <= 1600, stored.size
        exif = stored.getexif()
        assert not exif.get_ifd(ExifTags.IFD.GPSInfo), "GPS data kept in the stored photo"
        assert ExifTags.Base.Make not in exif and ExifTags.Base.Model not in exif, dict(exif)

    # A stranger's browser sees neither the photo (not approved) nor the private details.
    stranger = new_context().new_page()
    assert stranger.request.get(full).status == 404
    stranger.goto(f"/t/{code}")
    expect(stranger.locator("ol.timeline > li")).to_have_count(1)
    expect(stranger.locator(".photos img")).to_have_count(0)
    expect(stranger.locator(".facts--private")).to_have_count(0)
    expect(stranger.locator("main")).not_to_contain_text("5678")


def test_report_without_javascript(new_context: ContextFactory, ticket_count: Callable[[], int]) -> None:
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/report")
    expect(page.locator("button[data-locate]")).to_be_hidden()  # needs JavaScript: stays hidden
    fill_report(page, community="浔江社区", phone=PHONE)
    submit_report(page)
    expect(page).to_have_url(re.compile(r"/report/done\?key="))
    code = tracking_code(page)
    assert CODE.match(code), code
    expect(page.locator(".qr svg")).to_be_visible()
    expect(page.locator("button[data-print]")).to_be_hidden()
    assert ticket_count() == 1
    page.locator(f"a[href='/t/{code}']").click()
    check_ticket_page(page, code, street="集美街道", community="浔江社区")


def test_track_finds_a_ticket_typed_loosely(new_context: ContextFactory) -> None:
    page = new_context().new_page()
    page.goto("/report")
    fill_report(page, community="岑头社区", phone=PHONE)
    submit_report(page)
    code = tracking_code(page)

    other = new_context(java_script_enabled=False).new_page()
    other.goto("/")
    other.locator("a.tile[href='/track']").click()
    other.locator("#code").fill(code.lower().replace("-", " "))
    other.locator("#digits").fill(PHONE[-4:])
    with other.expect_navigation():
        other.locator("main form button[type=submit]").click()
    expect(other).to_have_url(re.compile(rf"/t/{code}$"))
    expect(other.locator(".facts--private")).to_contain_text("岑头社区")  # the digits unlocked the details


def test_similar_open_report_is_offered(new_context: ContextFactory) -> None:
    """A second resident at the same place with the same problem is offered "me too" instead."""
    first = new_context(permissions=["geolocation"], geolocation=JIMEI_POINT).new_page()
    first.goto("/report")
    fill_report(first)
    first.locator("button[data-locate]").click()
    expect(first.locator("#location-result .located")).to_contain_text(JIMEI_COMMUNITY)
    submit_report(first)
    code = tracking_code(first)

    second = new_context(permissions=["geolocation"], geolocation=JIMEI_POINT).new_page()
    second.goto("/report")
    second.locator("button[data-locate]").click()
    expect(second.locator("#location-result .located")).to_contain_text(JIMEI_COMMUNITY)
    second.locator("#category-streetlight").check()
    similar = second.locator("#location-result .similar")
    expect(similar).to_contain_text(code)
    with second.expect_navigation():
        similar.locator("button[type=submit]").first.click()
    expect(second).to_have_url(re.compile(rf"/t/{code}"))
    expect(second.locator(".ticket-summary")).to_contain_text("2")


def test_a_big_phone_photo_is_shrunk_before_it_is_sent(
    new_context: ContextFactory, phone_photo: Path, ticket_count: Callable[[], int]
) -> None:
    """On a weak mobile connection a 12-megapixel photo takes long to send: the browser sends a
    1600-pixel copy instead (the size the server keeps), and the report arrives with its photo."""
    page = new_context().new_page()
    page.goto("/report")
    fill_report(page, community="岑头社区", phone=PHONE)
    original = phone_photo.stat().st_size
    page.locator("#photos").set_input_files(phone_photo)
    # the form now holds a small copy: that is what will be sent (the test browser cannot see an upload's body)
    page.wait_for_function(
        "limit => { const f = document.getElementById('photos').files[0]; return f && f.size < limit; }",
        arg=original // 3,
    )
    kept = page.evaluate(
        "() => { const f = document.getElementById('photos').files[0]; return [f.size, f.type]; }"
    )
    assert kept[1] == "image/jpeg" and kept[0] > 50_000, kept
    submit_report(page)
    expect(page).to_have_url(re.compile(r"/report/done\?key="))
    assert ticket_count() == 1
    page.locator(f"a[href='/t/{tracking_code(page)}']").click()
    expect(page.locator(".photos img")).to_have_count(1)


def test_sending_at_once_waits_for_the_shrinking(
    new_context: ContextFactory, phone_photo: Path, ticket_count: Callable[[], int]
) -> None:
    page = new_context().new_page()
    page.goto("/report")
    fill_report(page, community="岑头社区", phone=PHONE)
    page.locator("#photos").set_input_files(phone_photo)
    submit_report(page)  # no pause: the form waits for the small copy, then sends
    expect(page).to_have_url(re.compile(r"/report/done\?key="))
    assert ticket_count() == 1
    page.locator(f"a[href='/t/{tracking_code(page)}']").click()
    expect(page.locator(".photos img")).to_have_count(1)


def test_a_browser_that_cannot_swap_the_photos_sends_them_as_chosen(
    new_context: ContextFactory, phone_photo: Path, ticket_count: Callable[[], int]
) -> None:
    context = new_context()
    # some in-app browsers have DataTransfer but cannot construct it
    context.add_init_script("window.DataTransfer = function () { throw new Error('old WebView'); };")
    page = context.new_page()
    page.goto("/report")
    fill_report(page, community="岑头社区", phone=PHONE)
    page.locator("#photos").set_input_files(phone_photo)
    submit_report(page)
    expect(page).to_have_url(re.compile(r"/report/done\?key="))
    assert ticket_count() == 1
    page.locator(f"a[href='/t/{tracking_code(page)}']").click()
    expect(page.locator(".photos img")).to_have_count(1)


def test_the_receipt_opened_in_another_browser_shows_only_the_code(new_context: ContextFactory) -> None:
    """The receipt's address stays in the history: another browser (a shared phone, a family
    tablet) that opens it learns the public code, never the masked number nor the private details."""
    mine = new_context().new_page()
    mine.goto("/report")
    fill_report(mine, community="岑头社区", phone=PHONE, name="陈美玲", private=True)
    submit_report(mine)
    code = tracking_code(mine)
    expect(mine.locator(".receipt")).to_contain_text("138****5678")
    receipt = mine.url

    other = new_context().new_page()
    other.goto(receipt)
    expect(other.locator(".tracking-code strong")).to_have_text(code)
    assert "5678" not in other.locator("main").inner_text()
    screenshot(other, "receipt-other-browser")
    other.locator("main a[href^='/t/']").first.click()
    expect(other.locator("main")).to_contain_text("这条诉求不公开")
    assert DESCRIPTION not in other.locator("main").inner_text()


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "no-htmx"])
def test_the_located_community_is_chosen_in_the_menu(
    new_context: ContextFactory, ticket_count: Callable[[], int], htmx: bool
) -> None:
    context = new_context(permissions=["geolocation"], geolocation=JIMEI_POINT)
    if not htmx:  # the script failed to load (a flaky mobile connection): the page's own script still works
        context.route("**/vendor/htmx.min.js*", lambda route: route.abort())
    page = context.new_page()
    page.goto("/report")
    fill_report(page, phone=PHONE)
    expect(page.locator("#community option:checked")).to_have_text("— 请选择 —")
    page.locator("button[data-locate]").click()
    expect(page.locator("#location-result .located")).to_contain_text(JIMEI_COMMUNITY)
    expect(page.locator("#community option:checked")).to_have_text(JIMEI_COMMUNITY)
    submit_report(page)
    expect(page).to_have_url(re.compile(r"/report/done\?key="))
    assert ticket_count() == 1
    code = tracking_code(page)
    page.locator(f"a[href='/t/{code}']").click()
    check_ticket_page(page, code, street=JIMEI_STREET, community=JIMEI_COMMUNITY)
