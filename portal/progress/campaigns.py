"""Campaigns' tickets (专项整治): the centre tags a ticket to a project from the staff ticket page, and
a campaign's categories tag new tickets of that kind by themselves while the campaign runs.

The project page's figures are computed from these rows (``ProjectTicket``); every change bumps the
project's version so that its cached page is rendered afresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from litestar import Request, Response, Router, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from sqlmodel import Session, col, select

from portal.accounts.auth import StaffCookieMiddleware, current_staff, staff_guard
from portal.accounts.models import CENTRE_ROLES, StaffUser
from portal.accounts.service import audit
from portal.i18n import DISTRICT_TZ, N_
from portal.numbers import whole_number
from portal.progress.models import CampaignCategory, Project, ProjectArea, ProjectKind, ProjectTicket
from portal.progress.texts import Shown, field
from portal.services import client_address, services_of
from portal.tickets.models import Ticket
from portal.web import in_thread

TAGGED = "project-tagged"
UNTAGGED = "project-untagged"

# What the staff ticket page says after a tagging form (``?projects=<outcome>``).
OUTCOMES = {
    "tagged": N_("The ticket now counts towards the project."),
    "already": N_("The ticket already counted towards this project."),
    "untagged": N_("The ticket no longer counts towards the project."),
    "already-untagged": N_("The ticket no longer counts towards the project."),
    "missing": N_("That project no longer exists. Choose another one."),
}


def running_on(project: Project, day: date) -> bool:
    """Whether a campaign runs on ``day`` (district date): from its start date to its target date, both
    included; without a start date it has not begun, without a target date it runs on."""
    if project.start_date is None or day < project.start_date:
        return False
    return project.target_date is None or day <= project.target_date


def _bump(session: Session, project: Project) -> None:
    project.version += 1
    session.add(project)


def tag(session: Session, project: Project, ticket: Ticket, user: StaffUser | None) -> bool:
    """Count the ticket towards the project; False when it already did (nothing changes then)."""
    assert project.id is not None and ticket.id is not None
    if session.get(ProjectTicket, (project.id, ticket.id)) is not None:
        return False
    session.add(
        ProjectTicket(project_id=project.id, ticket_id=ticket.id, tagged_by=user.id if user else None)
    )
    _bump(session, project)
    session.flush()
    return True


def untag(session: Session, project: Project, ticket: Ticket) -> bool:
    row = session.get(ProjectTicket, (project.id, ticket.id))
    if row is None:
        return False
    session.delete(row)
    _bump(session, project)
    session.flush()
    return True


def tag_by_category(session: Session, ticket: Ticket) -> list[Project]:
    """A new ticket joins every campaign that takes its category on the day it was reported, and
    covers its street (a campaign that names no street covers the district)."""
    day = ticket.created_at.astimezone(DISTRICT_TZ).date()
    campaigns = session.exec(
        select(Project)
        .join(CampaignCategory, col(CampaignCategory.project_id) == Project.id)
        .where(CampaignCategory.category_id == ticket.category_id)
    ).all()
    joined = [p for p in campaigns if running_on(p, day) and _covers(session, p, ticket.street_id)]
    for project in joined:
        tag(session, project, ticket, None)
    return joined


def _covers(session: Session, project: Project, street_id: int | None) -> bool:
    streets = set(session.exec(select(ProjectArea.street_id).where(ProjectArea.project_id == project.id)))
    return not streets or street_id in streets


def tags_of(session: Session, ticket: Ticket) -> list[Project]:
    return list(
        session.exec(
            select(Project)
            .join(ProjectTicket, col(ProjectTicket.project_id) == Project.id)
            .where(ProjectTicket.ticket_id == ticket.id)
            .order_by(col(Project.slug))
        )
    )


@dataclass(frozen=True)
class Choice:
    project: Project
    title: Shown


@dataclass(frozen=True)
class TagBlock:
    """What the staff ticket page shows: the projects the ticket counts towards, and the others."""

    tagged: list[Choice]
    choices: list[Choice]


def tag_block(session: Session, ticket: Ticket, locale: str) -> TagBlock:
    tagged = tags_of(session, ticket)
    ids = {p.id for p in tagged}
    every = session.exec(select(Project).order_by(col(Project.slug))).all()
    # Campaigns first: tickets are mostly tagged to them.
    others = sorted(
        (p for p in every if p.id not in ids), key=lambda p: (p.kind != ProjectKind.CAMPAIGN, p.slug)
    )
    return TagBlock(
        tagged=[Choice(p, field(p, "title", locale)) for p in tagged],
        choices=[Choice(p, field(p, "title", locale)) for p in others],
    )


# --- the staff ticket page's form --------------------------------------------------------------


@post("/t/{code:str}/projects", guards=[staff_guard], opt={"roles": sorted(CENTRE_ROLES)})
async def tag_ticket(request: Request[Any, Any, Any], code: FromPath[str]) -> Response[Any]:
    """Tag (``action=tag``) or untag (``action=untag``) the ticket to ``project`` (its id); audited."""
    form = await request.form()
    return await in_thread(
        _tag_ticket, request, code, str(form.get("action", "")), str(form.get("project", ""))
    )


def _tag_ticket(request: Request[Any, Any, Any], code: str, action: str, project_id: str) -> Response[Any]:
    from portal.tickets.views import ticket_or_404

    services = services_of(request)
    user = current_staff(request)
    if action not in {"tag", "untag"}:
        raise NotFoundException()
    with Session(services.engine, expire_on_commit=False) as session:
        ticket = ticket_or_404(session, code)
        number = whole_number(project_id)
        project = session.get(Project, number) if number else None
        if project is None:
            outcome = "missing"
        elif action == "tag":
            outcome = "tagged" if tag(session, project, ticket, user) else "already"
        else:
            outcome = "untagged" if untag(session, project, ticket) else "already-untagged"
        if project is not None and outcome in {"tagged", "untagged"}:
            audit(
                session, user, TAGGED if action == "tag" else UNTAGGED,
                address=client_address(request), ticket_id=ticket.id, detail=project.slug,
            )  # fmt: skip
        session.commit()
    return Redirect(f"/staff/t/{ticket.code}?projects={outcome}#projects", status_code=303)


def outcome_message(request: Request[Any, Any, Any]) -> str:
    """The message id for ``?projects=`` on the staff ticket page ("" when none)."""
    return OUTCOMES.get(request.query_params.get("projects", ""), "")


campaign_router = Router(path="/staff", route_handlers=[tag_ticket], middleware=[StaffCookieMiddleware])
