"""What the command centre and the departments do to a ticket. Every step goes through the
lifecycle table, appends a ticket event, writes the audit log and tells whoever must know."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from portal.accounts.models import CENTRE_ROLES, StaffRole, StaffUser
from portal.accounts.service import audit
from portal.db import utcnow
from portal.directory.models import Category, Department
from portal.dispatch.models import OrderKind, SupervisionOrder
from portal.dispatch.notes import MISSED_REASONS
from portal.evaluation.links import rating_link
from portal.evaluation.models import PeerRequest
from portal.i18n import N_, translator
from portal.places.models import Community
from portal.sms import SmsGateway
from portal.tickets.codes import normalize_code
from portal.tickets.lifecycle import Action, Role, Status, TransitionError
from portal.tickets.models import Follower, Photo, Ticket, TicketEvent
from portal.tickets.service import StoredPhoto, find_by_code, record_event
from portal.worktime import add_working_days, add_working_hours

NOTE_MAX = 2000


class ActionError(Exception):
    """A staff step refused: the message (an English message id) says why; nothing was changed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def lifecycle_role(user: StaffUser) -> Role:
    if user.role in CENTRE_ROLES:
        return Role.DISPATCHER
    if user.role == StaffRole.DEPARTMENT:
        return Role.DEPARTMENT
    raise ActionError(N_("You are not allowed to take this step."))


def may_see(session: Session, user: StaffUser, ticket: Ticket) -> bool:
    """Dispatchers see every ticket; department staff their own department's orders, and the tickets
    the centre asked their department to evaluate, for the round asked about (read-only: every step
    checks the handler). Once the ticket goes round again, that round's peers no longer see it."""
    if user.role in CENTRE_ROLES:
        return True
    if user.role != StaffRole.DEPARTMENT or user.department_id is None:
        return False
    if ticket.department_id == user.department_id:
        return True
    asked = session.exec(
        select(PeerRequest.id).where(
            PeerRequest.ticket_id == ticket.id,
            PeerRequest.department_id == user.department_id,
            PeerRequest.round == ticket.round,
        )
    ).first()
    return asked is not None


@dataclass
class Context:
    """Who acts, from where, and the outside world they may need to tell."""

    session: Session
    user: StaffUser
    address: str
    sms: SmsGateway
    base_url: str
    now: datetime
    secret: str  # signs the residents' personal rating links

    @property
    def outbox(self) -> Outbox:
        return Outbox(self.session, self.sms, self.base_url, self.secret)

    @classmethod
    def make(
        cls, session: Session, user: StaffUser, address: str, sms: SmsGateway, base_url: str, *, secret: str
    ) -> Context:
        return cls(session, user, address, sms, base_url, utcnow(), secret)


def _step(
    ctx: Context, ticket: Ticket, action: Action, *, public: str = "", internal: str = "", detail: str = ""
) -> TicketEvent:
    try:
        event = record_event(
            ctx.session, ticket, action, lifecycle_role(ctx.user),
            public_note=public, internal_note=internal, actor_id=ctx.user.id, at=ctx.now,
        )  # fmt: skip
    except TransitionError as refused:
        raise ActionError(refused.message) from refused
    audit(ctx.session, ctx.user, action.value, address=ctx.address, ticket_id=ticket.id, detail=detail)
    return event


def _note(text: str, *, required: bool, what: str = N_("Write a reason.")) -> str:
    cleaned = text.strip()
    if required and not cleaned:
        raise ActionError(what)
    if len(cleaned) > NOTE_MAX:
        raise ActionError(N_("Keep the note under 2,000 characters."))
    return cleaned


def _own(ctx: Context, ticket: Ticket) -> None:
    if ctx.user.role == StaffRole.DEPARTMENT and ticket.department_id != ctx.user.department_id:
        raise ActionError(N_("This order belongs to another department."))


# --- the command centre ----------------------------------------------------------------------


