"""Home, preferences, media files, health and the friendly error pages."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy import text
from sqlmodel import Session, col, select

from portal import access
from portal.accounts.auth import AccessDenied
from portal.i18n import N_
from portal.services import services_of
from portal.templating import render
from portal.tickets.models import Photo, Ticket
from portal.web import TAKES_PHOTOS

log = logging.getLogger("portal")


@get("/", sync_to_thread=False)
def home(request: Request[Any, Any, Any]) -> Response[str]:
    return render(request, "home.html")


@get("/privacy", sync_to_thread=False)
def privacy(request: Request[Any, Any, Any]) -> Response[str]:
    return render(request, "privacy.html")


@get("/media/{digest:str}/{size:str}", sync_to_thread=True)
def media_file(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[Session],
    digest: FromPath[str],
    size: FromPath[str],
) -> Response[bytes]:
    """A photo: to everyone once staff approved it on a public ticket, else only to browsers granted the ticket."""
    services = services_of(request)
    if size not in {"full", "thumb"} or len(digest) != 64:
        raise NotFoundException()
    rows = db_session.exec(
        select(Photo, Ticket).join(Ticket, col(Ticket.id) == Photo.ticket_id).where(Photo.digest == digest)
    ).all()
    public = any(photo.approved and ticket.is_public for photo, ticket in rows)
    secret = services.settings.secret_key
    if not public and not any(access.has_access(request, secret, ticket.code) for _photo, ticket in rows):
        raise NotFoundException()
    data = services.media.open_bytes(digest, "full" if size == "full" else "thumb")
    if data is None:
        raise NotFoundException()
    cache = "public, max-age=31536000, immutable" if public else "private, max-age=3600"
    return Response(content=data, media_type="image/jpeg", headers={"Cache-Control": cache})


@get("/healthz", sync_to_thread=True)
def healthz(
    request: Request[Any, Any, Any], db_session: NamedDependency[Session]
) -> Response[dict[str, str]]:
    try:
        db_session.exec(text("SELECT 1"))  # type: ignore[call-overload]
    except Exception:
        log.exception("health check: database unreachable")
        return Response({"status": "error", "database": "unreachable"}, status_code=503)
    return Response({"status": "ok", "database": "ok"}, headers={"Cache-Control": "no-store"})


ACCESS_DENIED = N_("You do not have access to this page")
ERROR_TITLES = {
    400: N_("Something in the request was not right"),
    403: N_("This page has expired"),
    404: N_("We could not find this page"),
    405: N_("This page cannot be used like that"),
    413: N_("That upload is too large"),
    422: N_("Something in the request was not right"),
    429: N_("Too many tries"),
    500: N_("Something went wrong on our side"),
}


def error_page(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 401 and request.url.path.startswith("/staff"):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return Redirect(f"/staff/login?{urlencode({'next': target})}", status_code=303)
    if status >= 500:
        log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else {}
    if request.url.path.startswith(("/healthz", "/open311")):
        return Response({"status": status}, status_code=status, headers=headers)
    return render(
        request,
        "errors/error.html",
        {
            "status": status,
            "title_id": ACCESS_DENIED
            if isinstance(exc, AccessDenied)
            else ERROR_TITLES.get(status, ERROR_TITLES[500]),
            "denied": isinstance(exc, AccessDenied),
            "retry_after": headers.get("Retry-After"),
            "takes_photos": bool(getattr(request.scope.get("route_handler"), "opt", {}).get(TAKES_PHOTOS)),
        },
        status_code=status,
        headers=headers,
    )


route_handlers = [home, privacy, media_file, healthz]
