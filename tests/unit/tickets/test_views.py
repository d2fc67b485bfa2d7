"""The resident's pages, fetched as a browser without JavaScript would."""

from __future__ import annotations

import io
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from PIL import Image, ImageDraw
from sqlmodel import Session, col, select

from portal.services import Services
from portal.settings import Settings
from portal.tickets.lifecycle import Status
from portal.tickets.models import Follower, Photo, Ticket, TicketEvent
from tests.live import HealthWatch, server_process, while_running
from tests.pages import PageClient
from tests.unit.factories import KEY_PATTERN, a_community, code_on, jpeg_bytes, report_fields, submit_report


def tickets(db: Session) -> list[Ticket]:
    db.expire_all()
    return list(db.exec(select(Ticket).order_by(col(Ticket.id))))


def test_report_form_is_a_complete_page(client: PageClient) -> None:
    page = client.get("/report")
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text
    assert 'name="_csrf_token"' in page.text
    assert 'inputmode="tel"' in page.text


def test_a_report_becomes_a_ticket_with_a_code_qr_and_sms(
    client: PageClient, db: Session, services: Services
) -> None:
    fields = report_fields(client, a_community(db).slug)
    response = submit_report(client, fields, [("road.jpg", jpeg_bytes(), "image/jpeg")])
    assert response.status_code == 303
    done = client.get(response.headers["location"])
    code = code_on(done.text)
    assert "<svg" in done.text and "1 photo attached" in done.text

    [ticket] = tickets(db)
    assert ticket.code == code and ticket.status == Status.SUBMITTED
    assert ticket.street_id is not None and ticket.reporter_phone == "13859201234"
    [event] = db.exec(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)).all()
    assert event.action == "report" and event.to_status == "submitted"
    assert db.exec(select(Follower).where(Follower.ticket_id == ticket.id)).one().kind == "reporter"
    [message] = services.sms.to("13859201234")  # type: ignore[attr-defined]
    assert code in message and len(message) <= 140


def test_retrying_the_same_form_key_returns_the_first_ticket(client: PageClient, db: Session) -> None:
    fields = report_fields(client, a_community(db).slug)
    first = submit_report(client, fields)
    second = submit_report(client, fields)
    assert first.status_code == second.status_code == 303
    assert "again=1" in second.headers["location"]
    assert len(tickets(db)) == 1
    assert "We already have this report" in client.get(second.headers["location"]).text


def test_a_forged_form_key_is_refused_and_keeps_what_was_typed(client: PageClient, db: Session) -> None:
    fields = report_fields(client, a_community(db).slug, form_key="made-up.0000")
    response = submit_report(client, fields)
    assert response.status_code == 422
    assert "This form had expired" in response.text
    assert "乐海路人行道有一块地砖松动" in response.text
    assert tickets(db) == []


def test_a_missing_csrf_token_is_refused_with_a_friendly_page(client: PageClient, db: Session) -> None:
    fields = report_fields(client, a_community(db).slug)
    fields["_csrf_token"] = "forged"
    response = submit_report(client, fields)
    assert response.status_code == 403
    assert "This page has expired" in response.text
    assert tickets(db) == []


def test_errors_are_summarised_and_linked_and_nothing_typed_is_lost(client: PageClient, db: Session) -> None:
    fields = report_fields(client, a_community(db).slug, description="  ", phone="12345")
    response = submit_report(client, fields)
    assert response.status_code == 422
    assert "<title>Error:" in response.text
    assert 'href="#description"' in response.text and 'href="#phone"' in response.text
    assert 'value="12345"' in response.text
    assert 'value="乐海路12号门口"' in response.text
    assert tickets(db) == []


def test_a_point_outside_the_district_is_refused(client: PageClient, db: Session) -> None:
    fields = report_fields(client, "", lat="39.9042", lng="116.4074")
    response = submit_report(client, fields)
    assert response.status_code == 422
    assert "outside Jimei District" in response.text


