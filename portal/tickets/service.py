"""Creating tickets, recording events, and the queries behind the public pages."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, func, or_
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from portal.db import utcnow
from portal.directory.models import Category
from portal.i18n import N_
from portal.progress import campaigns
from portal.stats import facts_table  # noqa: F401  (its session hook keeps the figures' facts current)
from portal.tickets import counts, lifecycle
from portal.tickets.codes import new_code
from portal.tickets.forms import CleanReport
from portal.tickets.lifecycle import Action, Role, Status
from portal.tickets.models import Follower, Photo, Ticket, TicketEvent

PAGE_SIZE = 20


@dataclass(frozen=True)
class StoredPhoto:
    digest: str
    width: int
    height: int


def record_event(
    session: Session,
    ticket: Ticket,
    action: Action,
    role: Role,
    *,
    public_note: str = "",
    internal_note: str = "",
    actor_id: int | None = None,
    at: datetime | None = None,
) -> TicketEvent:
    """Apply one lifecycle step: checks the table, appends the event, moves the status."""
    source = Status(ticket.status) if ticket.id is not None and action != Action.REPORT else None
    target = lifecycle.next_status(action, source, role)
    assert ticket.id is not None
    seq = session.exec(
        select(func.coalesce(func.max(TicketEvent.seq), 0)).where(TicketEvent.ticket_id == ticket.id)
    ).one()
    event = TicketEvent(
        ticket_id=ticket.id,
        seq=int(seq) + 1,
        action=action.value,
        from_status=source.value if source else None,
        to_status=target.value,
        actor_role=role.value,
        actor_id=actor_id,
        department_id=ticket.department_id,
        public_note=public_note,
        internal_note=internal_note,
        at=at or utcnow(),
        due_at={Action.ACCEPT: ticket.response_due, Action.RESOLVE: ticket.resolution_due}.get(action),
    )
    ticket.status = target.value
    ticket.version += 1
    ticket.updated_at = event.at
    session.add(event)
    session.add(ticket)
    session.flush()
    return event


def ticket_version(engine: Engine, code: str) -> int | None:
    """A ticket's version by its code: one indexed read through SQLAlchemy Core, for the page cache."""
    with engine.connect() as connection:
        return connection.execute(_VERSION_BY_CODE, {"code": code}).scalar()


def newest_event_id(engine: Engine) -> int:
    """Every change to any ticket appends an event, so the newest event's id versions every list."""
    with engine.connect() as connection:
        return int(connection.execute(_NEWEST_EVENT).scalar() or 0)


_VERSION_BY_CODE = sa_select(Ticket.__table__.c.version).where(Ticket.__table__.c.code == bindparam("code"))  # type: ignore[attr-defined]
_NEWEST_EVENT = sa_select(func.max(TicketEvent.__table__.c.id))  # type: ignore[attr-defined]


def find_by_key(session: Session, key: str) -> Ticket | None:
    return session.exec(select(Ticket).where(Ticket.submission_key == key)).first()


def find_by_code(session: Session, code: str) -> Ticket | None:
    return session.exec(select(Ticket).where(Ticket.code == code)).first()


def submit_report(
    session: Session,
    report: CleanReport,
    photos: list[StoredPhoto],
    *,
    key: str,
    role: Role = Role.RESIDENT,
    locale: str = "zh_Hans",
) -> tuple[Ticket, bool]:
    """The ticket for this form key: made now (True), or the one an earlier try of the same key made (False)."""
    existing = find_by_key(session, key)
    if existing is not None:
        return existing, False
    for _attempt in range(5):
        try:
            with session.begin_nested():
                ticket = _insert_ticket(session, report, photos, key=key, role=role, locale=locale)
            return ticket, True
        except IntegrityError:
            # Either a concurrent retry of the same key won the race, or (rarely) the code collided.
            existing = find_by_key(session, key)
            if existing is not None:
                return existing, False
    raise RuntimeError("could not allocate a tracking code")


