"""Following a project by SMS: the code first, then at most one SMS a day, and a one-tap unsubscribe
that a link scanner cannot trigger."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from portal.app import create_app
from portal.db import make_engine, utcnow
from portal.progress import follow
from portal.progress.models import Project, ProjectFollower
from portal.services import Services
from portal.settings import Settings
from portal.tickets import confirm
from tests.pages import PageClient
from tests.unit.progress.follow_data import (
    _clean_progress,  # noqa: F401  (autouse)
    make_milestone,
    make_project,
    make_story,
)

PHONE = "13912345678"
CODE_IN_SMS = re.compile(r"(?<!\d)(\d{6})(?!\d)")
HTMX = {"HX-Request": "true"}
NOTE = re.compile(r'name="note" value="([^"]+)"')


def sms_to(services: Services, phone: str = PHONE) -> list[str]:
    return services.sms.to(phone)  # type: ignore[attr-defined,no-any-return]


def start(client: PageClient, slug: str = "chailan-toulv", phone: str = PHONE, **headers: str) -> Any:
    return client.post(
        f"/progress/{slug}/follow",
        data={"phone": phone, "_csrf_token": client.csrf()},
        headers=headers or None,
    )


def confirm_code(
    client: PageClient, note: str, code: str, slug: str = "chailan-toulv", **headers: str
) -> Any:
    return client.post(
        f"/progress/{slug}/follow/confirm",
        data={"note": note, "code": code, "_csrf_token": client.csrf()},
        headers=headers or None,
        follow_redirects=False,
    )


def followers(db: Session) -> list[ProjectFollower]:
    db.expire_all()
    return list(db.exec(select(ProjectFollower)))


def follow_confirmed(
    client: PageClient, services: Services, db: Session, phone: str = PHONE
) -> ProjectFollower:
    answer = start(client, phone=phone)
    assert answer.status_code == 200
    note = NOTE.search(answer.text)
    assert note
    code = CODE_IN_SMS.search(sms_to(services, phone)[-1])
    assert code
    assert confirm_code(client, note.group(1), code.group(1)).status_code == 303
    return next(f for f in followers(db) if f.phone == phone)


def test_the_code_is_needed_and_the_number_is_shown_masked(
    client: PageClient, db: Session, services: Services
) -> None:
    project = make_project(db)
    page = client.get("/progress/chailan-toulv/follow")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert 'name="phone"' in page.text and 'autocomplete="tel"' in page.text

    answer = start(client)
    assert answer.status_code == 200
    assert "139****5678" in answer.text and PHONE not in answer.text
    [texted] = sms_to(services)
    assert "Fences down, green opened up" in texted and CODE_IN_SMS.search(texted)
    assert followers(db) == []  # nothing stored before the code comes back

    note = NOTE.search(answer.text)
    assert note
    code = CODE_IN_SMS.search(texted).group(1)  # type: ignore[union-attr]
    done = confirm_code(client, note.group(1), code)
    assert done.status_code == 303 and done.headers["location"] == "/progress/chailan-toulv/follow?followed=1"
    [follower] = followers(db)
    assert (follower.project_id, follower.phone, follower.locale) == (project.id, PHONE, "en")
    assert len(follower.token) >= 20 and follower.last_sms_at is None
    assert "You now follow this project" in client.get(done.headers["location"]).text


def test_a_code_is_good_once_on_every_instance(
    client: PageClient, db: Session, services: Services, settings: Settings
) -> None:
    """A code sent through one instance works through another, once: a copy of the form sent again,
    here or there, is refused (the code is spent in the shared database)."""
    make_project(db)
    answer = start(client)
    note = NOTE.search(answer.text).group(1)  # type: ignore[union-attr]
    code = CODE_IN_SMS.search(sms_to(services)[-1]).group(1)  # type: ignore[union-attr]
    other = Services.build(settings, make_engine(settings.database_url))
    try:
        with PageClient(app=create_app(settings, other), base_url="http://portal.test") as elsewhere:
            assert confirm_code(elsewhere, note, code).status_code == 303
            for browser in (client, elsewhere):
                again = confirm_code(browser, note, code)
                assert again.status_code == 422 and "This code has been used already" in again.text
    finally:
        other.engine.dispose()
        other.reader.dispose()
    assert len(followers(db)) == 1


def test_htmx_swaps_the_section_in_place(client: PageClient, db: Session, services: Services) -> None:
    make_project(db)
    answer = start(client, **HTMX)
    assert answer.text.lstrip().startswith('<section id="follow"') and "<html" not in answer.text
    note = NOTE.search(answer.text).group(1)  # type: ignore[union-attr]
    code = CODE_IN_SMS.search(sms_to(services)[-1]).group(1)  # type: ignore[union-attr]
    done = confirm_code(client, note, code, **HTMX)
    assert done.status_code == 200 and "You now follow this project" in done.text
    assert len(followers(db)) == 1


def test_a_bad_number_gets_a_clear_message_and_no_sms(
    client: PageClient, db: Session, services: Services
) -> None:
    make_project(db)
    for typed in ("", "12345", "02161234567", "1391234567x"):
        answer = start(client, phone=typed)
        assert answer.status_code == 422
        assert "Enter an 11-digit mainland mobile number" in answer.text
        assert answer.text.count('aria-invalid="true"') == 1
    assert services.sms.sent == type(services.sms.sent)()  # type: ignore[attr-defined]
    zh = client.post(
        "/progress/chailan-toulv/follow?lang=zh-Hans", data={"phone": "123", "_csrf_token": client.csrf()}
    )
    assert "请输入11位内地手机号码" in zh.text


def test_wrong_and_expired_codes_are_refused_with_clear_messages(
    client: PageClient, db: Session, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(db)
    answer = start(client)
    note = NOTE.search(answer.text).group(1)  # type: ignore[union-attr]
    code = CODE_IN_SMS.search(sms_to(services)[-1]).group(1)  # type: ignore[union-attr]
    wrong = "000000" if code != "000000" else "111111"

    refused = confirm_code(client, note, wrong)
    assert refused.status_code == 422 and "That is not the code we sent" in refused.text
    assert NOTE.search(refused.text)  # the form stays, to try again
    assert followers(db) == []

    forged = confirm_code(client, note[:-2] + "xx", code)
    assert forged.status_code == 422 and "This code has expired" in forged.text

    # A me-too code for a ticket is not a code for a project, even with the same number.
    ticket_note, ticket_code = confirm.start(services.settings.secret_key, PHONE, "ABCD-EFGH")
    assert confirm_code(client, ticket_note, ticket_code).status_code == 422
    # Nor is another project's.
    make_project(db, "shili-changdi", title_zh_hans="十里长堤")
    assert confirm_code(client, note, code, slug="shili-changdi").status_code == 422

    later = time.time() + confirm.CODE_SECONDS + 1
    monkeypatch.setattr(confirm.time, "time", lambda: later)
    expired = confirm_code(client, note, code)
    assert expired.status_code == 422 and "This code has expired. Enter your number again" in expired.text
    assert followers(db) == []


def test_codes_are_rate_limited_per_number_and_per_address(
    client: PageClient, db: Session, services: Services, app: Any
) -> None:
    make_project(db)
    per_number = services.settings.rate_limits["confirm_phone"].count
    for _ in range(per_number):
        assert start(client).status_code == 200
    assert start(client).status_code == 429
    assert len(sms_to(services)) == per_number
    # The shared limit store (Redis, with several instances) keys numbers by a hash, not the number.
    keys = " ".join(f"{name} {key}" for name, key in services.limiter._hits)  # type: ignore[attr-defined]
    assert "confirm_phone phone:" in keys and PHONE not in keys and PHONE[3:] not in keys
    # From another address, the same number is still refused: it is the number that is protected.
    with PageClient(app=app, base_url="http://portal.test", address="203.0.113.9") as elsewhere:
        assert start(elsewhere).status_code == 429
        per_address = services.settings.rate_limits["confirm_address"].count
        answers = [start(elsewhere, phone=f"1390000{n:04d}").status_code for n in range(per_address)]
        assert answers.count(429) >= 1  # the first try above counted too


def test_guessing_codes_is_limited(client: PageClient, db: Session, services: Services) -> None:
    make_project(db)
    note = NOTE.search(start(client).text).group(1)  # type: ignore[union-attr]
    code = CODE_IN_SMS.search(sms_to(services)[-1]).group(1)  # type: ignore[union-attr]
    tries = services.settings.rate_limits["code_number"].count
    for n in range(tries):
        guess = f"{n:06d}" if f"{n:06d}" != code else "999999"
        assert confirm_code(client, note, guess).status_code == 422
    assert confirm_code(client, note, code).status_code == 429
    assert followers(db) == []
    # the guesser's address is not shut for others behind it: another number's right code works,
    # and the tracking digits keep their own tries
    other = "13700001111"
    note = NOTE.search(start(client, phone=other).text).group(1)  # type: ignore[union-attr]
    code = CODE_IN_SMS.search(sms_to(services, other)[-1]).group(1)  # type: ignore[union-attr]
    assert confirm_code(client, note, code).status_code in {200, 303}
    assert [f.phone for f in followers(db)] == [other]
    assert (
        client.post(
            "/track", data={"code": "ABCD-EFGH", "digits": "1234", "_csrf_token": client.csrf()}
        ).status_code
        != 429
    )


def test_unpublished_projects_cannot_be_followed(client: PageClient, db: Session) -> None:
    make_project(db, "hidden-project", published=False)
    assert client.get("/progress/hidden-project/follow").status_code == 404
    assert start(client, slug="hidden-project").status_code == 404


def test_unsubscribe_needs_the_button_not_the_link(
    client: PageClient, db: Session, services: Services
) -> None:
    make_project(db)
    follower = follow_confirmed(client, services, db)
    link = f"/progress/unsubscribe/{follower.token}"

    with PageClient(app=client.app, base_url="http://portal.test") as scanner:  # a link checker, no cookies
        for _ in range(3):
            seen = scanner.get(link)
            assert seen.status_code == 200
            assert "139****5678" in seen.text and PHONE not in seen.text
            assert "Nothing changes until you press the button" in seen.text
            assert seen.headers["cache-control"] == "no-store" and seen.headers["x-robots-tag"] == "noindex"
    assert len(followers(db)) == 1

    with PageClient(app=client.app, base_url="http://portal.test") as phone_browser:
        phone_browser.get(link)
        done = phone_browser.post(link, data={"_csrf_token": phone_browser.csrf()}, follow_redirects=False)
        assert done.status_code == 303
        assert followers(db) == []
        after = phone_browser.get(done.headers["location"])
        assert after.status_code == 200 and "You will get no more SMS about this project" in after.text
        again = phone_browser.post(link, data={"_csrf_token": phone_browser.csrf()})
        assert again.status_code == 404 and "This link does not work any more" in again.text
    assert client.get("/progress/unsubscribe/not-a-real-token-at-all").status_code == 404


def test_following_again_keeps_one_row_in_the_language_chosen_last(
    client: PageClient, db: Session, services: Services
) -> None:
    make_project(db)
    first = follow_confirmed(client, services, db)
    client.get("/?lang=zh-Hant")
    again = follow_confirmed(client, services, db)
    assert (again.id, again.token) == (first.id, first.token) and again.locale == "zh_Hant"
    assert len(followers(db)) == 1


# --- the SMS the jobs send ---------------------------------------------------------------------


def follower_row(
    db: Session, project: Project, phone: str = PHONE, locale: str = "zh_Hans", **values: Any
) -> ProjectFollower:
    row = ProjectFollower(
        project_id=project.id or 0, phone=phone, locale=locale, token=f"tok{phone}", **values
    )
    db.add(row)
    db.commit()
    return row


def run(db: Session, services: Services, base: str = "https://jimei.example.cn", **kw: Any) -> int:
    sent = follow.announce(db, services.sms, base, **kw)
    db.commit()
    return sent


def test_followers_hear_of_a_milestone_and_a_story_at_most_once_a_day(
    db: Session, services: Services
) -> None:
    project = make_project(db)
    follower = follower_row(db, project, created_at=utcnow() - timedelta(days=2))
    english = follower_row(db, project, "13700001111", "en", created_at=utcnow() - timedelta(days=2))
    milestone = make_milestone(db, project, "完成围栏拆除")

    assert run(db, services) == 2
    [text] = sms_to(services)
    assert "拆栏透绿" in text and "完成围栏拆除" in text
    assert "https://jimei.example.cn/progress/chailan-toulv" in text
    assert f"https://jimei.example.cn/progress/unsubscribe/{follower.token}" in text
    [english_text] = sms_to(services, "13700001111")
    assert "reached a milestone" in english_text and "Fences down" in english_text
    db.refresh(milestone)
    assert milestone.announced_at is not None

    # A story the same day waits: one SMS a day per project.
    make_story(db, "fences-down", project=project, titles={"zh_Hans": "围栏拆了"})
    assert run(db, services) == 0
    assert len(sms_to(services)) == 1
    # A day later it goes out.
    assert run(db, services, now=utcnow() + timedelta(days=1, minutes=1)) == 2
    assert "围栏拆了" in sms_to(services)[-1] and "/stories/fences-down" in sms_to(services)[-1]
    # And nothing more to say after that.
    assert run(db, services, now=utcnow() + timedelta(days=3)) == 0
    assert english.id


def test_unconfirmed_numbers_and_hidden_news_get_nothing(
    client: PageClient, db: Session, services: Services
) -> None:
    project = make_project(db)
    hidden = make_project(db, "hidden-project", published=False)
    start(client)  # a code was sent, never entered
    follower_row(
        db, hidden, "13700002222", created_at=utcnow() - timedelta(days=2)
    )  # followed before it was hidden
    make_milestone(db, project, "完成围栏拆除")
    make_milestone(db, hidden, "未公开的节点")
    make_story(db, "scheduled", project=project, publish_at=utcnow() + timedelta(hours=3))
    make_story(db, "draft", project=project, status="draft")
    assert run(db, services) == 0
    assert len(sms_to(services)) == 1  # only the code
    assert sms_to(services, "13700002222") == []


def test_a_scheduled_story_is_news_once_its_time_comes(db: Session, services: Services) -> None:
    project = make_project(db)
    follower_row(db, project, created_at=utcnow() - timedelta(days=2))
    story = make_story(
        db, "later", project=project, publish_at=utcnow() + timedelta(hours=3), titles={"zh_Hans": "稍后发布"}
    )
    assert run(db, services) == 0
    db.refresh(story)
    assert story.announced_at is None
    assert run(db, services, now=utcnow() + timedelta(hours=3, minutes=1)) == 1
    assert "稍后发布" in sms_to(services)[-1]


def test_without_a_base_address_no_sms_goes_out(db: Session, services: Services) -> None:
    """Every SMS about a project carries its unsubscribe link: without PORTAL_BASE_URL there is none."""
    project = make_project(db)
    follower_row(db, project, created_at=utcnow() - timedelta(days=2))
    make_milestone(db, project)
    assert run(db, services, base="") == 0
    assert sms_to(services) == []


def test_the_periodic_job_sends_them(db: Session, services: Services) -> None:
    from portal.jobs import run_jobs

    project = make_project(db)
    follower_row(db, project, created_at=utcnow() - timedelta(days=2))
    make_milestone(db, project)
    assert "project news: 1 SMS to followers" in run_jobs(services, photos=False)
    assert "http://portal.test/progress/unsubscribe/" in sms_to(services)[-1]
