"""The resident's pages, fetched as a browser without JavaScript would."""

from __future__ import annotations

import io
import os
import re
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from PIL import Image, ImageDraw
from sqlmodel import Session, col, select

from portal.security import sign_value
from portal.services import Services
from portal.settings import Settings
from portal.tickets.lifecycle import Status
from portal.tickets.models import Follower, Photo, Ticket, TicketEvent
from tests.conftest import TEST_SECRET
from tests.live import HealthWatch, server_process, while_running
from tests.pages import PageClient
from tests.unit.factories import (
    KEY_PATTERN,
    a_community,
    code_on,
    jpeg_bytes,
    report_fields,
    resolve_ticket,
    submit_report,
)


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


def test_the_ticket_page_gives_dates_one_unambiguous_way(client: PageClient, db: Session) -> None:
    assert submit_report(client, report_fields(client, a_community(db).slug)).status_code == 303
    [ticket] = tickets(db)
    english = client.get(f"/t/{ticket.code}").text
    reported = re.search(r"<dt>Reported</dt><dd>([^<]*)</dd>", english)
    assert reported and re.fullmatch(r"\d{1,2} [A-Z][a-z]{2} 20\d\d, \d\d:\d\d", reported.group(1))
    assert not re.search(r"\d+/\d+/\d+|[AP]M<", english)
    client.headers["Accept-Language"] = "zh-CN"
    chinese = client.get(f"/t/{ticket.code}").text
    assert re.search(r"<dd>20\d\d年\d{1,2}月\d{1,2}日 \d\d:\d\d</dd>", chinese)
    assert re.search(r'<time datetime="[^"]+">20\d\d年\d{1,2}月\d{1,2}日 \d\d:\d\d</time>', chinese)


def test_the_public_page_masks_personal_data(client: PageClient, db: Session, app) -> None:  # type: ignore[no-untyped-def]
    fields = report_fields(
        client, a_community(db).slug, description="请打电话13912345678联系我，垃圾堆了三天。"
    )
    assert submit_report(client, fields).status_code == 303
    [ticket] = tickets(db)
    with PageClient(app=app, base_url="http://portal.test") as stranger:
        page = stranger.get(f"/t/{ticket.code}")
    assert "13912345678" not in page.text and "139********" in page.text and "5678" not in page.text
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


def unlock(client: PageClient, code: str, digits: str) -> int:
    return int(
        client.post(f"/t/{code}/unlock", data={"digits": digits, "_csrf_token": client.csrf()}).status_code
    )


def test_a_guesser_cannot_lock_the_reporter_out(client: PageClient, db: Session, app) -> None:  # type: ignore[no-untyped-def]
    fields = report_fields(client, a_community(db).slug, visibility="private")
    assert submit_report(client, fields).status_code == 303
    [ticket] = tickets(db)
    with PageClient(app=app, base_url="http://portal.test", address="198.51.100.7") as guesser:
        assert [unlock(guesser, ticket.code, f"{n:04d}") for n in range(6)] == [422] * 5 + [429]
        assert unlock(guesser, ticket.code, "1234") == 429  # the guesser is refused even the right digits
    with PageClient(app=app, base_url="http://portal.test", address="203.0.113.20") as reporter:
        assert unlock(reporter, ticket.code, "1234") == 200  # the reporter, elsewhere, is not


