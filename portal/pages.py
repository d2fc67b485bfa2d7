"""Home, preferences, media files and the friendly error pages."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from sqlmodel import Session, col, select

from portal import access
from portal.accounts.auth import AccessDenied, session_user
from portal.accounts.models import PRESS_ROLES
from portal.db import utcnow
from portal.dispatch.service import may_see
from portal.i18n import N_
from portal.progress import service as progress_service
from portal.progress.models import Project, ProjectPhoto, Story, StoryImage, StoryText
from portal.progress.visibility import is_public_story, story_field
from portal.services import services_of
from portal.templating import render
from portal.tickets.models import Photo, Ticket
from portal.web import TAKES_PHOTOS, page_of

log = logging.getLogger("portal")


@get("/", sync_to_thread=True)
def home(request: Request[Any, Any, Any], db_session: NamedDependency[Session]) -> Response[str]:
    locale = page_of(request).locale
    config = services_of(request).settings.hant_conversion
    stories = [
        (story, story_field(live, "title", locale, config))
        for story, live in progress_service.stories_of(db_session, utcnow(), limit=3)
    ]
    return render(request, "home.html", {"latest_stories": stories})


@get("/privacy", sync_to_thread=False)
def privacy(request: Request[Any, Any, Any]) -> Response[str]:
    return render(request, "privacy.html")


# An approved photo may still be hidden again, or its ticket made private: shared caches must let
# go of it within minutes, so it is neither immutable nor kept for long.
PUBLIC_PHOTO_CACHE = "public, max-age=300"
PRIVATE_PHOTO_CACHE = "private, no-store"


@get("/media/{digest:str}/{size:str}", sync_to_thread=True)
def media_file(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[Session],
    digest: FromPath[str],
    size: FromPath[str],
) -> Response[bytes]:
    """A photo: to everyone once staff approved it on a public ticket, else only to browsers granted
    the ticket and to staff who may see the ticket (who must see a photo to approve it). A project's
    photo or a story's image: to everyone once the project or the story is public, else only to the
    press office (which must see what it is about to publish)."""
    services = services_of(request)
    if size not in {"full", "thumb"} or len(digest) != 64:
        raise NotFoundException()
    rows = db_session.exec(
        select(Photo, Ticket).join(Ticket, col(Ticket.id) == Photo.ticket_id).where(Photo.digest == digest)
    ).all()
    public = any(photo.approved and ticket.is_public for photo, ticket in rows)
    if not public:  # a ticket's public photo (the busy case) needs nothing more
        public, in_progress = _progress_image(db_session, digest)
        if not public and not _may_see_private(request, db_session, [t for _p, t in rows], in_progress):
            raise NotFoundException()
    data = services.media.open_bytes(digest, "full" if size == "full" else "thumb")
    if data is None:
        raise NotFoundException()
    cache = PUBLIC_PHOTO_CACHE if public else PRIVATE_PHOTO_CACHE
    return Response(content=data, media_type="image/jpeg", headers={"Cache-Control": cache})


def _progress_image(session: Session, digest: str) -> tuple[bool, bool]:
    """Whether a project's photo or a story's image with this digest is public, and whether there is one."""
    published = list(
        session.exec(
            select(Project.published)
            .join(ProjectPhoto, col(ProjectPhoto.project_id) == Project.id)
            .where(ProjectPhoto.digest == digest)
        )
    )
    stories = list(
        session.exec(
            select(Story)
            .join(StoryImage, col(StoryImage.story_id) == Story.id)
            .where(StoryImage.digest == digest)
        )
    )
    now = utcnow()
    public = any(published) or any(
        is_public_story(session, story, now) and _in_live_text(session, story, digest) for story in stories
    )
    return public, bool(published or stories)


def _in_live_text(session: Session, story: Story, digest: str) -> bool:
    """An image is public with the approved words that show it, not with an edit awaiting review."""
    bodies = session.exec(
        select(StoryText.body).where(StoryText.story_id == story.id, StoryText.stage == "live")
    )
    return any(f"/media/{digest}/" in body for body in bodies)


def _may_see_private(
    request: Request[Any, Any, Any], session: Session, tickets: list[Ticket], in_progress: bool
) -> bool:
    """A browser granted one of the tickets; staff who may see one of them; the press office for a
    project's photo or a story's image (it must see what it is about to publish)."""
    services = services_of(request)
    if any(access.has_access(request, services.settings.secret_key, ticket.code) for ticket in tickets):
        return True
    if not (tickets or in_progress):
        return False
    user = session_user(request, services.settings, services.reader)
    if user is None:
        return False
    return (in_progress and user.role in PRESS_ROLES) or any(may_see(session, user, t) for t in tickets)


@get("/errors/unavailable", sync_to_thread=False)
def unavailable(request: Request[Any, Any, Any]) -> Response[str]:
    """What the load balancer shows in place of its own 502 or 504 when an instance dies or does not
    answer (``error_page`` in docs/deploy.md): in the resident's language, from a working instance,
    telling what to do with a form that may or may not have arrived."""
    return render(
        request,
        "errors/error.html",
        {"status": 503, "title_id": UNAVAILABLE, "unavailable": True},
        status_code=503,
        headers={"Cache-Control": "no-store"},
    )


UNAVAILABLE = N_("The portal did not answer in time")
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
    # The path from the scope: request.url also parses the Host header, which may be what is wrong.
    path = str(request.scope.get("path", "/"))
    if isinstance(exc, HTTPException):
        status = exc.status_code
    else:  # a form in a charset that is not what it says is the sender's mistake, not ours
        status = 400 if isinstance(exc, UnicodeDecodeError | LookupError) else 500
    if status == 401 and path.startswith("/staff"):
        query = bytes(request.scope.get("query_string", b"")).decode("latin-1")
        target = path + (f"?{query}" if query else "")
        return Redirect(f"/staff/login?{urlencode({'next': target})}", status_code=303)
    if status >= 500:
        log.exception("unhandled error on %s", path, exc_info=exc)
    headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else {}
    if path.startswith(("/healthz", "/readyz", "/open311")):
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


route_handlers = [home, privacy, unavailable, media_file]