def test_a_point_inside_finds_its_grid_cell_and_street(
    client: PageClient, db: Session, services: Services
) -> None:
    community = a_community(db)
    fields = report_fields(client, "", lat=str(community.lat), lng=str(community.lng))
    assert submit_report(client, fields).status_code == 303
    [ticket] = tickets(db)
    match = services.locator.locate(community.lat, community.lng)
    assert match is not None
    assert (ticket.grid_id, ticket.street_id) == (match.grid_id, match.street_id)


def test_bad_photos_get_clear_messages_and_good_ones_are_kept(client: PageClient, db: Session) -> None:
    fields = report_fields(client, a_community(db).slug, description="")
    photos = [
        ("photo.jpg", b"this is not a picture at all", "image/jpeg"),
        ("ok.jpg", jpeg_bytes(), "image/jpeg"),
    ]
    response = submit_report(client, fields, photos)
    assert response.status_code == 422
    assert "This file is not a photo" in response.text
    assert "1 photo is already added." in response.text

    kept = response.text.split('name="kept_photos" value="')[1].split('"')[0]
    fields.update(description="路灯一到晚上就不亮，已经一个星期了。", kept_photos=kept)
    assert submit_report(client, fields).status_code == 303
    [ticket] = tickets(db)
    assert len(db.exec(select(Photo).where(Photo.ticket_id == ticket.id)).all()) == 1


def test_kept_photos_the_cleanup_removed_are_asked_for_again(
    client: PageClient, db: Session, services: Services
) -> None:
    fields = report_fields(client, a_community(db).slug, description="")
    response = submit_report(client, fields, [("ok.jpg", jpeg_bytes(color=(9, 99, 199)), "image/jpeg")])
    assert response.status_code == 422 and "1 photo is already added." in response.text
    kept = response.text.split('name="kept_photos" value="')[1].split('"')[0]
    services.media.prune(set(), older_than=-60)  # the form was left for days: the cleanup ran
    fields.update(description="路灯一到晚上就不亮，已经一个星期了。", kept_photos=kept)
    again = submit_report(client, fields)
    assert again.status_code == 422 and "Your earlier photos are no longer kept" in again.text
    assert tickets(db) == []


def test_a_30_megabyte_upload_is_refused_with_a_message(client: PageClient, db: Session) -> None:
    fields = report_fields(client, a_community(db).slug)
    huge = jpeg_bytes()[:-2] + b"\0" * (30 * 1024 * 1024)
    response = submit_report(client, fields, [("huge.jpg", huge, "image/jpeg")])
    assert response.status_code == 422
    assert "larger than 10 MB" in response.text
    assert tickets(db) == []


def test_script_in_text_is_shown_as_text(client: PageClient, db: Session) -> None:
    fields = report_fields(client, a_community(db).slug, description="<script>alert(1)</script> 井盖不见了")
    assert submit_report(client, fields).status_code == 303
    [ticket] = tickets(db)
    page = client.get(f"/t/{ticket.code}")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_the_public_page_masks_personal_data(client: PageClient, db: Session, app) -> None:  # type: ignore[no-untyped-def]
    fields = report_fields(
        client, a_community(db).slug, description="请打电话13912345678联系我，垃圾堆了三天。"
    )
    assert submit_report(client, fields).status_code == 303
    [ticket] = tickets(db)
    with PageClient(app=app, base_url="http://portal.test") as stranger:
        page = stranger.get(f"/t/{ticket.code}")
    assert "13912345678" not in page.text and "139****5678" in page.text
    assert "13859201234" not in page.text and "陈美玲" not in page.text and "乐海路12号门口" not in page.text