def dispatch(ctx: Context, ticket: Ticket, department_id: int | None, note: str = "") -> None:
    department = ctx.session.get(Department, department_id) if department_id else None
    if department is None or not department.active:
        raise ActionError(N_("Choose the department that should handle this ticket."))
    category = ctx.session.get(Category, ticket.category_id)
    assert category is not None
    ticket.department_id = department.id
    ticket.response_due = add_working_hours(ctx.now, category.response_hours)
    ticket.resolution_due = add_working_days(ctx.now, category.resolution_days)
    _step(ctx, ticket, Action.DISPATCH, public=_note(note, required=False), detail=department.slug)
    ctx.outbox.followers(
        ticket, N_("Jimei: your report %(code)s was sent to %(department)s. %(link)s"), department
    )
    ctx.outbox.department(department, ticket, N_("Jimei: new order %(code)s. Please accept it in time."))


def reject(ctx: Context, ticket: Ticket, reason: str) -> None:
    reason = _note(reason, required=True, what=N_("Write the reason the residents will read."))
    _step(ctx, ticket, Action.REJECT, public=reason)
    _close_orders(ctx, ticket, "withdrawn")


def merge(ctx: Context, ticket: Ticket, target_code: str) -> Ticket:
    code = normalize_code(target_code)
    target = find_by_code(ctx.session, code) if code else None
    if target is None or target.id == ticket.id:
        raise ActionError(N_("Enter the code of another ticket to merge this one into."))
    if Status(target.status) in {Status.MERGED, Status.REJECTED, Status.CLOSED}:
        raise ActionError(N_("That ticket is closed: merge into an open one."))
    _step(ctx, ticket, Action.MERGE, detail=target.code)
    _close_orders(ctx, ticket, "withdrawn")
    ticket.merged_into_id = target.id
    followed = {f.phone for f in ctx.session.exec(select(Follower).where(Follower.ticket_id == target.id))}
    for follower in ctx.session.exec(select(Follower).where(Follower.ticket_id == ticket.id)):
        if follower.phone not in followed:
            ctx.session.add(
                Follower(
                    ticket_id=target.id or 0, phone=follower.phone, kind="merged", locale=follower.locale
                )
            )
            followed.add(follower.phone)
    target.supporters += 1 + ticket.supporters
    target.version += 1
    ctx.session.add_all([ticket, target])
    return target


def update_details(
    ctx: Context,
    ticket: Ticket,
    *,
    category_id: int | None = None,
    is_public: bool | None = None,
    priority: int | None = None,
    community_id: int | None = None,
) -> None:
    changes: list[str] = []
    if community_id is not None and community_id != ticket.community_id:
        community = ctx.session.get(Community, community_id)
        if community is None:
            raise ActionError(N_("Choose a community from the list."))
        ticket.community_id, ticket.street_id = community.id, community.street_id
        ticket.grid_id = None  # the phone's position no longer says where the problem is
        changes.append(f"community={community.slug}")
    if category_id is not None and category_id != ticket.category_id:
        category = ctx.session.get(Category, category_id)
        if category is None or not category.active:
            raise ActionError(N_("Choose a category from the list."))
        ticket.category_id = category_id
        changes.append(f"category={category.slug}")
    if is_public is not None and is_public != ticket.is_public:
        ticket.is_public = is_public
        changes.append("public" if is_public else "private")
    if priority is not None and priority != ticket.priority:
        ticket.priority = 1 if priority else 0
        changes.append("urgent" if priority else "normal priority")
    if changes:
        _step(ctx, ticket, Action.UPDATE, internal=", ".join(changes), detail=", ".join(changes))


def review_photo(ctx: Context, ticket: Ticket, photo_id: int, approve: bool) -> None:
    photo = ctx.session.get(Photo, photo_id)
    if photo is None or photo.ticket_id != ticket.id:
        raise ActionError(N_("That photo is not part of this ticket."))
    photo.approved = approve
    ctx.session.add(photo)
    word = "approved" if approve else "hidden"
    _step(ctx, ticket, Action.UPDATE, internal=f"photo {photo.id} {word}", detail=f"photo {photo.id} {word}")


def supervise(ctx: Context, ticket: Ticket, reason: str, deadline: datetime | None) -> SupervisionOrder:
    """A supervision order by hand: reopens a resolved ticket, or is attached to an open one."""
    reason = _note(reason, required=True)
    if deadline is None or deadline <= ctx.now:
        raise ActionError(N_("Choose a deadline in the future."))
    if ticket.department_id is None:
        raise ActionError(N_("Only a ticket that a department handles can get a supervision order."))
    return issue_order(
        ctx.session,
        ticket,
        OrderKind.MANUAL,
        reason,
        deadline,
        now=ctx.now,
        user=ctx.user,
        address=ctx.address,
        sms=ctx.sms,
        base_url=ctx.base_url,
    )


