"""Per-request page context (locale, elder mode, CSP nonce), security headers and HTML rendering."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl

import anyio
from litestar import Request, Response
from litestar.enums import MediaType
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send

from portal.i18n import DEFAULT_LOCALE, Translator, locale_from_tag, negotiate, translator
from portal.numbers import whole_number

LANG_COOKIE = "lang"
ELDER_COOKIE = "elder"
YEAR = 365 * 24 * 3600


@dataclass
class PageContext:
    locale: str
    elder: bool
    nonce: str
    set_cookies: list[str] = field(default_factory=list)

    @property
    def t(self) -> Translator:
        return translator(self.locale)


def _cookie_header(name: str, value: str, *, secure: bool) -> str:
    flags = "; Secure" if secure else ""
    return f"{name}={value}; Path=/; Max-Age={YEAR}; SameSite=Lax{flags}"


def _read_cookies(scope: Scope) -> dict[str, str]:
    for key, value in scope["headers"]:
        if key == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header is the client's problem, not a 500
                return {}
            return {k: m.value for k, m in jar.items()}
    return {}


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def build_page_context(scope: Scope, *, secure: bool) -> PageContext:
    query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
    cookies = _read_cookies(scope)
    set_cookies: list[str] = []

    locale = locale_from_tag(query.get("lang"))
    if locale:
        set_cookies.append(_cookie_header(LANG_COOKIE, locale, secure=secure))
    else:
        locale = (
            locale_from_tag(cookies.get(LANG_COOKIE))
            or negotiate(_header(scope, b"accept-language"))
            or DEFAULT_LOCALE
        )

    elder_param = query.get("elder")
    if elder_param in {"on", "off"}:
        elder = elder_param == "on"
        set_cookies.append(_cookie_header(ELDER_COOKIE, "1" if elder else "0", secure=secure))
    else:
        elder = cookies.get(ELDER_COOKIE) == "1"

    return PageContext(locale=locale, elder=elder, nonce=secrets.token_urlsafe(12), set_cookies=set_cookies)


def content_security_policy(nonce: str) -> str:
    return (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


_STATIC_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"geolocation=(self), camera=(), microphone=(), payment=()"),
]


def _is_staff_path(path: str) -> bool:
    return path == "/staff" or path.startswith("/staff/")


class PageContextMiddleware:
    """Negotiates locale and elder mode once per request and adds the security headers to every response."""

    def __init__(self, app: ASGIApp, *, secure_cookies: bool = False) -> None:
        self.app = app
        self.secure_cookies = secure_cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        page = build_page_context(scope, secure=self.secure_cookies)
        scope.setdefault("state", {})["page"] = page
        private = _is_staff_path(scope.get("path", ""))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if private:  # staff pages carry personal data: no browser or proxy keeps a copy
                    headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"]
                    headers.append((b"cache-control", b"no-store"))
                headers.extend(_STATIC_HEADERS)
                headers.append((b"content-security-policy", content_security_policy(page.nonce).encode()))
                headers.extend((b"set-cookie", c.encode("latin-1")) for c in page.set_cookies)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


# A form of text (a staff note of 2,000 Chinese characters is about 18 KB once URL-encoded) fits
# well within this; anything bigger is refused before a byte of it is parsed.
SMALL_BODY_BYTES = 64 * 1024
TAKES_PHOTOS = "takes_photos"  # route opt: this route accepts a multipart body of photos
MAX_BODY = "max_body"  # route opt: a route's own limit for other bodies, in bytes


def body_limit(scope: Scope, upload_bytes: int) -> int:
    """The most a request may send: photos only as multipart to a route that takes them, else little."""
    opt = getattr(scope.get("route_handler"), "opt", None) or {}
    content_type = (_header(scope, b"content-type") or "").split(";", 1)[0].strip().lower()
    if opt.get(TAKES_PHOTOS) and content_type == "multipart/form-data":
        return upload_bytes
    return int(opt.get(MAX_BODY, SMALL_BODY_BYTES))


def _host_is_well_formed(host: str | None) -> bool:
    """A Host header a URL can be built from: a name or address and, if any, a port of ASCII digits."""
    if host is None:
        return True
    name, colon, port = host.rpartition(":") if not host.endswith("]") else (host, "", "")
    if not colon:
        name = host
    elif not (port.isascii() and port.isdecimal() and len(port) <= 5 and int(port) <= 65535):
        return False
    return bool(name) and name.isascii() and not any(c in name for c in "/\\@?#% \t")


async def _plain(send: Send, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    start: Any = {"type": "http.response.start", "status": status, "headers": headers}
    await send(start)
    await send({"type": "http.response.body", "body": body, "more_body": False})


class BodyLimitMiddleware:
    """Refuses a body over the route's limit with 413 before it is read, or as soon as a body without
    a Content-Length (chunked) passes the limit, so that a big form is never parsed on the event loop.
    ``refuse`` renders the answer (the friendly error page)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        upload_bytes: int,
        refuse: Callable[[Request[Any, Any, Any], Exception], Response[Any]],
    ) -> None:
        self.app = app
        self.upload_bytes = upload_bytes
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not _host_is_well_formed(_header(scope, b"host")):
            await _plain(send, 400, b"Bad Host header")
            return
        if "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b""):
            # No address or query of this portal has a NUL; PostgreSQL refuses it in any text.
            await _plain(send, 400, b"Bad request")
            return
        limit = body_limit(scope, self.upload_bytes)
        declared = _header(scope, b"content-length")
        if declared is not None and (whole_number(declared, high=limit) is None):
            await self._refuse(scope, send)
            return
        received = 0
        started = False

        async def counting_receive() -> ReceiveMessage:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise RequestEntityTooLarge
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except RequestEntityTooLarge:
            if started:
                raise
            await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        async def nothing_more() -> ReceiveMessage:
            return {"type": "http.disconnect"}

        request: Request[Any, Any, Any] = Request(scope, nothing_more)
        response = self.refuse(request, RequestEntityTooLarge())
        # The rest of the body is never read: the connection cannot carry another request after it.
        response.headers["Connection"] = "close"
        await response.to_asgi_response(None, request)(scope, nothing_more, send)


def page_of(request: Request[Any, Any, Any]) -> PageContext:
    page = request.scope.get("state", {}).get("page")
    if page is None:  # requests that bypassed the middleware (tests calling handlers directly)
        page = build_page_context(request.scope, secure=False)
        request.scope.setdefault("state", {})["page"] = page
    return page


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    """An htmx request wants a fragment; a history restore (after a cache miss) wants the whole page."""
    headers = request.headers
    return headers.get("hx-request") == "true" and headers.get("hx-history-restore-request") != "true"


def html(content: str, status_code: int = 200, headers: dict[str, str] | None = None) -> Response[str]:
    return Response(content=content, status_code=status_code, media_type=MediaType.HTML, headers=headers)


async def in_thread(fn: Any, *args: Any) -> Any:
    """Run the blocking part of a handler (database, image work) off the event loop."""
    return await anyio.to_thread.run_sync(functools.partial(fn, *args))