def test_past_the_ceiling_the_digits_close_and_a_texted_code_opens_the_ticket(
    client: PageClient, db: Session, app, services
) -> None:  # type: ignore[no-untyped-def]
    fields = report_fields(client, a_community(db).slug, visibility="private")
    assert submit_report(client, fields).status_code == 303
    [ticket] = tickets(db)
    guesses = iter(range(2000, 9999))
    for n in range(4):  # 4 addresses x 5 tries spend the ceiling of 20 a day
        with PageClient(app=app, base_url="http://portal.test", address=f"198.51.100.{n}") as guesser:
            assert {unlock(guesser, ticket.code, f"{next(guesses):04d}") for _ in range(5)} == {422}
    for n in range(50, 60):  # fresh addresses get no try at all, not even with the right digits
        with PageClient(app=app, base_url="http://portal.test", address=f"198.51.100.{n}") as fresh:
            assert unlock(fresh, ticket.code, "1234") == 429
    with PageClient(app=app, base_url="http://portal.test", address="203.0.113.20") as reporter:
        closed = reporter.post(
            f"/t/{ticket.code}/unlock", data={"digits": "1234", "_csrf_token": reporter.csrf()}
        )
        assert closed.status_code == 429 and "no longer open it" in closed.text
        assert "地砖松动" not in closed.text and "*1234" not in closed.text  # the digits stay unsaid
        asked = reporter.post(f"/t/{ticket.code}/unlock/sms", data={"_csrf_token": reporter.csrf()})
        assert asked.status_code == 200 and "*1234" not in asked.text
        assert "13859201234" not in _readable(asked.text)  # the form's note must not give the number away
        [sms] = [m for m in services.sms.to("13859201234") if ticket.code in m and "code" in m]
        code = re.search(r"code (\d{6})", sms).group(1)  # type: ignore[union-attr]
        note = re.search(r'name="note" value="([^"]+)"', asked.text).group(1)  # type: ignore[union-attr]
        wrong = reporter.post(
            f"/t/{ticket.code}/unlock/code",
            data={
                "note": note,
                "code": "000000" if code != "000000" else "111111",
                "_csrf_token": reporter.csrf(),
            },
        )
        assert wrong.status_code == 422 and "not the code we sent" in wrong.text
        right = reporter.post(
            f"/t/{ticket.code}/unlock/code", data={"note": note, "code": code, "_csrf_token": reporter.csrf()}
        )
        assert right.status_code == 200 and "地砖松动" in right.text


def _readable(page: str) -> str:
    """The page with every signed value's payload decoded, as anyone holding it can."""
    import base64

    decoded = [page]
    for value in re.findall(r'value="([A-Za-z0-9_-]+)\.', page):
        try:
            decoded.append(
                base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode("utf-8", "replace")
            )
        except ValueError:
            continue
    return "\n".join(decoded)


def test_the_reporter_is_texted_only_once_the_digits_are_closed(
    client: PageClient, db: Session, app, services
) -> None:  # type: ignore[no-untyped-def]
    fields = report_fields(client, a_community(db).slug)
    assert submit_report(client, fields).status_code == 303
    [ticket] = tickets(db)
    with PageClient(app=app, base_url="http://portal.test", address="198.51.100.60") as stranger:
        asked = stranger.post(f"/t/{ticket.code}/unlock/sms", data={"_csrf_token": stranger.csrf()})
        assert asked.status_code == 404 and "13859201234" not in _readable(asked.text)
    assert not [m for m in services.sms.to("13859201234") if "to see your report" in m]


def test_a_me_too_code_never_opens_a_ticket(client: PageClient, db: Session, app, services) -> None:  # type: ignore[no-untyped-def]
    """A code for "me too" goes to any number its asker types: it must not unlock the ticket."""
    fields = report_fields(client, a_community(db).slug)
    assert submit_report(client, fields).status_code == 303
    [ticket] = tickets(db)
    with PageClient(app=app, base_url="http://portal.test", address="198.51.100.9") as stranger:
        asked = stranger.post(
            f"/t/{ticket.code}/support", data={"phone": "13912340000", "_csrf_token": stranger.csrf()}
        )
        note = re.search(r'name="note" value="([^"]+)"', asked.text).group(1)  # type: ignore[union-attr]
        [sms] = services.sms.to("13912340000")
        code = re.search(r"code (\d{6})", sms).group(1)  # type: ignore[union-attr]
        tried = stranger.post(
            f"/t/{ticket.code}/unlock/code", data={"note": note, "code": code, "_csrf_token": stranger.csrf()}
        )
        assert tried.status_code == 422 and "expired" in tried.text
        assert (
            "乐海路12号门口" not in stranger.get(f"/t/{ticket.code}").text
        )  # the exact address stays private