# --- the departments -------------------------------------------------------------------------


def accept(ctx: Context, ticket: Ticket) -> None:
    _own(ctx, ticket)
    _step(ctx, ticket, Action.ACCEPT)


def return_order(ctx: Context, ticket: Ticket, reason: str) -> None:
    _own(ctx, ticket)
    reason = _note(reason, required=True, what=N_("Say why this order is not for your department."))
    _step(ctx, ticket, Action.RETURN, internal=reason)
    _close_orders(ctx, ticket, "withdrawn")
    ticket.department_id = None
    ticket.response_due = ticket.resolution_due = None
    ctx.session.add(ticket)


def post_progress(
    ctx: Context, ticket: Ticket, public: str, internal: str, photos: list[StoredPhoto]
) -> None:
    _own(ctx, ticket)
    public = _note(public, required=not photos, what=N_("Write what was done, or add a photo."))
    event = _step(ctx, ticket, Action.PROGRESS, public=public, internal=_note(internal, required=False))
    _attach(ctx, ticket, event, photos, "progress")


def resolve(ctx: Context, ticket: Ticket, note: str, internal: str, photos: list[StoredPhoto]) -> None:
    _own(ctx, ticket)
    note = _note(note, required=True, what=N_("Write what was done to solve the problem."))
    if not photos:
        raise ActionError(N_("Add at least one photo of the result."))
    event = _step(ctx, ticket, Action.RESOLVE, public=note, internal=_note(internal, required=False))
    _attach(ctx, ticket, event, photos, "after")
    _close_orders(ctx, ticket, "fulfilled")
    ctx.outbox.followers(
        ticket, N_("Jimei: report %(code)s is resolved. Tell us how it went: %(link)s"), rating=True
    )


def _close_orders(ctx: Context, ticket: Ticket, status: str) -> None:
    """The ticket's open supervision orders end: fulfilled by a resolution, or withdrawn when the
    ticket leaves the department (returned, rejected, merged). Either way they are no longer open."""
    for order in ctx.session.exec(
        select(SupervisionOrder).where(
            SupervisionOrder.ticket_id == ticket.id, SupervisionOrder.status == "open"
        )
    ):
        order.status = status
        order.fulfilled_at = ctx.now  # when it stopped being open
        ctx.session.add(order)


def _attach(ctx: Context, ticket: Ticket, event: TicketEvent, photos: list[StoredPhoto], kind: str) -> None:
    """The department's photos, kept with the step they were sent with (a progress update, the resolution)."""
    start = ctx.session.exec(
        select(func.count()).select_from(Photo).where(Photo.ticket_id == ticket.id)
    ).one()
    for offset, photo in enumerate(photos):
        ctx.session.add(
            Photo(
                ticket_id=ticket.id or 0,
                event_id=event.id,
                position=start + offset,
                digest=photo.digest,
                width=photo.width,
                height=photo.height,
                kind=kind,
                approved=True,
            )
        )  # fmt: skip  (staff photos are public at once: the department took them for the public)


# --- supervision orders and the deadline sweep -----------------------------------------------


