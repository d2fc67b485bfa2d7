"""The dispatcher's console, the department's queue, the staff view of a ticket and supervision orders."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect
from sqlalchemy import func
from sqlmodel import Session, col, select

from portal.accounts.auth import AccessDenied, StaffCookieMiddleware, current_staff, staff_guard
from portal.accounts.models import CENTRE_ROLES, StaffRole, StaffUser
from portal.accounts.service import audit
from portal.accounts.views import staff_context
from portal.contact import mask_name, mask_phone
from portal.db import utcnow
from portal.directory.service import Reference
from portal.dispatch import service as steps
from portal.dispatch.models import ORDER_KIND_LABELS, SupervisionOrder
from portal.dispatch.notes import describe_update
from portal.evaluation.models import EVALUATION_KINDS, LEVELS, Evaluation, PeerRequest, Rating, evaluator_of
from portal.evaluation.service import (
    RatingError,
    approve_comment,
    ask_peer,
    evaluate,
    pending_peer_requests,
)
from portal.i18n import DISTRICT_TZ, N_, Translator
from portal.media import ProcessedPhoto
from portal.numbers import calendar_day, whole_number
from portal.progress import campaigns
from portal.services import client_address, public_base_url, services_of
from portal.templating import render
from portal.tickets import service as tickets
from portal.tickets.forms import FormErrors
from portal.tickets.lifecycle import ACTION_LABELS, OPEN_STATUSES, STATUS_LABELS, Action, Status
from portal.tickets.models import Ticket, TicketEvent
from portal.tickets.views import read_uploads, store_uploads, ticket_or_404
from portal.web import TAKES_PHOTOS, in_thread, page_of

CENTRE = sorted(CENTRE_ROLES)
HANDLERS = [*CENTRE, StaffRole.DEPARTMENT]
QUEUE_LIMIT = 100


NOT_ACCEPTED = N_("Overdue: not accepted by %(when)s")
NOT_RESOLVED = N_("Overdue: not resolved by %(when)s")


def missed_deadline(ticket: Ticket, now: datetime) -> tuple[str, datetime] | None:
    """Which deadline the ticket has missed (a message id with ``%(when)s``) and when it fell; None
    when it is on time. A dispatched ticket can miss accepting long before it misses resolving."""
    if ticket.status == Status.DISPATCHED and ticket.response_due and ticket.response_due < now:
        return NOT_ACCEPTED, ticket.response_due
    if Status(ticket.status) in OPEN_STATUSES and ticket.resolution_due and ticket.resolution_due < now:
        return NOT_RESOLVED, ticket.resolution_due
    return None


def _list_context(request: Request[Any, Any, Any], rows: list[Ticket]) -> dict[str, Any]:
    reference = services_of(request).reference.get()
    return {
        **staff_context(request),
        "rows": rows,
        "reference": reference,
        "now": utcnow(),
        "missed_deadline": missed_deadline,
        "STATUS_LABELS": STATUS_LABELS,
    }


@get("/queue", guards=[staff_guard], opt={"roles": CENTRE}, sync_to_thread=True)
def queue(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[Session],
    status: FromQuery[str] = "submitted",
    category: FromQuery[str] = "",
    street: FromQuery[str] = "",
) -> Response[str]:
    """New tickets oldest first (the longest wait on top), with counts per state."""
    reference = services_of(request).reference.get()
    chosen = Status(status) if status in {s.value for s in Status} else Status.SUBMITTED
    query = select(Ticket).where(Ticket.status == chosen.value)
    if (found := reference.category_by_slug.get(category)) is not None:
        query = query.where(Ticket.category_id == found.id)
    if (place := reference.street_by_slug.get(street)) is not None:
        query = query.where(Ticket.street_id == place.id)
    rows = list(
        db_session.exec(
            query.order_by(col(Ticket.priority).desc(), col(Ticket.created_at)).limit(QUEUE_LIMIT)
        )
    )
    counts = dict(db_session.exec(select(Ticket.status, func.count()).group_by(Ticket.status)).all())
    context = _list_context(request, rows)
    context.update(
        counts=counts, chosen=chosen, statuses=list(Status), selected={"category": category, "street": street},
        groups=reference.grouped_categories(),
    )  # fmt: skip
    return render(request, "staff/queue.html", context)


@get("/department", guards=[staff_guard], opt={"roles": [StaffRole.DEPARTMENT]}, sync_to_thread=True)
def department_queue(request: Request[Any, Any, Any], db_session: NamedDependency[Session]) -> Response[str]:
    """The department's open orders, most urgent first: urgent ones, then the earliest deadline."""
    user = current_staff(request)
    open_states = [Status.DISPATCHED.value, Status.ACCEPTED.value, Status.IN_PROGRESS.value]
    rows = list(
        db_session.exec(
            select(Ticket)
            .where(Ticket.department_id == user.department_id, col(Ticket.status).in_(open_states))
            .order_by(col(Ticket.priority).desc(), col(Ticket.resolution_due), col(Ticket.created_at))
        )
    )
    context = _list_context(request, rows)
    context["asked"] = pending_peer_requests(db_session, user.department_id)
    return render(request, "staff/department.html", context)