def test_one_ipv6_network_counts_as_one_address(client: PageClient, db: Session, app) -> None:  # type: ignore[no-untyped-def]
    fields = report_fields(client, a_community(db).slug, visibility="private")
    assert submit_report(client, fields).status_code == 303
    [ticket] = tickets(db)
    statuses = []
    for n in range(6):  # a phone hands itself a new address from its /64 for every try
        with PageClient(
            app=app, base_url="http://portal.test", address=f"2001:db8:1:2::{n + 1:x}"
        ) as guesser:
            statuses.append(unlock(guesser, ticket.code, f"{n:04d}"))
    assert statuses == [422] * 5 + [429]
    with PageClient(app=app, base_url="http://portal.test", address="2001:db8:1:3::1") as neighbour:
        assert unlock(neighbour, ticket.code, "0009") == 422


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
        # short-lived and not immutable: hiding the photo again reaches shared caches within minutes
        assert approved.headers["cache-control"] == "public, max-age=300"


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


CODE_IN_SMS = re.compile(r"\b(\d{6})\b")
NOTE_FIELD = re.compile(r'name="note" value="([^"]+)"')


def me_too(client: PageClient, code: str, phone: str = "", **headers: str) -> Any:
    return client.post(
        f"/t/{code}/support", data={"phone": phone, "_csrf_token": client.csrf()}, headers=headers
    )


def confirm_code(client: PageClient, code: str, page: str, typed: str) -> Any:
    note = NOTE_FIELD.search(page)
    assert note, "the answer asks for the code"
    return client.post(
        f"/t/{code}/support/confirm",
        data={"note": note.group(1), "code": typed, "_csrf_token": client.csrf()},
        follow_redirects=False,
    )


def followers(db: Session, ticket: Ticket) -> set[str]:
    db.expire_all()
    return {f.phone for f in db.exec(select(Follower).where(Follower.ticket_id == ticket.id))}


def test_a_phone_follows_only_once_its_owner_enters_the_code(
    client: PageClient, db: Session, services: Services, app: Any
) -> None:
    assert submit_report(client, report_fields(client, a_community(db).slug)).status_code == 303
    [ticket] = tickets(db)
    with PageClient(app=app, base_url="http://portal.test") as neighbour:
        asked = me_too(neighbour, ticket.code, "136 0000 1111")
        assert asked.status_code == 200 and "136****1111" in asked.text and 'name="code"' in asked.text
        [texted] = services.sms.to("13600001111")  # type: ignore[attr-defined]
        sent = CODE_IN_SMS.search(texted)
        assert sent and ticket.code in texted and len(texted) <= 70
        assert followers(db, ticket) == {"13859201234"}  # nothing yet for that number

        wrong = confirm_code(
            neighbour, ticket.code, asked.text, "000000" if sent.group(1) != "000000" else "111111"
        )
        assert wrong.status_code == 422 and "not the code we sent" in wrong.text
        assert followers(db, ticket) == {"13859201234"}
        right = confirm_code(neighbour, ticket.code, wrong.text, sent.group(1))
        assert right.status_code == 303
        assert "You now follow this ticket" in neighbour.get(right.headers["location"]).text
    assert followers(db, ticket) == {"13859201234", "13600001111"}
    [ticket] = tickets(db)
    assert ticket.supporters == 1


def test_a_number_that_is_never_confirmed_gets_no_updates(
    client: PageClient, db: Session, services: Services, app: Any
) -> None:
    assert submit_report(client, report_fields(client, a_community(db).slug)).status_code == 303
    [ticket] = tickets(db)
    with PageClient(app=app, base_url="http://portal.test") as prankster:
        assert me_too(prankster, ticket.code, "13600002222").status_code == 200
    resolve_ticket(db, services, ticket)
    [only_the_code] = services.sms.to("13600002222")  # type: ignore[attr-defined]
    assert CODE_IN_SMS.search(only_the_code)
    assert len(services.sms.to("13859201234")) == 3  # type: ignore[attr-defined]  # received, sent, resolved