def _insert_ticket(
    session: Session, report: CleanReport, photos: list[StoredPhoto], *, key: str, role: Role, locale: str
) -> Ticket:
    now = utcnow()
    ticket = Ticket(
        code=new_code(),
        submission_key=key,
        category_id=report.category.id or 0,
        status=Status.SUBMITTED.value,
        description=report.description,
        is_public=report.is_public,
        street_id=report.grid.street_id
        if report.grid
        else (report.community.street_id if report.community else None),
        community_id=report.grid.community_id
        if report.grid
        else (report.community.id if report.community else None),
        grid_id=report.grid.grid_id if report.grid else None,
        lat=report.lat,
        lng=report.lng,
        address=report.address,
        reporter_name=report.name,
        reporter_phone=report.phone,
        reporter_role=role.value,
        locale=locale,
        created_at=now,
        updated_at=now,
        version=0,
    )
    session.add(ticket)
    session.flush()
    record_event(session, ticket, Action.REPORT, role, at=now)
    campaigns.tag_by_category(session, ticket)
    for position, photo in enumerate(photos):
        session.add(
            Photo(
                ticket_id=ticket.id or 0,
                position=position,
                digest=photo.digest,
                width=photo.width,
                height=photo.height,
            )
        )
    if report.phone:
        session.add(Follower(ticket_id=ticket.id or 0, phone=report.phone, kind="reporter", locale=locale))
    session.flush()
    return ticket


def count_supporter(session: Session, ticket: Ticket) -> None:
    """One more resident with this problem (the view makes sure each browser counts once)."""
    ticket.supporters += 1
    record_event(session, ticket, Action.SUPPORT, Role.RESIDENT)


def follow(session: Session, ticket: Ticket, phone: str, locale: str) -> bool:
    """A confirmed phone follows the ticket (SMS on dispatch and resolution). False when it already did."""
    already = session.exec(
        select(Follower).where(Follower.ticket_id == ticket.id, Follower.phone == phone)
    ).first()
    if already is not None:
        return False
    session.add(Follower(ticket_id=ticket.id or 0, phone=phone, kind="supporter", locale=locale))
    session.flush()
    return True


def add_supporter(session: Session, ticket: Ticket, phone: str, locale: str) -> bool:
    """A resident whose phone is confirmed says "me too": counted, and following. False when it already followed."""
    if not follow(session, ticket, phone, locale):
        return False
    count_supporter(session, ticket)
    return True


def timeline(session: Session, ticket: Ticket) -> list[TicketEvent]:
    return list(
        session.exec(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(col(TicketEvent.seq))
        )
    )


def photos_of(session: Session, ticket: Ticket, *, approved_only: bool) -> list[Photo]:
    query = select(Photo).where(Photo.ticket_id == ticket.id)
    if approved_only:
        query = query.where(col(Photo.approved).is_(True))
    return list(session.exec(query.order_by(col(Photo.position), col(Photo.id))))


# Where each photo came from, as staff and residents read it beside the photo.
PHOTO_SOURCES = {
    "report": N_("Sent by the resident"),
    "progress": N_("Taken by the department (progress update)"),
    "after": N_("Taken by the department (after resolving)"),
}
_STEP_OF_KIND = {"progress": Action.PROGRESS.value, "after": Action.RESOLVE.value}


@dataclass(frozen=True)
class PhotoSets:
    reported: list[Photo]  # the residents' photos of the problem
    by_event: dict[int, list[Photo]]  # the department's, under the step they were sent with


def photo_sets(photos: list[Photo], events: list[TicketEvent]) -> PhotoSets:
    """Split a ticket's photos: the residents' go with the report, the department's with their step.
    A department photo stored before photos named their step goes with the latest step of its kind
    made before it."""
    reported: list[Photo] = []
    by_event: dict[int, list[Photo]] = {}
    for photo in photos:
        event_id = photo.event_id if photo.kind in _STEP_OF_KIND else None
        if photo.kind in _STEP_OF_KIND and event_id is None:
            steps = [e for e in events if e.action == _STEP_OF_KIND[photo.kind] and e.at <= photo.created_at]
            event_id = steps[-1].id if steps else None
        if event_id is None:
            reported.append(photo)
        else:
            by_event.setdefault(event_id, []).append(photo)
    return PhotoSets(reported, by_event)


def similar_open_tickets(
    session: Session,
    category_id: int,
    *,
    grid_id: int | None = None,
    community_id: int | None = None,
    limit: int = 3,
) -> list[Ticket]:
    """Open public tickets of the same kind in the same grid cell (or community): likely the same problem."""
    if grid_id is None and community_id is None:
        return []
    open_states = [s.value for s in lifecycle.OPEN_STATUSES]
    query = select(Ticket).where(
        Ticket.category_id == category_id,
        col(Ticket.is_public).is_(True),
        col(Ticket.status).in_(open_states),
    )
    query = (
        query.where(Ticket.grid_id == grid_id)
        if grid_id is not None
        else query.where(Ticket.community_id == community_id)
    )
    return list(session.exec(query.order_by(col(Ticket.created_at).desc()).limit(limit)))


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MICROSECOND = timedelta(microseconds=1)
_POSITION = re.compile(r"(\d{1,16})-(\d{1,12})")


