"""Loads the demonstration data of ``portal.demo_data`` into an upgraded database. Safe to run twice."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from PIL import Image, ImageDraw
from shapely.geometry import Polygon
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from portal import demo_data as data
from portal.accounts.models import StaffRole
from portal.accounts.service import create_user, find_user
from portal.db import utcnow
from portal.demo_progress import load_progress
from portal.demo_surveys import load_surveys
from portal.directory.models import Category, CategoryGroup, Department
from portal.dispatch.models import OrderKind, SupervisionOrder
from portal.dispatch.notes import MISSED_REASONS
from portal.dispatch.service import issue_order
from portal.evaluation.models import Rating
from portal.i18n import translator
from portal.media import MediaStore, process_photo
from portal.places.models import Community, GridCell, Street
from portal.settings import get_settings
from portal.tickets.codes import ALPHABET
from portal.tickets.lifecycle import Action, Role, Status
from portal.tickets.models import Photo, Ticket
from portal.tickets.service import record_event
from portal.worktime import add_working_days, add_working_hours


def _names(names: data.Names) -> dict[str, str]:
    return {"name_zh_hans": names.zh_Hans, "name_zh_hant": names.zh_Hant, "name_en": names.en}


def _upsert(session: Session, model: type[SQLModel], key: str, value: str, **fields: Any) -> Any:
    row = session.exec(select(model).where(getattr(model, key) == value)).first()
    if row is None:
        row = model(**{key: value}, **fields)
    else:
        for name, field_value in fields.items():
            setattr(row, name, field_value)
    session.add(row)
    session.flush()
    return row


def load_reference_data(session: Session) -> dict[str, dict[str, Any]]:
    """Streets, communities, grid cells, departments and categories; returns them by slug."""
    streets: dict[str, Street] = {}
    communities: dict[str, Community] = {}
    for position, street in enumerate(data.STREETS):
        streets[street.slug] = _upsert(
            session,
            Street,
            "slug",
            street.slug,
            lat=street.lat,
            lng=street.lng,
            position=position,
            **_names(street.names),
        )
        for community in street.communities:
            communities[community.slug] = _upsert(
                session,
                Community,
                "slug",
                community.slug,
                street_id=streets[street.slug].id,
                lat=community.lat,
                lng=community.lng,
                **_names(community.names),
            )
    cells: dict[str, GridCell] = {}
    for cell in data.grid_cells():
        home = communities[cell.community]
        number = cell.code.split("-")[-1]
        geometry = {"type": "Polygon", "coordinates": [[list(point) for point in cell.polygon]]}
        cells[cell.code] = _upsert(
            session,
            GridCell,
            "code",
            cell.code,
            community_id=home.id,
            street_id=home.street_id,
            boundary=json.dumps(geometry),
            name_zh_hans=f"{home.name_zh_hans}第{number}网格",
            name_zh_hant=f"{home.name_zh_hant}第{number}網格",
            name_en=f"{home.name_en} grid {number}",
        )
    departments = {
        d.slug: _upsert(session, Department, "slug", d.slug, **_names(d.names)) for d in data.DEPARTMENTS
    }
    groups = {
        g.slug: _upsert(session, CategoryGroup, "slug", g.slug, icon=g.icon, position=i, **_names(g.names))
        for i, g in enumerate(data.CATEGORY_GROUPS)
    }
    categories = {
        c.slug: _upsert(
            session,
            Category,
            "slug",
            c.slug,
            group_id=groups[c.group].id,
            icon=c.icon,
            default_department_id=departments[c.department].id,
            response_hours=c.response_hours,
            resolution_days=c.resolution_days,
            position=i,
            hint_zh_hans=c.hints.zh_Hans,
            hint_zh_hant=c.hints.zh_Hant,
            hint_en=c.hints.en,
            **_names(c.names),
        )
        for i, c in enumerate(data.CATEGORIES)
    }
    return {
        "streets": streets,
        "communities": communities,
        "cells": cells,
        "departments": departments,
        "categories": categories,
    }


def demo_code(index: int) -> str:
    """Stable codes, so the demonstration tickets keep their addresses between loads."""
    digest = hashlib.sha256(f"jimei-demo-{index}".encode()).digest()
    raw = "".join(ALPHABET[b % len(ALPHABET)] for b in digest[:8])
    return f"{raw[:4]}-{raw[4:]}"


def _demo_photo(index: int) -> bytes:
    """A drawn picture standing in for a resident's photo (real JPEG bytes, through the real pipeline)."""
    image = Image.new("RGB", (1200, 900), (120 + index * 7 % 80, 140, 150 + index * 13 % 60))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 600, 1200, 900), fill=(90, 90, 95))
    draw.ellipse((300 + index * 20 % 400, 650, 700 + index * 20 % 400, 820), fill=(40, 40, 45))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def _point_in(cell: GridCell) -> tuple[float, float]:
    polygon = Polygon(json.loads(cell.boundary)["coordinates"][0])
    point = polygon.representative_point()
    return point.y, point.x