def _staff_ticket(request: Request[Any, Any, Any], session: Session, code: str) -> Ticket:
    ticket = ticket_or_404(session, code)
    if not steps.may_see(session, current_staff(request), ticket):
        raise NotFoundException()  # another department's ticket does not exist, as far as they know
    return ticket


def _ticket_context(request: Request[Any, Any, Any], session: Session, ticket: Ticket) -> dict[str, Any]:
    reference = services_of(request).reference.get()
    user = current_staff(request)
    orders = list(
        session.exec(
            select(SupervisionOrder)
            .where(SupervisionOrder.ticket_id == ticket.id)
            .order_by(col(SupervisionOrder.id))
        )
    )
    category = reference.category_by_id.get(ticket.category_id)
    centre = user.role in CENTRE
    handler = user.role == StaffRole.DEPARTMENT and user.department_id == ticket.department_id
    evaluations = list(
        session.exec(select(Evaluation).where(Evaluation.ticket_id == ticket.id).order_by(col(Evaluation.id)))
    )
    asked = list(
        session.exec(
            select(PeerRequest)
            .where(PeerRequest.ticket_id == ticket.id, PeerRequest.round == ticket.round)
            .order_by(col(PeerRequest.id))
        )
    )
    peer = user.role == StaffRole.DEPARTMENT and not handler
    kind = "mutual" if centre else "self" if handler else ""
    if peer and any(r.department_id == user.department_id for r in asked):
        kind = "peer"
    evaluated = {e.evaluator for e in evaluations if e.round == ticket.round}
    return {
        **staff_context(request),
        "ticket": ticket,
        "category": category,
        "street": reference.street_by_id.get(ticket.street_id),
        "community": reference.community_by_id.get(ticket.community_id),
        "department": reference.departments.get(ticket.department_id or 0),
        "departments": [d for d in reference.departments.values() if d.active],
        "default_department": category.default_department_id if category else None,
        "groups": reference.grouped_categories(),
        "streets": [(s, reference.communities_of(s)) for s in reference.streets],
        "events": tickets.timeline(session, ticket),
        "internal_note": lambda event: internal_note(page_of(request).t, reference, event),
        "photos": tickets.photos_of(session, ticket, approved_only=False),
        "PHOTO_SOURCES": tickets.PHOTO_SOURCES,
        "orders": orders,
        "evaluation_kind": kind if kind and evaluator_of(kind, user.department_id) not in evaluated else "",
        "evaluations": evaluations,
        "peer_requests": [(r, f"dept:{r.department_id}" in evaluated) for r in asked],
        "peer_choices": [
            d
            for d in reference.departments.values()
            if d.active and d.id != ticket.department_id and d.id not in {r.department_id for r in asked}
        ],
        "all_departments": reference.departments,
        "EVALUATION_KINDS": EVALUATION_KINDS,
        "LEVELS": LEVELS,
        "ratings": list(
            session.exec(select(Rating).where(Rating.ticket_id == ticket.id).order_by(col(Rating.id)))
        ),
        "masked_name": mask_name(ticket.reporter_name),
        "masked_phone": mask_phone(ticket.reporter_phone) if ticket.reporter_phone else "",
        "may_reveal_phone": may_reveal_phone(user, ticket),
        "revealed_phone": "",
        "centre": centre,
        "handler": handler,  # the department handling the ticket; a peer department only reads it
        "peer": peer,
        "status": Status(ticket.status),
        "Status": Status,
        "missed": missed_deadline(ticket, utcnow()),
        "STATUS_LABELS": STATUS_LABELS,
        "ACTION_LABELS": ACTION_LABELS,
        "ORDER_KIND_LABELS": ORDER_KIND_LABELS,
        "is_order_overdue": steps.overdue,
        "form": {},
        "action_error": "",
        "done": request.query_params.get("done", ""),
        # The campaigns and projects the ticket counts towards (the centre tags them).
        "project_tags": campaigns.tag_block(session, ticket, page_of(request).locale) if centre else None,
        "projects_outcome": campaigns.outcome_message(request),
    }


