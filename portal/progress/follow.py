"""Residents follow a project by SMS: a one-time code confirms the phone first; then a text when a
milestone is reached or a story is published, at most one a day per project, each with a one-tap
unsubscribe link.

Nothing is stored until the code comes back (``portal.tickets.confirm`` signs a note of the number,
the subject ``project:<slug>``, the expiry and a nonce; the code is an HMAC of that note). The
unsubscribe link's page changes nothing by being opened: link scanners in mail and message apps
open links by themselves, so only the button (a POST) unsubscribes.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from sqlmodel import Session, col, or_, select

from portal.contact import mask_phone, normalize_mobile
from portal.db import utcnow
from portal.i18n import N_, translator
from portal.progress.models import Milestone, MilestoneStatus, Project, ProjectFollower, Story
from portal.progress.texts import field
from portal.progress.visibility import public_project, public_story, story_field, story_texts
from portal.services import Services, services_of
from portal.sms import SmsGateway
from portal.templating import render
from portal.tickets import confirm
from portal.tickets.forms import clean_text
from portal.web import in_thread, is_htmx, page_of

NO_STORE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
SMS_EVERY = timedelta(days=1)
# News waits for a follower who was texted less than a day ago; older news is no longer news.
NEWS_DAYS = 3

BAD_PHONE = N_("Enter an 11-digit mainland mobile number, like 13812345678.")
EXPIRED = N_("This code has expired. Enter your number again for a new one.")
WRONG_CODE = N_("That is not the code we sent. Check the SMS and try again.")
FOLLOWING = N_(
    "Thank you. You now follow this project: we will text you when a milestone is reached or a story is "
    "published, at most once a day."
)


def subject_of(project: Project) -> str:
    return f"project:{project.slug}"


def public_project_or_404(session: Session, slug: str) -> Project:
    project = session.exec(select(Project).where(Project.slug == slug, public_project())).first()
    if project is None:
        raise NotFoundException()
    return project


def add_follower(session: Session, project: Project, phone: str, locale: str) -> ProjectFollower:
    """The confirmed phone follows the project (again: it keeps its link, in the language chosen now)."""
    follower = session.exec(
        select(ProjectFollower).where(
            ProjectFollower.project_id == project.id, ProjectFollower.phone == phone
        )
    ).first()
    if follower is None:
        follower = ProjectFollower(
            project_id=project.id or 0, phone=phone, locale=locale, token=secrets.token_urlsafe(16)
        )
    follower.locale = locale
    session.add(follower)
    session.flush()
    return follower


def follower_by_token(session: Session, token: str) -> ProjectFollower | None:
    if not 10 <= len(token) <= 32:
        return None
    return session.exec(select(ProjectFollower).where(ProjectFollower.token == token)).first()


# --- the pages ---------------------------------------------------------------------------------


def _answer(
    request: Request[Any, Any, Any],
    project: Project,
    *,
    errors: dict[str, str] | None = None,
    note: str = "",
    phone: str = "",
    value: str = "",
    notice: str = "",
    status_code: int = 200,
) -> Response[str]:
    """The follow page, or (for htmx) only its form swapped into the project page."""
    t = page_of(request).t
    shown_errors = {k: t.gettext(v) for k, v in (errors or {}).items()}
    context = {
        "project": project,
        "project_title": field(
            project, "title", page_of(request).locale, services_of(request).settings.hant_conversion
        ),
        "follow_errors": shown_errors,  # the project page has its own "errors"
        "errors": shown_errors,
        "follow_note": note,
        "follow_phone": mask_phone(phone) if phone else "",
        "follow_value": value,
        "follow_notice": t.gettext(notice) if notice else "",
    }
    return render(
        request, "progress/follow.html", context, fragment="progress/_follow.html",
        status_code=status_code, headers=NO_STORE,
    )  # fmt: skip


@get("/progress/{slug:str}/follow")
async def follow_page(request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[str]:
    # async with the database work in a thread: a sync handler sharing its path with another method
    # is registered twice by Litestar and would be wrapped twice.
    return await in_thread(_follow_page, request, slug)


def _follow_page(request: Request[Any, Any, Any], slug: str) -> Response[str]:
    with Session(services_of(request).engine) as session:
        project = public_project_or_404(session, slug)
    notice = FOLLOWING if request.query_params.get("followed") == "1" else ""
    return _answer(request, project, notice=notice)


@post("/progress/{slug:str}/follow")
async def follow_start(request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[str]:
    form = await request.form()
    return await in_thread(_follow_start, request, slug, str(form.get("phone", ""))[:40])


def _follow_start(request: Request[Any, Any, Any], slug: str, typed: str) -> Response[str]:
    services = services_of(request)
    with Session(services.engine) as session:
        project = public_project_or_404(session, slug)
    phone = normalize_mobile(clean_text(typed))
    if phone is None:
        return _answer(request, project, errors={"follow-phone": BAD_PHONE}, value=typed, status_code=422)
    note = send_code(request, services, project, phone)
    return _answer(request, project, note=note, phone=phone)


def send_code(request: Request[Any, Any, Any], services: Services, project: Project, phone: str) -> str:
    """Text a code to the phone (a few per number and per address an hour, shared with the "me too"
    codes: together they are what one number may be sent); the note for the form."""
    title = field(project, "title", page_of(request).locale, services.settings.hant_conversion).text
    return confirm.text_code(
        request, services, phone, subject_of(project),
        N_("Jimei: code %(code)s, to follow “%(project)s” by SMS. Valid 10 minutes."), project=title,
    )  # fmt: skip


@post("/progress/{slug:str}/follow/confirm")
async def follow_confirm(request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
    form = await request.form()
    return await in_thread(
        _follow_confirm, request, slug, str(form.get("note", ""))[:2000], str(form.get("code", ""))[:20]
    )


def _follow_confirm(request: Request[Any, Any, Any], slug: str, note: str, typed: str) -> Response[Any]:
    services = services_of(request)
    secret = services.settings.secret_key
    with Session(services.engine, expire_on_commit=False) as session:
        project = public_project_or_404(session, slug)
        pending = confirm.read(secret, note)
        if pending is None or pending.ticket != subject_of(project) or pending.expired:
            return _answer(request, project, errors={"follow-phone": EXPIRED}, status_code=422)
        checked = confirm.check_code(request, services, pending, typed)
        if checked is confirm.Checked.USED:
            return _answer(request, project, errors={"follow-phone": confirm.USED_CODE}, status_code=422)
        if checked is confirm.Checked.WRONG:
            return _answer(
                request,
                project,
                errors={"follow-code": WRONG_CODE},
                note=note,
                phone=pending.phone,
                status_code=422,
            )
        add_follower(session, project, pending.phone, page_of(request).locale)
        session.commit()
    if is_htmx(request):
        return _answer(request, project, notice=FOLLOWING)
    return Redirect(f"/progress/{project.slug}/follow?followed=1", status_code=303)


def _unsubscribe_page(
    request: Request[Any, Any, Any], session: Session, token: str, *, stopped: str = ""
) -> Response[str]:
    follower = follower_by_token(session, token)
    locale = page_of(request).locale
    config = services_of(request).settings.hant_conversion
    project = session.get(Project, follower.project_id) if follower else None
    if follower is None and stopped:
        project = session.exec(select(Project).where(Project.slug == stopped)).first()
    # An unpublished project is not named, even here.
    title = field(project, "title", locale, config).text if project is not None and project.published else ""
    return render(
        request,
        "progress/unsubscribe.html",
        {
            "follower": follower,
            "token": token,
            "masked_phone": mask_phone(follower.phone) if follower else "",
            "project": project if project is not None and project.published else None,
            "project_title": title,
            "stopped": bool(stopped) and follower is None,
        },
        status_code=200 if follower is not None or stopped else 404,
        headers=NO_STORE,
    )


@get("/progress/unsubscribe/{token:str}")
async def unsubscribe_page(request: Request[Any, Any, Any], token: FromPath[str]) -> Response[str]:
    """Shows the button only: opening the link changes nothing."""
    return await in_thread(_unsubscribe_get, request, token)


def _unsubscribe_get(request: Request[Any, Any, Any], token: str) -> Response[str]:
    stopped = request.query_params.get("stopped", "")[:60]
    with Session(services_of(request).engine) as session:
        return _unsubscribe_page(request, session, token, stopped=stopped)


@post("/progress/unsubscribe/{token:str}")
async def unsubscribe(request: Request[Any, Any, Any], token: FromPath[str]) -> Response[Any]:
    return await in_thread(_unsubscribe, request, token)


def _unsubscribe(request: Request[Any, Any, Any], token: str) -> Response[Any]:
    with Session(services_of(request).engine) as session:
        follower = follower_by_token(session, token)
        if follower is None:
            return _unsubscribe_page(request, session, token)
        project = session.get(Project, follower.project_id)
        slug = project.slug if project else ""
        session.delete(follower)
        session.commit()
    return Redirect(f"/progress/unsubscribe/{token}?stopped={slug}", status_code=303)


# --- the news, sent by the background jobs -----------------------------------------------------


@dataclass(frozen=True)
class News:
    at: datetime  # when the jobs first saw it
    kind: str  # milestone, story
    item: Milestone | Story


def _stamp_new_news(session: Session, now: datetime) -> None:
    """Mark the moment milestones were reached and stories went public (as the jobs first see them)."""
    reached = session.exec(
        select(Milestone)
        .join(Project, col(Project.id) == Milestone.project_id)
        .where(
            public_project(), Milestone.status == MilestoneStatus.DONE, col(Milestone.announced_at).is_(None)
        )
    ).all()
    stories = session.exec(
        select(Story)
        .outerjoin(Project, col(Project.id) == Story.project_id)
        .where(public_story(now), col(Story.announced_at).is_(None))
    ).all()
    for row in [*reached, *stories]:
        row.announced_at = now
        session.add(row)
    session.flush()


def _recent_news(session: Session, now: datetime) -> dict[int, list[News]]:
    """Each public project's news of the last few days that is still public now, newest first."""
    since = now - timedelta(days=NEWS_DAYS)
    news: dict[int, list[News]] = defaultdict(list)
    for milestone in session.exec(
        select(Milestone)
        .join(Project, col(Project.id) == Milestone.project_id)
        .where(
            public_project(), Milestone.status == MilestoneStatus.DONE, col(Milestone.announced_at) > since
        )
    ):
        assert milestone.announced_at is not None
        news[milestone.project_id].append(News(milestone.announced_at, "milestone", milestone))
    for story in session.exec(
        select(Story)
        .join(Project, col(Project.id) == Story.project_id)
        .where(public_story(now), col(Story.announced_at) > since)
    ):
        assert story.announced_at is not None and story.project_id is not None
        news[story.project_id].append(News(story.announced_at, "story", story))
    for items in news.values():
        items.sort(key=lambda n: (n.at, n.kind), reverse=True)
    return news