def test_one_browser_counts_once(client: PageClient, db: Session, app: Any) -> None:
    assert submit_report(client, report_fields(client, a_community(db).slug)).status_code == 303
    [ticket] = tickets(db)
    with PageClient(app=app, base_url="http://portal.test") as neighbour:
        answers = [me_too(neighbour, ticket.code, HX_Request="true") for _ in range(3)]
        assert "We counted you" in answers[0].text
        assert all("You already support this ticket" in a.text for a in answers[1:])
        without_javascript = me_too(neighbour, ticket.code)  # the redirect is followed
        assert "You already support this ticket" in without_javascript.text
    [ticket] = tickets(db)
    assert ticket.supporters == 1


def test_the_answer_to_htmx_carries_the_new_count(client: PageClient, db: Session, app: Any) -> None:
    assert submit_report(client, report_fields(client, a_community(db).slug)).status_code == 303
    [ticket] = tickets(db)
    with PageClient(app=app, base_url="http://portal.test") as neighbour:
        answer = me_too(neighbour, ticket.code, **{"HX-Request": "true"})
    assert 'id="supporters" data-hx-swap-oob="true"' in answer.text and "<dd>2</dd>" in answer.text


def test_codes_are_limited_per_number_and_expire(client: PageClient, db: Session, app: Any) -> None:
    assert submit_report(client, report_fields(client, a_community(db).slug)).status_code == 303
    [ticket] = tickets(db)
    statuses = []
    for _ in range(4):  # from four browsers, so only the limit per number applies
        with PageClient(app=app, base_url="http://portal.test") as someone:
            statuses.append(me_too(someone, ticket.code, "13600003333").status_code)
    assert statuses == [200, 200, 200, 429]
    # A page left open past the code's ten minutes.
    old = sign_value(TEST_SECRET, "confirm-phone", ["13600004444", ticket.code, int(time.time()) - 1, "n"])
    late = client.post(
        f"/t/{ticket.code}/support/confirm",
        data={"note": old, "code": "123456", "_csrf_token": client.csrf()},
    )
    assert late.status_code == 422 and "This code has expired" in late.text
    assert followers(db, ticket) == {"13859201234"}


def test_guessing_the_code_is_rate_limited(client: PageClient, db: Session, app: Any) -> None:
    assert submit_report(client, report_fields(client, a_community(db).slug)).status_code == 303
    [ticket] = tickets(db)
    with PageClient(app=app, base_url="http://portal.test") as guesser:
        asked = me_too(guesser, ticket.code, "13600005555")
        statuses = [confirm_code(guesser, ticket.code, asked.text, f"{n:06d}").status_code for n in range(6)]
    assert statuses[-1] == 429 and set(statuses[:5]) <= {422, 303}


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
        assert '<div id="supporters" hidden>' in first.text
        board_before = stranger.get("/tickets").text
        supported = stranger.post(
            f"/t/{ticket.code}/support", data={"_csrf_token": stranger.csrf()}, follow_redirects=False
        )
        assert supported.status_code == 303
        after = stranger.get(f"/t/{ticket.code}")
        assert '<div id="supporters"><dt>Residents with this problem</dt><dd>2</dd>' in after.text
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


def test_back_then_send_again_with_the_place_lost_keeps_the_first_ticket(
    client: PageClient, db: Session
) -> None:
    fields = report_fields(client, a_community(db).slug)
    assert submit_report(client, fields).status_code == 303
    lost = report_fields(client, "")  # Back: the browser kept the words but not the community chosen
    lost.update(community="", lat="", lng="", address="")
    again = submit_report(client, lost)
    assert again.status_code == 303 and "again=1" in again.headers["location"]
    elsewhere = report_fields(
        client, a_community(db).slug, address="银江路公交站对面"
    )  # same words, another place
    assert "again" not in submit_report(client, elsewhere).headers["location"]
    assert len(tickets(db)) == 2
    assert len(tickets(db)) == 2


