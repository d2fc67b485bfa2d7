"""The public progress pages: /progress (every published project, filtered and searched) and
/progress/{slug} (one project: its progress and how it was computed, milestones, photos, figures,
stories). Both come from the page cache while nothing they show has changed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from markupsafe import Markup
from sqlmodel import Session, col, select

from portal.db import utcnow
from portal.directory.models import Department
from portal.i18n import DATE_PATTERNS
from portal.progress import markdown, search, service, texts
from portal.progress.computing import TIMING_LABELS, Method, Progress, Timing, percent_text
from portal.progress.models import (
    PROJECT_STATUS_LABELS,
    Project,
    ProjectDepartment,
    ProjectKind,
    ProjectStatus,
)
from portal.progress.visibility import story_field
from portal.services import Services, services_of
from portal.stats.period import today
from portal.surveys.results import headlines
from portal.templating import cached_or_rendered, render_and_cache
from portal.web import in_thread, page_of

MAX_QUERY = 100
SLUG_LENGTH = 60


def body_html(text: str) -> Markup:
    """A project's body, in Markdown as stories are."""
    return markdown.render(text) if text.strip() else Markup("")


# --- what the pages show -------------------------------------------------------------------------


@dataclass(frozen=True)
class Card:
    """A project as a list shows it."""

    project: Project
    title: texts.Shown
    summary: texts.Shown
    progress: Progress
    parent: Project | None
    parent_title: texts.Shown | None


def _shown(locale: str, config: str) -> Callable[[Any, str], texts.Shown]:
    return lambda row, name: texts.field(row, name, locale, config)


def _card(tree: service.Tree, project: Project, field: Callable[[Any, str], texts.Shown]) -> Card:
    parent = tree.parent(project)
    return Card(
        project,
        field(project, "title"),
        field(project, "summary"),
        tree.progress(project),
        parent,
        field(parent, "title") if parent else None,
    )


def _common() -> dict[str, Any]:
    return {
        "PROJECT_STATUS_LABELS": PROJECT_STATUS_LABELS,
        "TIMING_LABELS": TIMING_LABELS,
        "Timing": Timing,
        "Method": Method,
        "percent_text": percent_text,
        "ProjectStatus": ProjectStatus,
    }


# --- /progress -------------------------------------------------------------------------------------


def _key(services: Services, now: datetime, *extra: Any) -> tuple[Any, ...]:
    return (
        "progress",
        service.progress_version(services.reader, now),
        today(),
        services.reference.stamp,
        *extra,
    )


@get("/progress")
async def progress_list(
    request: Request[Any, Any, Any],
    status: FromQuery[str] = "",
    street: FromQuery[str] = "",
    department: FromQuery[str] = "",
    q: FromQuery[str] = "",
) -> Response[str]:
    services = services_of(request)
    key = _key(services, utcnow())
    return await cached_or_rendered(
        request,
        key,
        "progress/list.html",
        lambda: in_thread(_progress_list, request, services, key, status, street, department, q),
    )


def _progress_list(
    request: Request[Any, Any, Any],
    services: Services,
    key: tuple[Any, ...],
    status: str,
    street: str,
    department: str,
    q: str,
) -> Response[str]:
    reference = services.reference.get()
    locale = page_of(request).locale
    field = _shown(locale, services.settings.hant_conversion)
    query = " ".join(q.split())[:MAX_QUERY]
    with Session(services.engine, expire_on_commit=False) as session:
        departments = _departments_with_projects(session)
        filters = service.Filters(
            status=ProjectStatus(status) if status in set(ProjectStatus) else None,
            street=reference.street_by_slug.get(street),
            department=next((d for d in departments if d.slug == department), None),
            words=search.words_of(query),
        )
        tree = service.load_tree(session, today())
        cards = [_card(tree, p, field) for p in service.public_projects(session, tree, filters)]
    return render_and_cache(
        request,
        key,
        "progress/list.html",
        {
            **_common(),
            "cards": cards,
            "filters": filters,
            "query": query,
            "selected": {
                "status": filters.status.value if filters.status else "",
                "street": filters.street.slug if filters.street else "",
                "department": filters.department.slug if filters.department else "",
            },
            "streets": reference.streets,
            "departments": departments,
            "statuses": list(ProjectStatus),
        },
        fragment="progress/_results.html",
    )


def _departments_with_projects(session: Session) -> list[Department]:
    """The departments that lead or share a published project: the only ones worth filtering by."""
    lead = select(Project.lead_department_id).where(col(Project.published).is_(True))
    shared = (
        select(ProjectDepartment.department_id)
        .join(Project, col(Project.id) == ProjectDepartment.project_id)
        .where(col(Project.published).is_(True))
    )
    return list(
        session.exec(
            select(Department)
            .where(col(Department.id).in_(lead) | col(Department.id).in_(shared))
            .order_by(col(Department.id))
        )
    )


# --- /progress/{slug} ------------------------------------------------------------------------------


@get("/progress/{slug:str}")
async def project_page(request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[str]:
    services = services_of(request)
    if not slug or len(slug) > SLUG_LENGTH:
        raise NotFoundException()
    version, campaign = service.progress_version_and_campaign(services.reader, utcnow(), slug)
    extra = (slug, service.campaign_version(services.reader, campaign)) if campaign else (slug,)
    # Its surveys' response counts move all day: the page is kept a minute at most.
    key = ("progress", version, today(), services.reference.stamp, int(utcnow().timestamp()) // 60, *extra)
    return await cached_or_rendered(
        request, key, "progress/project.html", lambda: in_thread(_project_page, request, services, key, slug)
    )


def _project_page(
    request: Request[Any, Any, Any], services: Services, key: tuple[Any, ...], slug: str
) -> Response[str]:
    locale = page_of(request).locale
    config = services.settings.hant_conversion
    field = _shown(locale, config)
    now = utcnow()
    with Session(services.engine, expire_on_commit=False) as session:
        project = service.public_project(session, slug)
        if project is None:
            raise NotFoundException()
        tree = service.load_tree(session, today())
        cover, pairs = service.photos_of(session, project)
        stories = [
            (story, story_field(live, "title", locale, config), story_field(live, "summary", locale, config))
            for story, live in service.stories_of(session, now, project.id)
        ]
        context = {
            **_common(),
            "project": project,
            "title": field(project, "title"),
            "summary": field(project, "summary"),
            "body": field(project, "body"),
            "body_html": body_html(field(project, "body").text),
            "progress": tree.progress(project),
            "parent": _card(tree, p, field) if (p := tree.parent(project)) else None,
            "children": [_card(tree, child, field) for child in tree.children(project)],
            "departments": service.departments_of(session, project),
            "areas": service.areas_of(session, project),
            "cover": cover,
            "pairs": pairs,
            "stories": stories,
            "figures": service.campaign_figures(session, project)
            if project.kind == ProjectKind.CAMPAIGN
            else None,
            "field": field,
            "day": _day_formatter(page_of(request).t),
            "surveys": headlines(session, project.id or 0, now),
        }
    return render_and_cache(request, key, "progress/project.html", context)


def _day_formatter(t: Any) -> Callable[[date | None], str]:
    # The one date format of every page (``27 Nov 2026``, ``2026年11月27日``), as stories and tickets.
    return lambda value: t.day(value, DATE_PATTERNS[t.locale]) if value is not None else ""


route_handlers = [progress_list, project_page]