def may_reveal_phone(user: StaffUser, ticket: Ticket) -> bool:
    """The centre, and the department handling the ticket, may call the reporter; a peer department may not."""
    if not ticket.reporter_phone:
        return False
    return user.role in CENTRE or (
        user.role == StaffRole.DEPARTMENT
        and user.department_id is not None
        and user.department_id == ticket.department_id
    )


@post("/t/{code:str}/phone", guards=[staff_guard], opt={"roles": HANDLERS}, sync_to_thread=True)
def reveal_phone(
    request: Request[Any, Any, Any], db_session: NamedDependency[Session], code: FromPath[str]
) -> Response[str]:
    """The reporter's whole number, to call them: a POST, written to the audit log, never cached."""
    ticket = _staff_ticket(request, db_session, code)
    user = current_staff(request)
    if not may_reveal_phone(user, ticket):
        raise AccessDenied()
    audit(db_session, user, "phone-revealed", address=client_address(request), ticket_id=ticket.id)
    context = {**_ticket_context(request, db_session, ticket), "revealed_phone": ticket.reporter_phone}
    return render(
        request,
        "staff/ticket.html",
        context,
        fragment="staff/_phone.html",
        headers={"Cache-Control": "no-store"},
    )


def internal_note(t: Translator, reference: Reference, event: TicketEvent) -> str:
    """The internal note in the reader's words (detail updates are recorded as short machine text)."""
    return (
        describe_update(t, reference, event.internal_note)
        if event.action == Action.UPDATE.value
        else event.internal_note
    )


@get("/t/{code:str}", guards=[staff_guard], opt={"roles": HANDLERS}, sync_to_thread=True)
def staff_ticket(
    request: Request[Any, Any, Any], db_session: NamedDependency[Session], code: FromPath[str]
) -> Response[str]:
    ticket = _staff_ticket(request, db_session, code)
    return render(request, "staff/ticket.html", _ticket_context(request, db_session, ticket))


@post("/t/{code:str}/act", guards=[staff_guard], opt={"roles": HANDLERS, TAKES_PHOTOS: True})
async def staff_act(request: Request[Any, Any, Any], code: FromPath[str]) -> Response[Any]:
    form = await request.form()
    uploads = await read_uploads(form) if form.get("action") in {"progress", "resolve"} else []
    return await in_thread(_act, request, code, form, uploads)


def _deadline(text: str) -> datetime | None:
    """A date typed as YYYY-MM-DD means the end of that working day in the district."""
    day = calendar_day(text)
    return datetime.combine(day, time(18, 0), tzinfo=DISTRICT_TZ) if day else None


def _act(
    request: Request[Any, Any, Any], code: str, form: Any, uploads: list[ProcessedPhoto | str]
) -> Response[Any]:
    services = services_of(request)
    action = str(form.get("action", ""))
    text = {
        name: str(form.get(name, ""))[:4000] for name in ("note", "internal", "reason", "target", "deadline")
    }
    base_url = public_base_url(request)
    with Session(services.engine, expire_on_commit=False) as session:
        ticket = _staff_ticket(request, session, code)
        ctx = steps.Context.make(
            session, current_staff(request), client_address(request), services.sms, base_url,
            secret=services.settings.secret_key,
        )  # fmt: skip
        try:
            _apply(ctx, ticket, action, text, form, uploads, services)
        except steps.ActionError as refused:
            session.rollback()
            session.expire_all()
            fresh = _staff_ticket(request, session, code)
            context = _ticket_context(request, session, fresh)
            context.update(
                form=text, action_error=page_of(request).t.gettext(refused.message), failed_action=action
            )
            return render(request, "staff/ticket.html", context, status_code=422)
        session.commit()
    return Redirect(f"/staff/t/{ticket.code}?done={action}", status_code=303)