STEPS: dict[str, list[Action]] = {
    "submitted": [],
    "dispatched": [Action.DISPATCH],
    "accepted": [Action.DISPATCH, Action.ACCEPT],
    "in_progress": [Action.DISPATCH, Action.ACCEPT, Action.PROGRESS],
    "resolved": [Action.DISPATCH, Action.ACCEPT, Action.PROGRESS, Action.RESOLVE],
    "closed": [Action.DISPATCH, Action.ACCEPT, Action.PROGRESS, Action.RESOLVE, Action.CLOSE],
    "rejected": [Action.REJECT],
    "merged": [Action.MERGE],
}
ROLE_OF = {
    Action.DISPATCH: Role.DISPATCHER,
    Action.REJECT: Role.DISPATCHER,
    Action.MERGE: Role.DISPATCHER,
    Action.ACCEPT: Role.DEPARTMENT,
    Action.PROGRESS: Role.DEPARTMENT,
    Action.RESOLVE: Role.DEPARTMENT,
    Action.CLOSE: Role.SYSTEM,
}
HOURS_AFTER = {
    Action.DISPATCH: 2,
    Action.REJECT: 3,
    Action.MERGE: 3,
    Action.ACCEPT: 3,
    Action.PROGRESS: 26,
    Action.RESOLVE: 70,
}
# A ticket still being handled was handled lately, within its deadlines, as in a calm district:
# its steps happened within this span before the demonstration was loaded.
STILL_OPEN_SPAN = {
    "dispatched": timedelta(hours=3),
    "accepted": timedelta(hours=6),
    "in_progress": timedelta(hours=30),
}
SWEEP_DELAY = timedelta(minutes=5)  # the in-process jobs run every five minutes


class _Silent:
    """The demonstration's history happened before anyone could be told: no SMS is sent for it."""

    def send(self, phone: str, text: str) -> None:
        return None


def load_tickets(session: Session, ref: dict[str, dict[str, Any]], media: MediaStore) -> int:
    made = 0
    cells_by_community: dict[int, list[GridCell]] = {}
    for cell in ref["cells"].values():
        cells_by_community.setdefault(cell.community_id, []).append(cell)
    now = utcnow()
    window = timedelta(days=get_settings().rating_window_days)
    for index, sample in enumerate(data.TICKETS):
        key = f"demo-{index:03d}"
        if session.exec(select(Ticket).where(Ticket.submission_key == key)).first() is not None:
            continue
        made += 1
        category = ref["categories"][sample.category]
        community = ref["communities"][sample.community]
        cells = cells_by_community.get(community.id, [])
        cell = cells[index % len(cells)] if cells else None
        lat, lng = _point_in(cell) if cell else (community.lat, community.lng)
        reported = now - timedelta(days=sample.days_ago, hours=index % 9)
        ticket = Ticket(
            code=demo_code(index),
            submission_key=key,
            category_id=category.id,
            status=Status.SUBMITTED.value,
            description=sample.description,
            is_public=sample.public,
            street_id=community.street_id,
            community_id=community.id,
            grid_id=cell.id if cell else None,
            lat=lat,
            lng=lng,
            address=sample.address,
            reporter_name=sample.reporter_name,
            reporter_phone=sample.reporter_phone,
            created_at=reported,
            updated_at=reported,
            version=0,
        )
        session.add(ticket)
        session.flush()
        record_event(session, ticket, Action.REPORT, Role.RESIDENT, at=reported)
        if index % 4 == 0:
            processed = process_photo(_demo_photo(index))
            media.save(processed)
            session.add(
                Photo(
                    ticket_id=ticket.id or 0,
                    digest=processed.digest,
                    width=processed.width,
                    height=processed.height,
                    approved=index % 8 == 0,
                )
            )
        _replay(session, ticket, sample, category, reported, now, window, index)
    return made