def test_a_private_ticket_opens_with_the_last_four_digits(client: PageClient, db: Session, app) -> None:  # type: ignore[no-untyped-def]
    fields = report_fields(client, a_community(db).slug, visibility="private")
    assert submit_report(client, fields).status_code == 303
    [ticket] = tickets(db)
    with PageClient(app=app, base_url="http://portal.test") as other:
        page = other.get(f"/t/{ticket.code}")
        assert "This report is private" in page.text and "地砖松动" not in page.text
        wrong = other.post(f"/t/{ticket.code}/unlock", data={"digits": "0000", "_csrf_token": other.csrf()})
        assert wrong.status_code == 422 and "do not match" in wrong.text
        right = other.post(f"/t/{ticket.code}/unlock", data={"digits": "1234", "_csrf_token": other.csrf()})
        assert right.status_code == 200 and "地砖松动" in right.text
        assert "138****1234" in right.text and "陈*" in right.text


def test_guessing_digits_is_rate_limited(client: PageClient, db: Session) -> None:
    fields = report_fields(client, a_community(db).slug)
    assert submit_report(client, fields).status_code == 303
    [ticket] = tickets(db)
    statuses = [
        client.post(
            f"/t/{ticket.code}/unlock", data={"digits": f"{n:04d}", "_csrf_token": client.csrf()}
        ).status_code
        for n in range(7)
    ]
    assert statuses[:5] == [422] * 5
    assert statuses[-1] == 429
    limited = client.post(f"/t/{ticket.code}/unlock", data={"digits": "1234", "_csrf_token": client.csrf()})
    assert limited.status_code == 429 and "Retry-After" in limited.headers
    assert "Too many tries" in limited.text


def test_photos_stay_private_until_approved(client: PageClient, db: Session, app) -> None:  # type: ignore[no-untyped-def]
    fields = report_fields(client, a_community(db).slug)
    assert submit_report(client, fields, [("a.jpg", jpeg_bytes(), "image/jpeg")]).status_code == 303
    [ticket] = tickets(db)
    photo = db.exec(select(Photo).where(Photo.ticket_id == ticket.id)).one()
    assert client.get(f"/media/{photo.digest}/thumb").status_code == 200  # the reporter's browser
    with PageClient(app=app, base_url="http://portal.test") as stranger:
        assert photo.digest not in stranger.get(f"/t/{ticket.code}").text
        assert stranger.get(f"/media/{photo.digest}/full").status_code == 404
        photo.approved = True
        db.add(photo)
        db.commit()
        approved = stranger.get(f"/media/{photo.digest}/full")
        assert approved.status_code == 200 and approved.headers["content-type"] == "image/jpeg"
        assert "immutable" in approved.headers["cache-control"]


def test_tracking_finds_codes_typed_loosely_and_explains_unknown_ones(
    client: PageClient, db: Session
) -> None:
    fields = report_fields(client, a_community(db).slug)
    assert submit_report(client, fields).status_code == 303
    [ticket] = tickets(db)
    loose = ticket.code.lower().replace("-", " ")
    found = client.post("/track", data={"code": loose, "_csrf_token": client.csrf()}, follow_redirects=False)
    assert found.status_code == 303 and found.headers["location"] == f"/t/{ticket.code}"
    unknown = client.post("/track", data={"code": "ZZZZ-ZZZZ", "_csrf_token": client.csrf()})
    assert unknown.status_code == 422 and "could not find a ticket" in unknown.text
    assert client.get("/t/ZZZZ-ZZZZ").status_code == 404


def test_too_many_lookups_get_a_friendly_429(client: PageClient) -> None:
    statuses = [
        client.post("/track", data={"code": "ABCD-EFGH", "_csrf_token": client.csrf()}).status_code
        for _ in range(32)
    ]
    assert 429 in statuses
    assert statuses.index(429) == 30


def test_me_too_counts_and_follows(client: PageClient, db: Session) -> None:
    fields = report_fields(client, a_community(db).slug)
    assert submit_report(client, fields).status_code == 303
    [ticket] = tickets(db)
    response = client.post(
        f"/t/{ticket.code}/support", data={"phone": "13600001111", "_csrf_token": client.csrf()}
    )
    assert response.status_code == 200
    again = client.post(
        f"/t/{ticket.code}/support", data={"phone": "136 0000 1111", "_csrf_token": client.csrf()}
    )
    assert again.status_code == 200
    [ticket] = tickets(db)
    assert ticket.supporters == 1
    phones = {f.phone for f in db.exec(select(Follower).where(Follower.ticket_id == ticket.id))}
    assert phones == {"13859201234", "13600001111"}