def test_a_history_restore_gets_the_whole_board_not_the_fragment(client: PageClient) -> None:
    fragment = client.get("/tickets", headers={"HX-Request": "true"})
    assert "<h1" not in fragment.text
    restore = client.get("/tickets", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<h1" in restore.text and "</html>" in restore.text


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("+8613911112222", "139********"),
        ("0086 139-1111-2222", "139********"),
        ("139.1111.3333", "139********"),
        ("１３９１１１１４４４４", "139********"),
        ("１３９－１１１１－５５５５", "139********"),
    ],
)
def test_numbers_written_any_way_are_masked_on_every_public_page(
    client: PageClient, db: Session, app: Any, typed: str, shown: str
) -> None:
    community = a_community(db)
    # Long enough that the board's excerpt would cut the number in two.
    description = "路灯不亮很多天了晚上非常黑老人出门很不方便请尽快修理，" * 4 + f"电话{typed}"
    fields = report_fields(
        client, "", lat=str(community.lat), lng=str(community.lng), description=description
    )
    assert submit_report(client, fields).status_code == 303
    [ticket] = tickets(db)
    digits = "".join(c for c in unicodedata.normalize("NFKC", typed) if c.isdigit())
    with PageClient(app=app, base_url="http://portal.test") as stranger:
        pages = {
            "ticket": stranger.get(f"/t/{ticket.code}").text,
            "board": stranger.get("/tickets").text,
            "locate": stranger.get(
                f"/report/locate?lat={community.lat}&lng={community.lng}&category=road-damage",
                headers={"HX-Request": "true"},
            ).text,
        }
    assert ticket.code in pages["locate"]
    for name, html in pages.items():
        assert typed not in html and digits[-8:] not in html and typed[-8:] not in html, name
    assert shown in pages["ticket"]


def test_a_replayed_form_key_gives_the_code_but_nothing_private(client: PageClient, db: Session, app) -> None:  # type: ignore[no-untyped-def]
    fields = report_fields(client, a_community(db).slug, visibility="private")
    sent = submit_report(client, fields)
    receipt = client.get(sent.headers["location"])
    code = code_on(receipt.text)
    assert "138****1234" in receipt.text and receipt.headers["cache-control"] == "no-store"
    mine = client.get(f"/t/{code}")
    assert "乐海路12号门口" in mine.text and mine.headers["cache-control"] == "no-store"

    # Another browser finds the receipt's address in the history, then posts the form key again.
    with PageClient(app=app, base_url="http://portal.test") as other:
        seen = other.get(sent.headers["location"])
        assert code_on(seen.text) == code and "1234" not in seen.text
        replayed = submit_report(other, {**fields, "_csrf_token": other.csrf()})
        assert replayed.status_code == 303 and "again=1" in replayed.headers["location"]
        again = other.get(replayed.headers["location"])
        assert code_on(again.text) == code and "1234" not in again.text
        page = other.get(f"/t/{code}")
        assert "This report is private" in page.text and "乐海路12号门口" not in page.text
        assert "地砖松动" not in page.text
        assert "access" not in other.cookies  # nor may it rate as the reporter
    assert len(tickets(db)) == 1


def test_the_receipt_shows_its_details_for_two_hours(client: PageClient, db: Session) -> None:
    sent = submit_report(client, report_fields(client, a_community(db).slug))
    assert "Max-Age=7200" in sent.headers["set-cookie"]
    assert "138****1234" in client.get(sent.headers["location"]).text
    [ticket] = tickets(db)
    # A browser that kept the cookie past its two hours (its clock was wrong, say) sees only the code.
    two_hours_ago = int(time.time()) - 1
    client.cookies.set(
        "receipt", sign_value(TEST_SECRET, "receipt", {ticket.submission_key: two_hours_ago}), path="/report"
    )
    expired = client.get(sent.headers["location"])
    assert code_on(expired.text) == ticket.code and "1234" not in expired.text


