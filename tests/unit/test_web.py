"""Language, elder mode and the security headers every page carries."""

from __future__ import annotations

import os
from typing import Any

import httpx
import pytest

from portal.web import _host_is_well_formed
from tests.live import chunked, live_server, pieces, send_raw, while_running
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


# --- big bodies ------------------------------------------------------------------------------

BIG = 44 * 1024 * 1024
FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize("path", ["/track", "/staff/login", "/staff/admin/users", "/report"])
@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_big_form_is_refused_at_once_and_health_stays_quick(app: Any, path: str, framing: str) -> None:
    """A 44 MB form to a page that takes no photos (or not as a form of text) gets 413 within a
    second, unread, while /readyz goes on answering within 100 ms. The form carries a CSRF cookie
    but no token, so the CSRF check would read the whole form to look for one."""
    head = {"Content-Type": FORM}
    body = pieces(BIG, fill=b"code=a&")
    if framing == "chunked":
        head["Transfer-Encoding"] = "chunked"
        body = chunked(body)
    else:
        head["Content-Length"] = str(BIG)
    with live_server(app) as base:
        head["Cookie"] = "csrftoken=" + httpx.get(f"{base}/track").cookies["csrftoken"]
        answer, health = while_running(lambda: send_raw(base, path, head, body), base)
    assert answer.status == 413, answer.head
    assert answer.seconds < 1.0
    health.assert_quick(0.1)


def _multipart(boundary: str, fields: dict[str, str], files: list[bytes]) -> bytes:
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts += [
        f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="p{index}.jpg"\r\n'
        f"Content-Type: image/jpeg\r\n\r\n".encode()
        + data
        + b"\r\n"
        for index, data in enumerate(files)
    ]
    return b"".join(parts) + f"--{boundary}--\r\n".encode()


@pytest.mark.parametrize(("megabytes", "status"), [(40, 422), (50, 413)])
def test_photos_up_to_the_limit_are_read_without_stalling_the_server(
    app: Any, megabytes: int, status: int
) -> None:
    """Four big files go to /report as multipart: within the upload limit they are read (and refused
    as not photos, with the form shown again) while /readyz answers within 100 ms; over it, 413."""
    boundary = "portal-test-boundary"
    with live_server(app) as base:
        token = httpx.get(f"{base}/track").cookies["csrftoken"]
        body = _multipart(
            boundary,
            {"_csrf_token": token, "description": "x"},
            [os.urandom(megabytes * 1024 * 1024 // 4 - 1024) for _ in range(4)],
        )
        head = {
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(len(body)),
            "Cookie": f"csrftoken={token}",
        }
        answer, health = while_running(lambda: send_raw(base, "/report", head, pieces_of(body)), base)
    assert answer.status == status, answer.head
    health.assert_quick(0.1)


def pieces_of(data: bytes, size: int = 256 * 1024) -> Any:
    return (data[i : i + size] for i in range(0, len(data), size))


def test_a_refused_form_says_why_in_the_readers_language(client: PageClient) -> None:
    client.headers["Accept-Language"] = "zh-CN"
    client.csrf()
    response = client.post(
        "/track", content=b"code=a&" * 20_000, headers={"Content-Type": FORM}, follow_redirects=False
    )
    assert response.status_code == 413
    assert "<h1>上传的文件太大了</h1>" in response.text
    assert "表单发送的内容远超本页面可接受的大小" in response.text
    assert (
        "照片" not in response.text.split("<h1>")[1]
    )  # this page takes no photos: it does not speak of them
    assert "content-security-policy" in response.headers


@pytest.mark.parametrize("host", ["127.0.0.1:abc", "127.0.0.1:99999999", "127.0.0.1:-1"])
def test_a_malformed_host_is_a_bad_request(client: PageClient, host: str) -> None:
    assert client.get("/report", headers={"Host": host}).status_code == 400


def test_which_hosts_are_well_formed() -> None:
    assert all(map(_host_is_well_formed, ["portal.test", "127.0.0.1:8100", "[::1]:8100", "[::1]", None]))
    bad = ["127.0.0.1:８１００", "127.0.0.1:8100/x", "a@evil.example", "", ":80", "x:"]
    assert not any(map(_host_is_well_formed, bad))


@pytest.mark.parametrize("path", ["/staff/login", "/report"])
def test_a_form_in_a_broken_charset_is_a_bad_request(client: PageClient, path: str) -> None:
    body = b'--B\r\nContent-Disposition: form-data; name="username"\r\n\r\n\xff\xfe\r\n--B--\r\n'
    answer = client.post(path, content=body, headers={"Content-Type": "multipart/form-data; boundary=B"})
    assert answer.status_code == 400


@pytest.mark.parametrize("path", ["/tickets?street=%00", "/progress/%00", "/stories/a%00b", "/t/ABCD-%00"])
def test_a_nul_in_an_address_is_a_bad_request(client: PageClient, path: str) -> None:
    assert client.get(path).status_code == 400


@pytest.mark.parametrize("path", ["/progress/%2500", "/stories/%2500", "/progress/%2500/follow", "/t/%2500"])
def test_an_escaped_nul_is_not_found(client: PageClient, path: str) -> None:
    assert client.get(path).status_code in {400, 404}