@dataclass(frozen=True)
class Position:
    """A place in the board's order (newest first: by report time, then id), written into the
    "older" and "newer" links so that a page stays where it was while new reports arrive."""

    at: datetime
    id: int

    def __str__(self) -> str:
        return f"{(self.at - EPOCH) // ONE_MICROSECOND}-{self.id}"

    @classmethod
    def parse(cls, text: str) -> Position | None:
        """The position a link wrote, or None for anything else (the board then starts at the newest)."""
        found = _POSITION.fullmatch(text.strip())
        if found is None:
            return None
        try:
            return cls(EPOCH + timedelta(microseconds=int(found[1])), int(found[2]))
        except OverflowError:
            return None

    @classmethod
    def of(cls, ticket: Ticket) -> Position:
        return cls(ticket.created_at, ticket.id or 0)


@dataclass(frozen=True)
class BoardFilters:
    category: Category | None = None
    street_id: int | None = None
    status: Status | None = None
    tagged: Any = None  # a select of ticket ids (a campaign's tagged tickets), or None for all
    before: Position | None = None  # the page of tickets older than this
    after: Position | None = None  # the page of tickets newer than this


@dataclass(frozen=True)
class BoardPage:
    tickets: list[Ticket]
    total: int
    newer: Position | None  # a link to the newer page starts after this; None on the newest page
    older: Position | None  # a link to the older page starts before this; None on the oldest page


def board(session: Session, filters: BoardFilters) -> BoardPage:
    """One page of the public board, newest first, from a position along an index that fits the
    filters: the cost is the same on the first page and on the thousandth."""
    query = select(Ticket).where(col(Ticket.is_public).is_(True), Ticket.status != Status.MERGED.value)
    if filters.category is not None:
        query = query.where(Ticket.category_id == filters.category.id)
    if filters.street_id is not None:
        query = query.where(Ticket.street_id == filters.street_id)
    if filters.status is not None:
        query = query.where(Ticket.status == filters.status.value)
    if filters.tagged is not None:
        query = query.where(col(Ticket.id).in_(filters.tagged))
        total = int(session.exec(select(func.count()).select_from(query.subquery())).one())
    else:
        total = counts.matching(
            session.connection(),
            filters.category.id if filters.category else None,
            filters.street_id,
            filters.status.value if filters.status else None,
        )
    newest_first = (col(Ticket.created_at).desc(), col(Ticket.id).desc())
    if filters.after is not None:
        rows = list(
            session.exec(
                query.where(_newer_than(filters.after))
                .order_by(col(Ticket.created_at), col(Ticket.id))
                .limit(PAGE_SIZE + 1)
            )
        )
        if len(rows) <= PAGE_SIZE:  # this reaches the newest: show the newest page, full
            return board(session, replace(filters, after=None))
        tickets = rows[PAGE_SIZE - 1 :: -1]
        return BoardPage(tickets, total, Position.of(tickets[0]), Position.of(tickets[-1]))
    query_from = query.where(_older_than(filters.before)) if filters.before is not None else query
    rows = list(session.exec(query_from.order_by(*newest_first).limit(PAGE_SIZE + 1)))
    tickets = rows[:PAGE_SIZE]
    older = Position.of(tickets[-1]) if len(rows) > PAGE_SIZE else None
    newer = None
    if filters.before is not None:
        first = Position.of(tickets[0]) if tickets else filters.before
        if session.exec(query.where(_newer_than(first)).limit(1)).first() is not None:
            newer = first
    return BoardPage(tickets, total, newer, older)


def _older_than(position: Position) -> Any:
    # Spelled out rather than as a row comparison, so that both databases walk the index from it.
    return and_(
        col(Ticket.created_at) <= position.at,
        or_(col(Ticket.created_at) < position.at, col(Ticket.id) < position.id),
    )


def _newer_than(position: Position) -> Any:
    return and_(
        col(Ticket.created_at) >= position.at,
        or_(col(Ticket.created_at) > position.at, col(Ticket.id) > position.id),
    )
