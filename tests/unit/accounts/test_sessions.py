"""Staff sessions live on the server: ending one ends every copy of its cookie, on every instance."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import Session, col, select

from portal.accounts.auth import IDLE_SECONDS, STAFF_COOKIE
from portal.accounts.models import AuditEntry, StaffRole, StaffSession
from portal.app import create_app
from portal.db import make_engine, utcnow
from portal.security import sign_value, unsign_value
from portal.services import Services
from portal.settings import Settings
from tests.pages import PageClient
from tests.unit.accounts.test_views import PASSWORD, make_user, sign_in


@pytest.fixture
def thief(app) -> Iterator[PageClient]:  # type: ignore[no-untyped-def]
    """Another browser, into which someone pastes a copied staff cookie."""
    with PageClient(app=app, base_url="http://portal.test") as other:
        yield other


def copy_cookie(source: PageClient, target: PageClient) -> None:
    value = source.cookies.get(STAFF_COOKIE)
    assert value, "signed in"
    target.cookies.set(STAFF_COOKIE, value, domain="portal.test")


def assert_refused(client: PageClient) -> None:
    """Sent to sign in, and keepalive hands out no new cookie."""
    page = client.get("/staff/queue", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/staff/login")
    kept = client.post("/staff/keepalive", data={"_csrf_token": client.csrf()}, follow_redirects=False)
    assert kept.status_code == 303 and kept.headers["location"].startswith("/staff/login")
    assert f"{STAFF_COOKIE}=" not in kept.headers.get("set-cookie", "")


def post(client: PageClient, path: str, **fields: str):  # type: ignore[no-untyped-def]
    return client.post(path, data={"_csrf_token": client.csrf(), **fields}, follow_redirects=False)


def test_a_copied_cookie_stops_working_when_its_owner_signs_out(
    client: PageClient, thief: PageClient, db: Session
) -> None:
    make_user(db)
    sign_in(client)
    copy_cookie(client, thief)
    assert thief.get("/staff/queue").status_code == 200  # a copy works while the session lives
    kept = post(thief, "/staff/keepalive")
    assert kept.status_code == 201 and f"{STAFF_COOKIE}=" in kept.headers["set-cookie"]
    copy_cookie(thief, client)  # even the copy's fresher cookie dies with the session
    post(client, "/staff/logout")
    assert_refused(thief)
    copy_cookie(thief, client)
    assert_refused(client)


def test_changing_the_password_ends_copies_of_the_current_cookie_too(
    client: PageClient, thief: PageClient, db: Session
) -> None:
    make_user(db)
    sign_in(client)
    copy_cookie(client, thief)
    changed = post(
        client, "/staff/password", current=PASSWORD, new="a brand new secret", repeat="a brand new secret"
    )
    assert changed.status_code == 200 and "Your password is changed" in changed.text
    assert client.get("/staff/queue").status_code == 200  # the person who changed it stays signed in
    assert_refused(thief)


def test_switching_off_an_account_or_signing_it_out_everywhere_ends_its_sessions(
    client: PageClient, thief: PageClient, db: Session, app
) -> None:  # type: ignore[no-untyped-def]
    make_user(db, "boss")
    worker = make_user(db, "dispatcher.he", StaffRole.DISPATCHER)
    sign_in(client, "boss")
    with (
        PageClient(app=app, base_url="http://portal.test") as phone,
        PageClient(app=app, base_url="http://portal.test") as desk,
    ):
        sign_in(phone, "dispatcher.he")
        sign_in(desk, "dispatcher.he")
        copy_cookie(phone, thief)
        page = client.get("/staff/admin/users")
        assert "Sign out everywhere" in page.text
        assert post(client, f"/staff/admin/users/{worker.id}", action="signout").status_code == 303
        for browser in (phone, desk, thief):
            assert_refused(browser)
        assert client.get("/staff/queue").status_code == 200  # the administrator's own session lives on
        assert sign_in(desk, "dispatcher.he").status_code == 303  # signing in again works
        copy_cookie(desk, thief)
        assert post(client, f"/staff/admin/users/{worker.id}", action="deactivate").status_code == 303
        assert post(client, f"/staff/admin/users/{worker.id}", action="activate").status_code == 303
        assert_refused(desk)  # switching it back on does not bring the old sessions back
        assert_refused(thief)
    db.expire_all()
    signout = db.exec(select(AuditEntry).where(AuditEntry.action == "user-signout")).one()
    assert signout.username == "boss" and signout.detail == "dispatcher.he"
    audit_page = client.get("/staff/audit")
    assert "Signed an account out everywhere" in audit_page.text


def test_another_instance_refuses_a_session_ended_on_this_one(
    client: PageClient, db: Session, settings: Settings
) -> None:
    make_user(db)
    other_services = Services.build(settings, make_engine(settings.database_url))
    other_app = create_app(settings, other_services)
    try:
        with PageClient(app=other_app, base_url="http://portal.test") as elsewhere:
            sign_in(client)
            copy_cookie(client, elsewhere)
            assert elsewhere.get("/staff/queue").status_code == 200
            post(client, "/staff/logout")
            assert_refused(elsewhere)
    finally:
        other_services.engine.dispose()
        other_services.reader.dispose()


def test_a_session_ends_twelve_hours_after_signing_in_however_busy(client: PageClient, db: Session) -> None:
    make_user(db)
    sign_in(client)
    assert client.get("/staff/queue").status_code == 200
    db.execute(update(StaffSession).values(created_at=utcnow() - timedelta(hours=12, minutes=1)))
    db.commit()
    assert_refused(client)


def test_sessions_end_after_thirty_idle_minutes(client: PageClient, db: Session, services: Services) -> None:
    make_user(db)
    sign_in(client)
    session = db.exec(select(StaffSession)).one()
    token_cookie = client.cookies.get(STAFF_COOKIE)
    assert token_cookie
    token = unsign_value(services.settings.secret_key, STAFF_COOKIE, token_cookie)["s"]
    assert session.id == hashlib.sha256(token.encode()).hexdigest()  # the table alone signs nobody in

    def cookie(age: int) -> None:
        payload = {"s": token, "t": int(time.time()) - age}
        client.cookies.set(
            STAFF_COOKIE,
            sign_value(services.settings.secret_key, STAFF_COOKIE, payload),
            domain="portal.test",
        )

    cookie(IDLE_SECONDS + 5)
    assert client.get("/staff", follow_redirects=False).status_code == 303
    cookie(IDLE_SECONDS - 60)
    page = client.get("/staff")
    assert page.status_code == 200 and 'data-session-expires="1800"' in page.text
    assert "staff=" in page.headers["set-cookie"]  # the session slides forward
    # The server keeps its own clock: a session nobody used for half an hour is over, whatever a cookie says.
    db.exec(
        update(StaffSession)
        .where(col(StaffSession.id) == session.id)
        .values(last_seen_at=utcnow() - timedelta(seconds=IDLE_SECONDS + 120))
    )
    db.commit()
    cookie(0)
    assert client.get("/staff", follow_redirects=False).status_code == 303


def test_last_seen_is_written_sparingly(client: PageClient, db: Session) -> None:
    make_user(db)
    sign_in(client)
    first = db.exec(select(StaffSession)).one().last_seen_at
    for _ in range(3):
        assert client.get("/staff").status_code == 200
    db.expire_all()
    assert db.exec(select(StaffSession)).one().last_seen_at == first  # not a write per request
    db.execute(update(StaffSession).values(last_seen_at=utcnow() - timedelta(minutes=2)))
    db.commit()
    assert client.get("/staff").status_code == 200
    db.expire_all()
    assert utcnow() - db.exec(select(StaffSession)).one().last_seen_at < timedelta(seconds=30)