def issue_order(
    session: Session,
    ticket: Ticket,
    kind: OrderKind,
    reason: str,
    deadline: datetime,
    *,
    now: datetime,
    user: StaffUser | None,
    address: str,
    sms: SmsGateway,
    base_url: str,
    dedupe_key: str | None = None,
) -> SupervisionOrder:
    order = SupervisionOrder(
        ticket_id=ticket.id or 0, department_id=ticket.department_id, kind=kind.value,
        dedupe_key=dedupe_key or f"{kind.value}:{now.isoformat()}", reason=reason[:500],
        round=ticket.round, deadline=deadline, issued_at=now, issued_by=user.id if user else None,
    )  # fmt: skip
    session.add(order)
    session.flush()  # raises IntegrityError when another sweep issued the same order first
    role = Role.SYSTEM if user is None else Role.DISPATCHER
    reopen = Status(ticket.status) == Status.RESOLVED
    if reopen:
        ticket.round += 1
        ticket.resolution_due = deadline
        ticket.response_due = None
    try:
        record_event(
            session,
            ticket,
            Action.SUPERVISE,
            role,
            public_note=reason,
            actor_id=user.id if user else None,
            at=now,
        )
    except TransitionError as refused:
        raise ActionError(refused.message) from refused
    audit(
        session,
        user,
        "supervise",
        address=address,
        ticket_id=ticket.id,
        detail=f"{kind.value}: {reason[:200]}",
    )
    department = session.get(Department, ticket.department_id) if ticket.department_id else None
    outbox = Outbox(session, sms, base_url)
    if reopen:
        outbox.followers(ticket, N_("Jimei: report %(code)s was reopened under supervision. %(link)s"))
    if department is not None:
        outbox.department(
            department, ticket, N_("Jimei: supervision order on %(code)s. Please act before the deadline.")
        )
    return order


def sweep(
    session: Session, *, sms: SmsGateway, base_url: str, now: datetime | None = None
) -> list[SupervisionOrder]:
    """Issue a supervision order for every missed deadline. Safe on several instances at once:
    each order's (ticket, kind, missed deadline) is unique, and a duplicate insert is skipped."""
    now = now or utcnow()
    issued: list[SupervisionOrder] = []
    late_to_accept = select(Ticket).where(
        Ticket.status == Status.DISPATCHED.value, col(Ticket.response_due) < now
    )
    late_to_resolve = select(Ticket).where(
        col(Ticket.status).in_([Status.ACCEPTED.value, Status.IN_PROGRESS.value, Status.DISPATCHED.value]),
        col(Ticket.resolution_due) < now,
    )
    for kind, query, due_of in (
        (OrderKind.MISSED_RESPONSE, late_to_accept, lambda t: t.response_due),
        (OrderKind.MISSED_RESOLUTION, late_to_resolve, lambda t: t.resolution_due),
    ):
        for ticket in list(session.exec(query)):
            due = due_of(ticket)
            key = f"{kind.value}:{ticket.round}:{due.isoformat()}"
            reason = MISSED_REASONS[kind]
            try:
                with session.begin_nested():
                    order = issue_order(
                        session, ticket, kind, translator(ticket.locale).gettext(reason),
                        add_working_days(now, 2), now=now, user=None, address="sweep", sms=sms,
                        base_url=base_url, dedupe_key=key,
                    )  # fmt: skip
                issued.append(order)
            except IntegrityError:
                continue  # another instance's sweep issued this order a moment ago
    return issued


def overdue(order: SupervisionOrder, now: datetime | None = None) -> bool:
    return order.status == "open" and order.deadline < (now or utcnow())


# --- telling people --------------------------------------------------------------------------


@dataclass(frozen=True)
class Outbox:
    session: Session
    sms: SmsGateway
    base_url: str
    secret: str = ""  # only rating links need it

    def followers(
        self, ticket: Ticket, message: str, department: Department | None = None, *, rating: bool = False
    ) -> None:
        """Every resident following the ticket, each in their own language, with a link to its page or,
        with ``rating``, their own link to rate this round."""
        if rating and not self.secret:
            raise ValueError("personal rating links need the secret key")
        page = f"{self.base_url}/t/{ticket.code}"
        if rating and not self.base_url:
            message = N_("Jimei: report %(code)s is resolved. Please rate it on the portal with this code.")
        for follower in self.session.exec(
            select(Follower).where(Follower.ticket_id == ticket.id).order_by(col(Follower.id))
        ):
            link = rating_link(self.base_url, self.secret, ticket, follower) if rating else page
            t = translator(follower.locale)
            name = department.name(follower.locale) if department else ""
            # With no trusted address (see public_base_url) the message goes out without its link.
            text = t.gettext(message, code=ticket.code, link=link if self.base_url else "", department=name)
            self.sms.send(follower.phone, text.strip())

    def department(self, department: Department, ticket: Ticket, message: str) -> None:
        if department.duty_phone:
            self.sms.send(department.duty_phone, translator("zh_Hans").gettext(message, code=ticket.code))