def news_text(
    session: Session, follower: ProjectFollower, project: Project, news: list[News], base: str, config: str
) -> str:
    locale = follower.locale
    t = translator(locale)
    title = field(project, "title", locale, config).text
    newest = news[0]
    if isinstance(newest.item, Story):
        texts = story_texts(session, [newest.item.id or 0]).get(newest.item.id or 0, {})
        what = story_field(texts, "title", locale, config).text
        path = f"/stories/{newest.item.slug}"
    else:
        what = field(newest.item, "title", locale, config).text
        path = f"/progress/{project.slug}"
    link, stop = f"{base}{path}", f"{base}/progress/unsubscribe/{follower.token}"
    if len(news) > 1:
        return t.gettext(
            "Jimei: %(count)s updates on “%(project)s”, the latest: %(what)s. %(link)s Stop these SMS: %(stop)s",
            count=len(news), project=title, what=what, link=f"{base}/progress/{project.slug}", stop=stop,
        )  # fmt: skip
    if newest.kind == "milestone":
        return t.gettext(
            "Jimei: “%(project)s” reached a milestone: %(what)s. %(link)s Stop these SMS: %(stop)s",
            project=title, what=what, link=link, stop=stop,
        )  # fmt: skip
    return t.gettext(
        "Jimei: news on “%(project)s”: %(what)s. %(link)s Stop these SMS: %(stop)s",
        project=title, what=what, link=link, stop=stop,
    )  # fmt: skip