def test_the_board_lists_public_tickets_with_filters(client: PageClient, db: Session) -> None:
    community = a_community(db)
    for visibility in ("public", "private"):
        fields = report_fields(
            client, community.slug, visibility=visibility, description=f"{visibility} 路面坑洼积水严重"
        )
        assert submit_report(client, fields).status_code == 303
    board = client.get("/tickets")
    assert "public 路面坑洼积水严重" in board.text and "private 路面" not in board.text
    assert "1 report" in board.text
    assert "No public reports match" in client.get("/tickets?status=closed").text
    fragment = client.get("/tickets?category=road-damage", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and "public 路面坑洼积水严重" in fragment.text


def test_inline_checks_answer_with_the_fields_message(client: PageClient) -> None:
    short = client.get("/report/check?field=description&description=太短", headers={"HX-Request": "true"})
    assert "at least 10 characters" in short.text and 'id="description-error"' in short.text
    fine = client.get("/report/check?field=phone&phone=13812345678", headers={"HX-Request": "true"})
    assert "Error" not in fine.text and "hidden" in fine.text
    wrong = client.get("/report/check?field=phone&phone=0592", headers={"HX-Request": "true"})
    assert "11-digit" in wrong.text


def test_location_lookup_names_the_community_and_offers_similar_tickets(
    client: PageClient, db: Session
) -> None:
    community = a_community(db)
    fields = report_fields(client, "", lat=str(community.lat), lng=str(community.lng))
    assert submit_report(client, fields).status_code == 303
    [ticket] = tickets(db)
    found = client.get(
        f"/report/locate?lat={community.lat}&lng={community.lng}&category=road-damage",
        headers={"HX-Request": "true"},
    )
    assert "Found:" in found.text
    assert f"/t/{ticket.code}/support" in found.text
    outside = client.get("/report/locate?lat=39.9&lng=116.4", headers={"HX-Request": "true"})
    assert "outside Jimei District" in outside.text


def test_cached_public_pages_change_as_soon_as_the_ticket_does(client: PageClient, db: Session, app) -> None:  # type: ignore[no-untyped-def]
    fields = report_fields(client, a_community(db).slug)
    assert submit_report(client, fields).status_code == 303
    [ticket] = tickets(db)
    with PageClient(app=app, base_url="http://portal.test") as stranger:
        first = stranger.get(f"/t/{ticket.code}")
        assert "Residents with this problem" not in first.text
        board_before = stranger.get("/tickets").text
        supported = stranger.post(
            f"/t/{ticket.code}/support", data={"_csrf_token": stranger.csrf()}, follow_redirects=False
        )
        assert supported.status_code == 303
        after = stranger.get(f"/t/{ticket.code}")
        assert "Residents with this problem" in after.text
        assert board_before != stranger.get("/tickets").text
        # every visitor gets their own nonce and CSRF token, even from the cache
        again = stranger.get(f"/t/{ticket.code}")
        nonce = again.headers["content-security-policy"].split("'nonce-")[1].split("'")[0]
        assert f'nonce="{nonce}"' in again.text and stranger.csrf() in again.text


def test_back_then_send_again_keeps_the_first_ticket(client: PageClient, db: Session) -> None:
    community = a_community(db).slug
    first = submit_report(client, report_fields(client, community))
    again = submit_report(client, report_fields(client, community))  # a fresh form key, the same report
    assert "again=1" in again.headers["location"]
    assert len(tickets(db)) == 1
    other = submit_report(
        client, report_fields(client, community, description="另一个问题：路口的红绿灯坏了。")
    )
    assert first.status_code == other.status_code == 303 and "again" not in other.headers["location"]
    assert len(tickets(db)) == 2


def test_a_history_restore_gets_the_whole_board_not_the_fragment(client: PageClient) -> None:
    fragment = client.get("/tickets", headers={"HX-Request": "true"})
    assert "<h1" not in fragment.text
    restore = client.get("/tickets", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<h1" in restore.text and "</html>" in restore.text


# --- heavy photos on a real server -----------------------------------------------------------


def _square_png(side: int) -> bytes:
    """A picture of a few stripes: it compresses to about 130 KB however large it claims to be."""
    img = Image.new("RGB", (side, side), (200, 200, 190))
    draw = ImageDraw.Draw(img)
    for left in range(0, side // 2, 300):
        draw.rectangle((left, left, left + 150, side - left), fill=(left % 255, 80, 40))
    buffer = io.BytesIO()
    img.save(buffer, "PNG")
    return buffer.getvalue()


def _noise_jpeg() -> bytes:
    """A 12 MP photo of noise: as costly to decode and shrink as any real phone photo."""
    img = Image.frombytes("RGB", (4032, 3024), os.urandom(4032 * 3024 * 3))
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def _send_reports(base: str, community: str, photos: list[bytes], count: int) -> list[httpx.Response]:
    """``count`` residents send a report with these photos at the same moment (their forms fetched first)."""
    clients = [
        httpx.Client(base_url=base, timeout=120, headers={"Accept-Language": "en"}) for _ in range(count)
    ]
    forms = []
    for index, http in enumerate(clients):
        form_key = KEY_PATTERN.search(http.get("/report").text)
        assert form_key
        forms.append({
            "_csrf_token": http.cookies["csrftoken"], "form_key": form_key.group(1),
            "category": "road-damage", "description": f"乐海路人行道地砖松动，第{index}处。",
            "community": community, "address": "乐海路12号", "visibility": "public",
        })  # fmt: skip
    files = [("photos", (f"p{n}.png", data, "image/png")) for n, data in enumerate(photos)]
    try:
        with ThreadPoolExecutor(count) as pool:
            return list(
                pool.map(
                    lambda pair: pair[0].post("/report", data=pair[1], files=files),
                    zip(clients, forms, strict=True),
                )
            )
    finally:
        for http in clients:
            http.close()


def _responsive(base: str, community: str, photos: list[bytes]) -> tuple[list[httpx.Response], HealthWatch]:
    """Four reports of these photos at once on a warm server (its photo workers started by a first
    report), and /healthz watched meanwhile."""
    _send_reports(base, community, [jpeg_bytes()], 1)
    return while_running(lambda: _send_reports(base, community, photos, 4), base)


def test_four_reports_of_four_huge_pictures_leave_the_server_responsive(
    settings: Settings, engine: Any, db: Session
) -> None:
    """The audit's attack: 6300 x 6300 PNGs of 130 KB each, four to a report, four reports at once.
    Each picture is refused from its header, and /healthz answers within 100 ms throughout."""
    huge = _square_png(6300)
    with server_process(settings) as base:
        answers, health = _responsive(base, a_community(db).slug, [huge] * 4)
    assert [a.status_code for a in answers] == [422] * 4
    assert all("This picture is too large to use" in a.text for a in answers)
    health.assert_quick(0.1)


def test_four_reports_of_four_heavy_photos_queue_for_the_photo_workers(
    settings: Settings, engine: Any, db: Session
) -> None:
    """Real photos that take CPU to shrink are worked on by two photo worker processes, never more at
    once, so /healthz still answers within 100 ms while the sixteen photos are processed."""
    heavy = _noise_jpeg()
    with server_process(settings) as base:
        answers, health = _responsive(base, a_community(db).slug, [heavy] * 4)
    assert [a.status_code for a in answers] == [303] * 4
    health.assert_quick(0.1)
    db.expire_all()
    assert len(db.exec(select(Photo)).all()) == 17