def test_one_number_serves_a_few_reports_a_day(
    client: PageClient, db: Session, services: Services, app: Any
) -> None:
    community = a_community(db).slug
    statuses = []
    for n in range(6):  # someone else's number, typed into report after report
        with PageClient(app=app, base_url="http://portal.test") as browser:
            fields = report_fields(
                browser, community, phone="13600007777", description=f"第{n}个问题：路灯不亮已经很多天了。"
            )
            statuses.append(submit_report(browser, fields))
    assert [r.status_code for r in statuses] == [303] * 5 + [422]
    assert "many reports today" in statuses[-1].text and 'href="#phone"' in statuses[-1].text
    assert len(services.sms.to("13600007777")) == 5  # type: ignore[attr-defined]
    with PageClient(app=app, base_url="http://portal.test") as browser:  # without the number it goes through
        fields = report_fields(browser, community, phone="", description="第六个问题：路灯不亮已经很多天了。")
        assert submit_report(browser, fields).status_code == 303
    assert len(tickets(db)) == 6


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
    report), and /readyz watched meanwhile."""
    _send_reports(base, community, [jpeg_bytes()], 1)
    return while_running(lambda: _send_reports(base, community, photos, 4), base)


def test_four_reports_of_four_huge_pictures_leave_the_server_responsive(
    settings: Settings, engine: Any, db: Session
) -> None:
    """The audit's attack: 6300 x 6300 PNGs of 130 KB each, four to a report, four reports at once.
    Each picture is refused from its header, and /readyz answers within 100 ms throughout."""
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
    once, so /readyz still answers within 100 ms while the sixteen photos are processed."""
    heavy = _noise_jpeg()
    with server_process(settings) as base:
        answers, health = _responsive(base, a_community(db).slug, [heavy] * 4)
    assert [a.status_code for a in answers] == [303] * 4
    health.assert_quick(0.1)
    db.expire_all()
    assert len(db.exec(select(Photo)).all()) == 17


def test_fresh_browsers_and_one_number_count_once(
    client: PageClient, db: Session, services: Services, app: Any
) -> None:
    assert submit_report(client, report_fields(client, a_community(db).slug)).status_code == 303
    [ticket] = tickets(db)
    assert "You already support" in me_too(client, ticket.code).text  # the reporter is counted already
    for _ in range(3):  # cookies thrown away between taps: still one person at this address today
        with PageClient(app=app, base_url="http://portal.test", address="198.51.100.30") as tapper:
            me_too(tapper, ticket.code)
    for n in range(2):  # one number confirmed from two browsers at two addresses
        with PageClient(app=app, base_url="http://portal.test", address=f"203.0.113.{n}") as browser:
            asked = me_too(browser, ticket.code, "13600005555")
            sent = CODE_IN_SMS.search(services.sms.to("13600005555")[-1])  # type: ignore[attr-defined]
            assert sent and confirm_code(browser, ticket.code, asked.text, sent.group(1)).status_code == 303
    [ticket] = tickets(db)
    assert ticket.supporters == 2  # the tapper and the number


def test_the_form_says_what_it_requires(client: PageClient, db: Session) -> None:
    """The intro names every required part, the place included, so that its error is no surprise."""
    form = client.get("/report?lang=en").text
    assert "the kind of problem, what it is and where it is" in form
    assert (
        "one of them is enough" in form
        and "(optional)</label>" not in form.split('id="location"')[1].split("</fieldset>")[0]
    )
    fields = report_fields(client, a_community(db).slug)
    fields.update(community="", lat="", lng="", address="")
    refused = submit_report(client, fields)
    assert refused.status_code == 422 and "Tell us where the problem is" in refused.text
