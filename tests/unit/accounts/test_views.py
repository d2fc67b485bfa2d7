"""Staff sign-in, lockout, idle sessions, access rules and the audit log."""

from __future__ import annotations

import io
import re
import sys
from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from portal.accounts import service
from portal.accounts.models import AuditEntry, StaffRole, StaffUser
from portal.accounts.passwords import verify_password
from portal.accounts.service import create_user
from tests.pages import PageClient

PASSWORD = "correct horse battery"


def make_user(db: Session, username: str = "li.wei", role: StaffRole = StaffRole.ADMIN) -> StaffUser:
    user = create_user(db, username=username, password=PASSWORD, role=role, display_name="李伟")
    db.commit()
    return user


def sign_in(client: PageClient, username: str = "li.wei", password: str = PASSWORD) -> object:
    return client.post(
        "/staff/login",
        data={"username": username, "password": password, "next": "/staff", "_csrf_token": client.csrf()},
        follow_redirects=False,
    )


def audit_actions(db: Session) -> list[str]:
    db.expire_all()
    return [e.action for e in db.exec(select(AuditEntry).order_by(col(AuditEntry.id)))]


def test_staff_pages_send_strangers_to_sign_in(client: PageClient) -> None:
    for path in ("/staff", "/staff/audit", "/staff/password"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/staff/login?next=%2Fstaff")
    assert (
        client.post("/staff/logout", data={"_csrf_token": client.csrf()}, follow_redirects=False).status_code
        == 303
    )


def test_signing_in_and_out(client: PageClient, db: Session) -> None:
    make_user(db)
    response = sign_in(client)
    assert response.status_code == 303 and response.headers["location"] == "/staff"  # type: ignore[attr-defined]
    home = client.get("/staff")
    assert home.status_code == 200 and "李伟" in home.text and "Administrator" in home.text
    client.post("/staff/logout", data={"_csrf_token": client.csrf()})
    assert client.get("/staff", follow_redirects=False).status_code == 303
    assert audit_actions(db) == ["login", "logout"]


def test_a_wrong_password_says_so_without_saying_which_part(client: PageClient, db: Session) -> None:
    make_user(db)
    for username, password in (("li.wei", "wrong password"), ("nobody", PASSWORD)):
        response = sign_in(client, username, password)
        assert response.status_code == 422  # type: ignore[attr-defined]
        assert "The user name or password is not right." in response.text  # type: ignore[attr-defined]


def error_of(response: object) -> str:
    """The sign-in page's message about the user name field."""
    match = re.search(r'<p class="field-error"[^>]*>(.*?)</p>', response.text, re.S)  # type: ignore[attr-defined]
    assert match, "the page names the problem"
    return " ".join(re.sub(r"<[^>]+>", "", match.group(1)).split())


def test_five_failures_lock_the_account_from_that_address_only(client: PageClient, db: Session, app) -> None:  # type: ignore[no-untyped-def]
    make_user(db)
    with PageClient(app=app, base_url="http://portal.test", address="198.51.100.7") as guesser:
        for _ in range(5):
            assert sign_in(guesser, password="wrong password").status_code == 422  # type: ignore[attr-defined]
        locked = sign_in(guesser)  # even the right password, from the guesser's address
        assert locked.status_code == 422 and "locked" not in locked.text  # type: ignore[attr-defined]
        with PageClient(app=app, base_url="http://portal.test", address="203.0.113.20") as owner:
            assert sign_in(owner).status_code == 303  # type: ignore[attr-defined]
        assert "login-locked" in audit_actions(db) and audit_actions(db).count("login-failed") == 5
        # fifteen minutes later the guesser's address may try again
        for entry in db.exec(select(AuditEntry)):
            entry.at -= timedelta(minutes=15, seconds=1)
            db.add(entry)
        db.commit()
        assert sign_in(guesser).status_code == 303  # type: ignore[attr-defined]


def test_guessing_from_many_addresses_stops_at_the_accounts_daily_ceiling(
    client: PageClient, db: Session, app
) -> None:  # type: ignore[no-untyped-def]
    make_user(db)
    with PageClient(app=app, base_url="http://portal.test", address="203.0.113.20") as desk:
        assert sign_in(desk).status_code == 303  # type: ignore[attr-defined]  # the owner's usual desk
    phone = PageClient(app=app, base_url="http://portal.test", address="198.51.100.200")
    assert sign_in(phone).status_code == 303  # type: ignore[attr-defined]  # and the owner's phone
    phone.cookies.delete("staff", path="/")
    for n in range(10):  # 2 wrong passwords from each of 10 addresses: no address reaches its own lock
        with PageClient(app=app, base_url="http://portal.test", address=f"198.51.100.{n}") as guesser:
            for _ in range(2):
                assert sign_in(guesser, password="wrong password").status_code == 422  # type: ignore[attr-defined]
    with PageClient(app=app, base_url="http://portal.test", address="198.51.100.99") as fresh:
        refused = sign_in(fresh)  # the right password from an address the account never used
        assert refused.status_code == 422 and "locked" not in refused.text  # type: ignore[attr-defined]
    assert "login-locked" in audit_actions(db)
    with PageClient(app=app, base_url="http://portal.test", address="203.0.113.20") as desk:
        assert sign_in(desk).status_code == 303  # type: ignore[attr-defined]  # the owner still gets in
    # the owner's own browser, now on a mobile network's new address, gets in too (its cookie)
    phone._transport.address = "198.51.100.222"  # type: ignore[attr-defined]
    assert sign_in(phone).status_code == 303  # type: ignore[attr-defined]


def test_an_administrator_unlocks_an_account(client: PageClient, db: Session, app) -> None:  # type: ignore[no-untyped-def]
    make_user(db)
    boss = make_user(db, "boss")
    for _ in range(5):
        sign_in(client, password="wrong password")
    assert sign_in(client).status_code == 422  # type: ignore[attr-defined]
    with PageClient(app=app, base_url="http://portal.test", address="203.0.113.20") as admin:
        sign_in(admin, "boss")
        user = db.exec(select(StaffUser).where(StaffUser.username == "li.wei")).one()
        unlocked = admin.post(
            f"/staff/admin/users/{user.id}", data={"action": "unlock", "_csrf_token": admin.csrf()}
        )
        assert unlocked.status_code == 200 and boss.id
    assert sign_in(client).status_code == 303  # type: ignore[attr-defined]


def test_unknown_names_wrong_passwords_and_locks_answer_alike(
    client: PageClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user(db)
    make_user(db, "off.duty")
    off = db.exec(select(StaffUser).where(StaffUser.username == "off.duty")).one()
    off.active = False
    db.add(off)
    db.commit()
    verified: list[str] = []

    def counting_verify(password_hash: str | None, password: str) -> bool:
        verified.append(password)
        return verify_password(password_hash, password)

    monkeypatch.setattr(service, "verify_password", counting_verify)
    for _ in range(5):
        sign_in(client, password="wrong password")
    answers = {}
    for case, username, password in (
        ("unknown", "nobody.here", PASSWORD),
        ("wrong", "off.duty", "wrong password"),
        ("switched off", "off.duty", PASSWORD),
        ("locked", "li.wei", PASSWORD),
    ):
        verified.clear()
        response = sign_in(client, username, password)
        assert response.status_code == 422  # type: ignore[attr-defined]
        answers[case] = error_of(response)
        assert verified == [password], f"{case}: one Argon2 verify, as for any other answer"
    assert set(answers.values()) == {"Error: The user name or password is not right."}


def test_sign_in_attempts_are_rate_limited_per_address(client: PageClient) -> None:
    statuses = [sign_in(client, f"user{n}", "x" * 12).status_code for n in range(21)]  # type: ignore[attr-defined]
    assert statuses[-1] == 429 and set(statuses[:20]) == {422}


def test_other_roles_cannot_read_the_audit_log(client: PageClient, db: Session) -> None:
    make_user(db, "volunteer.chen", StaffRole.VOLUNTEER)
    sign_in(client, "volunteer.chen")
    denied = client.get("/staff/audit")
    assert denied.status_code == 403 and "You do not have access to this page" in denied.text


def test_administrators_read_the_audit_log(client: PageClient, db: Session) -> None:
    make_user(db)
    sign_in(client)
    page = client.get("/staff/audit")
    assert page.status_code == 200 and "<td>Signed in</td>" in page.text and "<td>li.wei</td>" in page.text


def test_changing_the_password_ends_other_sessions(client: PageClient, db: Session, app) -> None:  # type: ignore[no-untyped-def]
    make_user(db)
    sign_in(client)
    with PageClient(app=app, base_url="http://portal.test") as other_device:
        sign_in(other_device)
        assert other_device.get("/staff").status_code == 200
        wrong = client.post(
            "/staff/password",
            data={
                "current": "nope",
                "new": "a brand new secret",
                "repeat": "a brand new secret",
                "_csrf_token": client.csrf(),
            },
        )
        assert wrong.status_code == 422 and "current password is not right" in wrong.text
        changed = client.post(
            "/staff/password",
            data={
                "current": PASSWORD,
                "new": "a brand new secret",
                "repeat": "a brand new secret",
                "_csrf_token": client.csrf(),
            },
        )
        assert changed.status_code == 200 and "Your password is changed" in changed.text
        assert client.get("/staff").status_code == 200
        assert other_device.get("/staff", follow_redirects=False).status_code == 303
    assert sign_in(client, password="a brand new secret").status_code == 303  # type: ignore[attr-defined]


def test_sign_in_only_returns_to_staff_pages(client: PageClient, db: Session) -> None:
    make_user(db)
    response = client.post(
        "/staff/login",
        data={
            "username": "li.wei",
            "password": PASSWORD,
            "next": "//evil.example/",
            "_csrf_token": client.csrf(),
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/staff"


def test_the_first_administrator_comes_from_the_command_line(
    db: Session, monkeypatch: pytest.MonkeyPatch, settings
) -> None:  # type: ignore[no-untyped-def]
    from portal import cli

    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    assert (
        cli.main(["user", "create", "--username", "admin.zhang", "--role", "admin", "--password-stdin"]) == 0
    )
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    assert cli.main(["user", "create", "--username", "admin.two", "--password-stdin"]) == 1
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    assert (
        cli.main(["user", "create", "--username", "dept.x", "--role", "department", "--password-stdin"]) == 1
    )
    db.expire_all()
    assert [u.username for u in db.exec(select(StaffUser))] == ["admin.zhang"]


def test_every_staff_route_has_an_access_rule(app, client: PageClient) -> None:  # type: ignore[no-untyped-def]
    """Walk the app's routes: every /staff address except sign-in sends a signed-out visitor away."""
    open_doors = {"/staff/login"}
    checked = 0
    for route in app.routes:
        if not route.path.startswith("/staff") or route.path in open_doors:
            continue
        path = (
            route.path.replace("{code:str}", "ABCD-EFGH")
            .replace("{page:str}", "users")
            .replace("{row_id:int}", "1")
        )
        for method in sorted(getattr(route, "methods", set()) - {"HEAD", "OPTIONS"}):
            data = {"_csrf_token": client.csrf()} if method == "POST" else None
            response = client.request(method, path, data=data, follow_redirects=False)
            assert response.status_code == 303, f"{method} {route.path} answered {response.status_code}"
            assert response.headers["location"].startswith("/staff/login"), f"{method} {route.path}"
            checked += 1
    assert checked >= 15