def announce(
    session: Session, sms: SmsGateway, base_url: str, *, config: str = "s2hk", now: datetime | None = None
) -> int:
    """Text each follower the news of their project since their last SMS, at most once a day per
    project; the number of SMS sent. Without PORTAL_BASE_URL nothing is sent: a message about a
    project must carry its unsubscribe link, and the jobs have no request to take an address from."""
    now = now or utcnow()
    _stamp_new_news(session, now)
    if not base_url:
        return 0
    sent = 0
    recent = _recent_news(session, now)
    if not recent:
        return 0
    projects = {p.id: p for p in session.exec(select(Project).where(col(Project.id).in_(list(recent))))}
    followers = session.exec(
        select(ProjectFollower).where(
            col(ProjectFollower.project_id).in_(list(recent)),
            or_(
                col(ProjectFollower.last_sms_at).is_(None),
                col(ProjectFollower.last_sms_at) <= now - SMS_EVERY,
            ),
        )
    ).all()
    for follower in followers:
        since = follower.last_sms_at or follower.created_at
        news = [n for n in recent[follower.project_id] if n.at > since]
        if not news:
            continue
        text = news_text(session, follower, projects[follower.project_id], news, base_url, config)
        follower.last_sms_at = now
        session.add(follower)
        sms.send(follower.phone, text)
        sent += 1
    session.flush()
    return sent


route_handlers = [follow_page, follow_start, follow_confirm, unsubscribe_page, unsubscribe]