def _apply(
    ctx: steps.Context,
    ticket: Ticket,
    action: str,
    text: dict[str, str],
    form: Any,
    uploads: list[ProcessedPhoto | str],
    services: Any,
) -> None:
    def number(name: str) -> int | None:
        return whole_number(str(form.get(name, "")))

    def photos() -> list[tickets.StoredPhoto]:
        errors, kept = FormErrors(), []  # type: ignore[var-annotated]
        store_uploads(services, uploads, kept, errors)
        if errors:
            raise steps.ActionError(next(iter(errors.messages.values())))
        return [tickets.StoredPhoto(p["d"], int(p["w"]), int(p["h"])) for p in kept]

    centre, department = ctx.user.role in CENTRE, ctx.user.role == StaffRole.DEPARTMENT
    if centre and action == "dispatch":
        steps.dispatch(ctx, ticket, number("department"), text["note"])
    elif centre and action == "reject":
        steps.reject(ctx, ticket, text["reason"])
    elif centre and action == "merge":
        steps.merge(ctx, ticket, text["target"])
    elif centre and action == "update":
        steps.update_details(
            ctx, ticket, category_id=number("category"), is_public=form.get("visibility") == "public",
            priority=1 if form.get("priority") == "urgent" else 0, community_id=number("community"),
        )  # fmt: skip
    elif centre and action in {"approve-photo", "hide-photo"}:
        steps.review_photo(ctx, ticket, number("photo") or 0, approve=action == "approve-photo")
    elif centre and action == "supervise":
        steps.supervise(ctx, ticket, text["reason"], _deadline(text["deadline"]))
    elif department and action == "accept":
        steps.accept(ctx, ticket)
    elif department and action == "return":
        steps.return_order(ctx, ticket, text["reason"])
    elif department and action == "progress":
        steps.post_progress(ctx, ticket, text["note"], text["internal"], photos())
    elif department and action == "resolve":
        steps.resolve(ctx, ticket, text["note"], text["internal"], photos())
    elif centre and action in {"approve-comment", "hide-comment"}:
        try:
            approve_comment(ctx.session, ticket, number("rating") or 0, approve=action == "approve-comment")
        except RatingError as refused:
            raise steps.ActionError(refused.message) from refused
    elif centre and action == "ask-peer":
        try:
            ask_peer(ctx, ticket, number("department"))
        except RatingError as refused:
            raise steps.ActionError(refused.message) from refused
    elif action in {"evaluate-self", "evaluate-mutual", "evaluate-peer"}:
        try:
            evaluate(ctx, ticket, action.removeprefix("evaluate-"), str(form.get("level", "")), text["reason"],
                     rule=services.settings.supervision)  # fmt: skip
        except RatingError as refused:
            raise steps.ActionError(refused.message) from refused
    else:
        raise steps.ActionError(N_("You are not allowed to take this step."))


@get("/supervision", guards=[staff_guard], opt={"roles": HANDLERS}, sync_to_thread=True)
def supervision(
    request: Request[Any, Any, Any], db_session: NamedDependency[Session], show: FromQuery[str] = "open"
) -> Response[str]:
    """Supervision orders: open, overdue or fulfilled; a department sees its own."""
    user = current_staff(request)
    now = utcnow()
    query = select(SupervisionOrder, Ticket).join(Ticket, col(Ticket.id) == SupervisionOrder.ticket_id)
    if user.role == StaffRole.DEPARTMENT:
        query = query.where(SupervisionOrder.department_id == user.department_id)
    if show == "fulfilled":
        query = query.where(col(SupervisionOrder.status).in_(["fulfilled", "withdrawn"]))
    else:
        query = query.where(SupervisionOrder.status == "open")
        if show == "overdue":
            query = query.where(col(SupervisionOrder.deadline) < now)
    rows = list(db_session.exec(query.order_by(col(SupervisionOrder.deadline)).limit(200)))
    reference = services_of(request).reference.get()
    context = {**staff_context(request), "rows": rows, "show": show if show in {"open", "overdue", "fulfilled"} else "open",
               "reference": reference, "ORDER_KIND_LABELS": ORDER_KIND_LABELS, "is_order_overdue": steps.overdue}  # fmt: skip
    return render(request, "staff/supervision.html", context)


dispatch_router = Router(
    path="/staff",
    route_handlers=[queue, department_queue, staff_ticket, staff_act, reveal_phone, supervision],
    middleware=[StaffCookieMiddleware],
)