def _replay(
    session: Session,
    ticket: Ticket,
    sample: data.DemoTicket,
    category: Category,
    reported: datetime,
    now: datetime,
    window: timedelta,
    index: int,
) -> None:
    """Replay a sample's history as the portal would have recorded it, with the clock: deadlines on
    the working calendar, the supervision orders the deadline sweep would have issued when each one
    passed, and the closing of a rating window that ended. So the first sweep after loading finds
    nothing to do, and the figures a visitor sees stay as they are."""
    seed = ticket.id or 0
    latest = now - timedelta(minutes=10)
    at = reported
    for action in STEPS[sample.status]:
        if action == Action.CLOSE:
            if sample.reporter_phone:  # the reporter's rating closes it (rated 满意 or better: no order)
                rated = min(at + timedelta(days=2), latest)
                _demo_rating(session, ticket, seed, rated)
                record_event(session, ticket, Action.CLOSE, Role.SYSTEM, at=rated)
            continue  # unrated: the rating window closes it, below
        at = _step_time(action, ticket, sample, reported, at, latest, window, seed, index)
        _sweep_until(session, ticket, at)
        note = {
            Action.PROGRESS: sample.progress_note,
            Action.RESOLVE: sample.resolution_note,
            Action.REJECT: sample.reject_reason,
        }.get(action, "")
        if action == Action.DISPATCH:
            ticket.department_id = category.default_department_id
            ticket.response_due = add_working_hours(at, category.response_hours)
            ticket.resolution_due = add_working_days(at, category.resolution_days)
        if action == Action.MERGE:
            target = session.exec(
                select(Ticket).where(
                    Ticket.category_id == ticket.category_id,
                    Ticket.id != ticket.id,
                    Ticket.status != Status.MERGED.value,
                )
            ).first()
            if target is None:
                return
            ticket.merged_into_id = target.id
            target.supporters += 1
            session.add(target)
        record_event(session, ticket, action, ROLE_OF[action], public_note=note, at=at)
        if action == Action.RESOLVE:
            _end_orders(session, ticket, at)
    _sweep_until(session, ticket, now)
    if ticket.status == Status.RESOLVED.value and at + window < now:
        record_event(session, ticket, Action.CLOSE, Role.SYSTEM, at=at + window)


def _step_time(
    action: Action,
    ticket: Ticket,
    sample: data.DemoTicket,
    reported: datetime,
    previous: datetime,
    latest: datetime,
    window: timedelta,
    seed: int,
    index: int,
) -> datetime:
    """When a step happened: a few hours apart as a rule; in the history of finished tickets some
    departments answered or resolved late; a ticket still waiting for its rating was resolved within
    the rating window."""
    start = (
        max(reported, latest - STILL_OPEN_SPAN[sample.status])
        if sample.status in STILL_OPEN_SPAN
        else reported
    )
    at = start + timedelta(hours=HOURS_AFTER[action])
    if sample.status in STILL_OPEN_SPAN:
        return min(max(at, previous + timedelta(minutes=30)), latest)
    if action == Action.ACCEPT and seed % 5 == 0 and ticket.response_due is not None:
        at = ticket.response_due + timedelta(hours=3)  # some departments answer late
    if action == Action.RESOLVE:
        if seed % 3 == 0 and ticket.resolution_due is not None:
            at = ticket.resolution_due + timedelta(days=1)  # and some resolve late
        if sample.status == "resolved":
            at = max(at, latest - window + timedelta(days=1 + index % 4))
    return min(max(at, previous + timedelta(minutes=30)), latest)


