"""Language, elder mode and the security headers every page carries."""

from __future__ import annotations

from tests.pages import PageClient


def test_security_headers(client: PageClient) -> None:
    page = client.get("/")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self' 'nonce-" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["x-frame-options"] == "DENY"
    nonce = csp.split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in page.text


def test_language_from_query_is_remembered(client: PageClient) -> None:
    page = client.get("/?lang=zh-Hant")
    assert '<html lang="zh-Hant">' in page.text
    assert "lang=zh_Hant" in page.headers["set-cookie"]
    assert '<html lang="zh-Hant">' in client.get("/track").text


def test_language_from_accept_language(client: PageClient) -> None:
    client.headers["Accept-Language"] = "zh-TW,zh;q=0.9"
    assert '<html lang="zh-Hant">' in client.get("/").text
    client.headers["Accept-Language"] = "fr-FR, de;q=0.5"
    assert '<html lang="zh-Hans">' in client.get("/").text
    client.headers["Accept-Language"] = "zh-CN"
    assert '<html lang="zh-Hans">' in client.get("/").text


def test_elder_mode_is_remembered_and_can_be_left(client: PageClient) -> None:
    assert 'class="elder"' in client.get("/?elder=on").text
    assert 'class="elder"' in client.get("/report").text
    assert 'class="elder"' not in client.get("/?elder=off").text
    assert 'class="elder"' not in client.get("/report").text


def test_the_elder_switch_and_languages_are_on_every_page(client: PageClient) -> None:
    for path in ("/", "/report", "/track", "/tickets", "/privacy", "/nowhere"):
        page = client.get(path)
        assert "elder=on" in page.text and "lang=en" in page.text and "lang=zh-Hant" in page.text


def test_health(client: PageClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok", "database": "ok"}


def test_unknown_pages_are_friendly_404s(client: PageClient) -> None:
    page = client.get("/nowhere")
    assert page.status_code == 404 and "We could not find this page" in page.text


def test_staff_pages_are_never_stored(client: PageClient, db) -> None:  # type: ignore[no-untyped-def]
    """Staff pages carry residents' personal data: a shared computer's cache must not keep them."""
    from portal.accounts.models import StaffRole
    from portal.accounts.service import create_user

    create_user(db, username="cache.check", password="a-long-staff-password-1", role=StaffRole.ADMIN)
    db.commit()
    assert client.get("/staff/login").headers["cache-control"] == "no-store"
    client.post(
        "/staff/login",
        data={"username": "cache.check", "password": "a-long-staff-password-1", "_csrf_token": client.csrf()},
    )
    for path in ("/staff", "/staff/queue", "/staff/audit", "/staff/admin"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "no-store", path
    assert "no-store" not in client.get("/").headers.get("cache-control", "")
