"""Staff sessions (a signed cookie that ends after 30 idle minutes) and the guards on staff routes."""

from __future__ import annotations

import time
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlmodel import Session

from portal.accounts.models import StaffRole, StaffUser
from portal.security import sign_value, unsign_value
from portal.settings import Settings

STAFF_COOKIE = "staff"
IDLE_SECONDS = 30 * 60
WARN_SECONDS = 5 * 60  # the page warns this long before the session ends


class AccessDenied(HTTPException):
    """Signed in, but this role may not use this page."""

    status_code = 403


def session_cookie(settings: Settings, user: StaffUser, now: float | None = None) -> str:
    payload = {"u": user.id, "v": user.session_version, "t": int(now or time.time())}
    value = sign_value(settings.secret_key, STAFF_COOKIE, payload)
    secure = "; Secure" if settings.secure_cookies else ""
    return f"{STAFF_COOKIE}={value}; Path=/; Max-Age={IDLE_SECONDS}; HttpOnly; SameSite=Lax{secure}"


def ended_cookie(settings: Settings) -> str:
    secure = "; Secure" if settings.secure_cookies else ""
    return f"{STAFF_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{secure}"


def session_user(
    connection: ASGIConnection[Any, Any, Any, Any], settings: Settings, engine: Any
) -> StaffUser | None:
    """The signed-in staff member, or None when there is no session, it idled out, or was ended."""
    payload = unsign_value(settings.secret_key, STAFF_COOKIE, connection.cookies.get(STAFF_COOKIE))
    if not isinstance(payload, dict) or not isinstance(payload.get("t"), int):
        return None
    if time.time() - payload["t"] > IDLE_SECONDS:
        return None
    with Session(engine, expire_on_commit=False) as session:
        user = session.get(StaffUser, payload.get("u"))
    if user is None or not user.active or user.session_version != payload.get("v"):
        return None
    return user


def staff_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Every staff route: a live session, and a role the route allows (``opt={"roles": [...]}``)."""
    services = connection.app.state.services
    user = session_user(connection, services.settings, services.engine)
    if user is None:
        raise NotAuthorizedException()
    roles: list[StaffRole] | None = handler.opt.get("roles")
    if roles is not None and StaffRole(user.role) not in roles:
        raise AccessDenied()
    state = connection.scope.setdefault("state", {})
    state["staff_user"] = user
    state["staff_cookie"] = session_cookie(services.settings, user)


def current_staff(connection: ASGIConnection[Any, Any, Any, Any]) -> StaffUser:
    user = connection.scope.get("state", {}).get("staff_user")
    if not isinstance(user, StaffUser):
        raise NotAuthorizedException()
    return user


class StaffCookieMiddleware:
    """Slides the session: every guarded staff response carries the cookie with a fresh timestamp."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_cookie(message: Message) -> None:
            cookie = scope.get("state", {}).get("staff_cookie")
            if message["type"] == "http.response.start" and cookie:
                message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie.encode("latin-1"))]
            await send(message)

        await self.app(scope, receive, send_with_cookie)