def _sweep_until(session: Session, ticket: Ticket, until: datetime) -> None:
    """The supervision orders the deadline sweep (portal.dispatch.service.sweep) would have issued
    for this ticket before ``until``, each a sweep interval after its deadline, with the sweep's
    own key, so that a real sweep recognises them."""
    open_states = {Status.ACCEPTED.value, Status.IN_PROGRESS.value, Status.DISPATCHED.value}
    missed = []
    if ticket.status == Status.DISPATCHED.value and ticket.response_due is not None:
        missed.append((ticket.response_due, OrderKind.MISSED_RESPONSE))
    if ticket.status in open_states and ticket.resolution_due is not None:
        missed.append((ticket.resolution_due, OrderKind.MISSED_RESOLUTION))
    for due, kind in sorted(missed):
        issued = due + SWEEP_DELAY
        if issued >= until:
            continue
        issue_order(
            session, ticket, kind, translator(ticket.locale).gettext(MISSED_REASONS[kind]), add_working_days(issued, 2),
            now=issued, user=None, address="sweep", sms=_Silent(), base_url="",
            dedupe_key=f"{kind.value}:{ticket.round}:{due.astimezone(UTC).isoformat()}",
        )  # fmt: skip


def _end_orders(session: Session, ticket: Ticket, at: datetime) -> None:
    """A resolution fulfils the ticket's open supervision orders (as the department's resolve does)."""
    for order in session.exec(
        select(SupervisionOrder).where(
            SupervisionOrder.ticket_id == ticket.id, SupervisionOrder.status == "open"
        )
    ):
        order.status = "fulfilled"
        order.fulfilled_at = at
        session.add(order)


DEMO_LEVELS = (5, 4, 4, 3, 5, 4, 3, 5)
DEMO_SOLVED = ("yes", "yes", "yes", "partly", "yes", "yes", "partly", "yes")


def _demo_rating(session: Session, ticket: Ticket, seed: int, at: Any) -> None:
    """The reporter's rating of a closed demonstration ticket, so that /stats has figures to show."""
    session.add(
        Rating(ticket_id=ticket.id or 0, round=ticket.round, rater=ticket.reporter_phone,
               level=DEMO_LEVELS[seed % len(DEMO_LEVELS)], solved=DEMO_SOLVED[seed % len(DEMO_SOLVED)], created_at=at)
    )  # fmt: skip


DEMO_PASSWORD = "jimei-demo-2026"  # noqa: S105  (demonstration accounts only; printed by portal demo)
DEMO_STAFF = (
    ("admin", "区指挥中心管理员", StaffRole.ADMIN, None),
    ("centre", "指挥中心派单员", StaffRole.DISPATCHER, None),
    ("volunteer", "社区志愿者", StaffRole.VOLUNTEER, None),
    ("press", "区融媒体中心编辑", StaffRole.PRESS, None),
    ("press-lead", "区融媒体中心主编", StaffRole.PRESS_LEAD, None),
)


def load_staff(session: Session, ref: dict[str, dict[str, Any]]) -> list[str]:
    """Demonstration accounts: an administrator, a dispatcher, a volunteer and one user per department."""
    people = list(DEMO_STAFF) + [
        (f"dept-{slug}", department.name_zh_hans, StaffRole.DEPARTMENT, department.id)
        for slug, department in ref["departments"].items()
    ]
    made = []
    for username, name, role, department_id in people:
        if find_user(session, username) is None:
            create_user(session, username=username, password=DEMO_PASSWORD, role=role, display_name=name,
                        department_id=department_id)  # fmt: skip
            made.append(username)
    return made


def load_demo(engine: Engine) -> str:
    settings = get_settings()
    with Session(engine, expire_on_commit=False) as session:
        ref = load_reference_data(session)
        made = load_tickets(session, ref, MediaStore(settings.media_dir))
        staff = load_staff(session, ref)
        projects, stories = load_progress(
            session, ref, MediaStore(settings.media_dir), hant=settings.hant_conversion
        )
        surveys = load_surveys(session, secret=settings.secret_key, hant=settings.hant_conversion)
        session.commit()
    return (
        f"demo data: {len(ref['streets'])} streets, {len(ref['communities'])} communities, "
        f"{len(ref['cells'])} grid cells, {len(ref['departments'])} departments, "
        f"{len(ref['categories'])} categories, {made} new tickets, {len(staff)} new staff accounts, "
        f"{projects} new projects, {stories} new stories, {surveys} new surveys\n"
        f"staff sign-in at /staff: admin, centre, volunteer, press, press-lead or dept-<department> "
        f"(e.g. dept-{next(iter(ref['departments']))}), password {DEMO_PASSWORD!r} (demonstration only)"
    )
