"""Staff sessions and the guards on staff routes.

A signed cookie names a row of ``staff_session`` (see ``service.start_session``). The row, not the
cookie, decides: a session ends after 30 idle minutes, 12 hours after signing in, or when it is
ended (signing out, a password change, a switched-off account, "sign out everywhere"), on every
instance at once because the database is shared."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from portal.accounts.models import StaffRole, StaffSession, StaffUser
from portal.accounts.service import session_key
from portal.db import utcnow
from portal.security import sign_value, unsign_value
from portal.settings import Settings

STAFF_COOKIE = "staff"
IDLE_SECONDS = 30 * 60
WARN_SECONDS = 5 * 60  # the page warns this long before the session ends
LIFETIME = timedelta(hours=12)  # however busy: a copied cookie cannot live longer than a shift
SEEN_EVERY = timedelta(seconds=60)  # last_seen_at is written at most this often, not on every request


class AccessDenied(HTTPException):
    """Signed in, but this role may not use this page."""

    status_code = 403


def session_cookie(settings: Settings, token: str, now: float | None = None) -> str:
    value = sign_value(settings.secret_key, STAFF_COOKIE, {"s": token, "t": int(now or time.time())})
    secure = "; Secure" if settings.secure_cookies else ""
    return f"{STAFF_COOKIE}={value}; Path=/; Max-Age={IDLE_SECONDS}; HttpOnly; SameSite=Lax{secure}"


def ended_cookie(settings: Settings) -> str:
    secure = "; Secure" if settings.secure_cookies else ""
    return f"{STAFF_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{secure}"


def cookie_token(connection: ASGIConnection[Any, Any, Any, Any], settings: Settings) -> str | None:
    """The session token of a cookie this portal signed and that has not idled out on this device."""
    payload = unsign_value(settings.secret_key, STAFF_COOKIE, connection.cookies.get(STAFF_COOKIE))
    if not isinstance(payload, dict) or not isinstance(payload.get("t"), int):
        return None
    if time.time() - payload["t"] > IDLE_SECONDS or not isinstance(payload.get("s"), str):
        return None
    return payload["s"]


def live_session(reader: Engine, token: str, now: datetime) -> tuple[StaffSession, StaffUser] | None:
    """The session and its user, if it is still live: one read by primary key."""
    with Session(reader, expire_on_commit=False) as session:
        row = session.exec(
            select(StaffSession, StaffUser)
            .join(StaffUser, col(StaffUser.id) == col(StaffSession.user_id))
            .where(StaffSession.id == session_key(token))
        ).first()
    if row is None:
        return None
    staff_session, user = row
    if (
        staff_session.ended_at is not None
        or not user.active
        or now - staff_session.created_at > LIFETIME
        # last_seen_at lags by up to SEEN_EVERY: allow for that, the cookie's own clock is exact
        or now - staff_session.last_seen_at > timedelta(seconds=IDLE_SECONDS) + SEEN_EVERY
    ):
        return None
    return staff_session, user


def session_user(
    connection: ASGIConnection[Any, Any, Any, Any], settings: Settings, reader: Engine
) -> StaffUser | None:
    """The staff member signed in on this request, if any, for pages outside the staff routes
    (a photo waiting for review); it does not slide the session."""
    token = cookie_token(connection, settings)
    live = live_session(reader, token, utcnow()) if token else None
    return live[1] if live else None


def _mark_seen(engine: Engine, staff_session: StaffSession, now: datetime) -> None:
    if now - staff_session.last_seen_at < SEEN_EVERY:
        return
    with engine.begin() as connection:
        connection.execute(
            update(StaffSession)
            .where(col(StaffSession.id) == staff_session.id, col(StaffSession.ended_at).is_(None))
            .values(last_seen_at=now)
        )


def staff_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Every staff route: a live session, and a role the route allows (``opt={"roles": [...]}``)."""
    services = connection.app.state.services
    token = cookie_token(connection, services.settings)
    now = utcnow()
    live = live_session(services.reader, token, now) if token else None
    if token is None or live is None:
        raise NotAuthorizedException()
    staff_session, user = live
    roles: list[StaffRole] | None = handler.opt.get("roles")
    if roles is not None and StaffRole(user.role) not in roles:
        raise AccessDenied()
    state = connection.scope.setdefault("state", {})
    _mark_seen(services.engine, staff_session, now)
    state["staff_user"] = user
    state["staff_session"] = token
    state["staff_cookie"] = session_cookie(services.settings, token)


def current_session(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The token of the session the guard let in."""
    token = connection.scope.get("state", {}).get("staff_session")
    if not isinstance(token, str):
        raise NotAuthorizedException()
    return token


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
