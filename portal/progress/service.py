"""The queries behind the public progress pages: published projects only (``visibility``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, func, or_
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from portal.directory.models import Department
from portal.i18n import DISTRICT_TZ
from portal.places.models import GridCell, Street
from portal.progress import search, visibility
from portal.progress.computing import Progress, progress_of
from portal.progress.models import (
    Milestone,
    Project,
    ProjectArea,
    ProjectDepartment,
    ProjectPhoto,
    ProjectStatus,
    ProjectTicket,
    Story,
    StoryText,
)
from portal.stats.facts import freshness, load_facts_of
from portal.stats.figures import Tally, tally, whole_district
from portal.stats.period import Period
from portal.stats.period import today as district_today
from portal.tickets.lifecycle import Status
from portal.tickets.models import Ticket

# --- the cache's version ---------------------------------------------------------------------------

_P = Project.__table__.c  # type: ignore[attr-defined]
_S = Story.__table__.c  # type: ignore[attr-defined]
_PT = ProjectTicket.__table__.c  # type: ignore[attr-defined]


def _scalar(query: Any) -> Any:
    return query.scalar_subquery()


# Every saved change to a project or story bumps its version; a deleted row changes a count; a
# scheduled story going live changes the newest publish time that has come.
_VERSION = sa_select(
    _scalar(sa_select(func.count()).select_from(Project.__table__)),  # type: ignore[attr-defined]
    _scalar(sa_select(func.coalesce(func.sum(_P.version), 0))),
    _scalar(sa_select(func.count()).select_from(Story.__table__)),  # type: ignore[attr-defined]
    _scalar(sa_select(func.coalesce(func.sum(_S.version), 0))),
    _scalar(
        sa_select(func.max(_S.publish_at)).where(_S.status == "published", _S.publish_at <= bindparam("now"))
    ),
    _scalar(sa_select(func.count()).select_from(Milestone.__table__)),  # type: ignore[attr-defined]
    _scalar(sa_select(func.count()).select_from(ProjectPhoto.__table__)),  # type: ignore[attr-defined]
)

# A campaign's figures move with its tagged tickets, their steps and their ratings.
_CAMPAIGN = sa_select(
    _scalar(sa_select(func.count()).where(_PT.project_id == bindparam("project"))),
    _scalar(
        sa_select(func.coalesce(func.sum(_PT.ticket_id), 0)).where(_PT.project_id == bindparam("project"))
    ),
    _scalar(sa_select(func.max(_PT.tagged_at)).where(_PT.project_id == bindparam("project"))),
)


_TAGGING = (
    sa_select(func.count(_PT.ticket_id), func.coalesce(func.sum(_PT.ticket_id), 0), func.max(_PT.tagged_at))
    .select_from(Project.__table__.outerjoin(ProjectTicket.__table__, _PT.project_id == _P.id))  # type: ignore[attr-defined]
    .where(_P.slug == bindparam("slug"), _P.published.is_(True))
)


def tagging_version(engine: Engine, slug: str) -> tuple[str, ...]:
    """The board filtered to a campaign's tickets changes when one is tagged or untagged."""
    with engine.connect() as connection:
        row = connection.execute(_TAGGING, {"slug": slug}).one()
    return tuple(str(value) for value in row)


def progress_version(engine: Engine, now: datetime) -> tuple[Any, ...]:
    """What every public progress page depends on, in one read: pages rendered with another are stale."""
    with engine.connect() as connection:
        row = connection.execute(_VERSION, {"now": now}).one()
    return tuple(str(value) for value in row)


# The same, and in the same read whether the slug names a published campaign (whose page also
# depends on its tickets): a project's page costs one read, as a ticket's does.
_VERSION_AND_CAMPAIGN = _VERSION.add_columns(
    _scalar(
        sa_select(_P.id).where(_P.slug == bindparam("slug"), _P.published.is_(True), _P.kind == "campaign")
    )
)


def progress_version_and_campaign(
    engine: Engine, now: datetime, slug: str
) -> tuple[tuple[Any, ...], int | None]:
    with engine.connect() as connection:
        row = connection.execute(_VERSION_AND_CAMPAIGN, {"now": now, "slug": slug}).one()
    *version, campaign = row
    return tuple(str(value) for value in version), (int(campaign) if campaign is not None else None)


def campaign_version(engine: Engine, project_id: int) -> tuple[Any, ...]:
    with engine.connect() as connection:
        row = connection.execute(_CAMPAIGN, {"project": project_id}).one()
        return (*(str(value) for value in row), *freshness(connection))


# --- the projects ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    status: ProjectStatus | None = None
    street: Street | None = None
    department: Department | None = None
    words: list[str] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.status or self.street or self.department or self.words)


class Tree:
    """Every published project with its milestones, and the progress of each (sub-projects first)."""

    def __init__(self, projects: list[Project], milestones: list[Milestone], today: date) -> None:
        self.today = today
        self.by_id = {p.id: p for p in projects}
        self._children: dict[int | None, list[Project]] = defaultdict(list)
        for project in sorted(projects, key=lambda p: p.id or 0):
            if project.parent_id in self.by_id:
                self._children[project.parent_id].append(project)
        self._milestones: dict[int, list[Milestone]] = defaultdict(list)
        for milestone in milestones:
            self._milestones[milestone.project_id].append(milestone)
        self._progress: dict[int | None, Progress] = {}

    def children(self, project: Project) -> list[Project]:
        return self._children.get(project.id, [])

    def parent(self, project: Project) -> Project | None:
        return self.by_id.get(project.parent_id) if project.parent_id is not None else None

    def progress(self, project: Project, _seen: frozenset[int | None] = frozenset()) -> Progress:
        if project.id in self._progress:
            return self._progress[project.id]
        seen = _seen | {project.id}
        children = [
            (child, self.progress(child, seen)) for child in self.children(project) if child.id not in seen
        ]
        result = progress_of(project, self._milestones.get(project.id or 0, []), children, self.today)
        self._progress[project.id] = result
        return result


def load_tree(session: Session, today: date) -> Tree:
    projects = list(session.exec(select(Project).where(visibility.public_project())))
    ids = [p.id for p in projects]
    milestones = (
        list(session.exec(select(Milestone).where(col(Milestone.project_id).in_(ids)))) if ids else []
    )
    return Tree(projects, milestones, today)


def public_projects(session: Session, tree: Tree, filters: Filters) -> list[Project]:
    """The published projects the filters choose: a project before its sub-projects."""
    query: Any = select(col(Project.id)).where(visibility.public_project())
    if filters.status is not None:
        query = query.where(Project.status == filters.status.value)
    if filters.street is not None:
        query = query.where(
            col(Project.id).in_(
                select(ProjectArea.project_id).where(ProjectArea.street_id == filters.street.id)
            )
        )
    if filters.department is not None:
        shared = select(ProjectDepartment.project_id).where(
            ProjectDepartment.department_id == filters.department.id
        )
        query = query.where(
            or_(col(Project.lead_department_id) == filters.department.id, col(Project.id).in_(shared))
        )
    query = query.where(search.matching(session, filters.words))
    chosen = set(session.exec(query))
    ordered: list[Project] = []

    def walk(projects: list[Project]) -> None:
        for project in projects:
            if project.id in chosen:
                ordered.append(project)
            walk(tree.children(project))

    roots = [p for p in tree.by_id.values() if tree.parent(p) is None]
    walk(sorted(roots, key=_newest_first))
    return ordered


def _newest_first(project: Project) -> tuple[int, float, int]:
    # under way first, then planned, paused and completed; within each, the latest started first
    rank = {ProjectStatus.IN_PROGRESS: 0, ProjectStatus.PLANNED: 1, ProjectStatus.PAUSED: 2}.get(
        ProjectStatus(project.status) if project.status in set(ProjectStatus) else ProjectStatus.PLANNED, 3
    )
    started = project.start_date.toordinal() if project.start_date else 0
    return (rank, -started, -(project.id or 0))


def public_project(session: Session, slug: str) -> Project | None:
    return session.exec(select(Project).where(Project.slug == slug, visibility.public_project())).first()


def departments_of(session: Session, project: Project) -> list[Department]:
    """The lead department first, then the others by name's order in the directory."""
    shared = [
        d
        for d in session.exec(
            select(Department)
            .join(ProjectDepartment, col(ProjectDepartment.department_id) == Department.id)
            .where(ProjectDepartment.project_id == project.id)
            .order_by(col(Department.id))
        )
        if d.id != project.lead_department_id
    ]
    lead = session.get(Department, project.lead_department_id) if project.lead_department_id else None
    return ([lead] if lead else []) + shared


@dataclass(frozen=True)
class Area:
    street: Street
    grids: list[GridCell]


def areas_of(session: Session, project: Project) -> list[Area]:
    rows = session.exec(
        select(ProjectArea, Street, GridCell)
        .join(Street, col(Street.id) == ProjectArea.street_id)
        .outerjoin(GridCell, col(GridCell.id) == ProjectArea.grid_id)
        .where(ProjectArea.project_id == project.id)
        .order_by(col(Street.position), col(Street.id), col(GridCell.code))
    ).all()
    areas: dict[int | None, Area] = {}
    for _area, street, grid in rows:
        area = areas.setdefault(street.id, Area(street, []))
        if grid is not None:
            area.grids.append(grid)
    return list(areas.values())


@dataclass(frozen=True)
class PhotoPair:
    before: ProjectPhoto | None
    after: ProjectPhoto | None


def photos_of(session: Session, project: Project) -> tuple[ProjectPhoto | None, list[PhotoPair]]:
    """The cover, and the before/after pairs in order."""
    photos = list(
        session.exec(
            select(ProjectPhoto)
            .where(ProjectPhoto.project_id == project.id)
            .order_by(col(ProjectPhoto.pair), col(ProjectPhoto.position), col(ProjectPhoto.id))
        )
    )
    cover = next((p for p in photos if p.role == "cover"), None)
    pairs: dict[int, dict[str, ProjectPhoto]] = {}
    for photo in photos:
        if photo.role in {"before", "after"}:
            pairs.setdefault(photo.pair, {}).setdefault(photo.role, photo)
    return cover, [PhotoPair(sides.get("before"), sides.get("after")) for _, sides in sorted(pairs.items())]


def stories_of(
    session: Session, now: datetime, project_id: int | None = None, limit: int = 50
) -> list[tuple[Story, dict[str, StoryText]]]:
    """Public stories with their live texts, newest first."""
    stories = visibility.public_stories(session, now, project_id=project_id, limit=limit)
    texts = visibility.story_texts(session, [s.id for s in stories if s.id is not None])
    return [(story, texts.get(story.id or 0, {})) for story in stories]


# --- a campaign's tickets ------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignFigures:
    """The tagged tickets' figures by the formulas of /stats (``portal.stats.figures``), from the day
    the first of them was reported to today."""

    reported: int
    counts: Tally
    period: Period | None

    @property
    def resolutions(self) -> int:
        return self.counts.resolutions

    @property
    def resolved_on_time(self) -> int:
        return self.counts.resolved_on_time

    @property
    def on_time_rate(self) -> Decimal | None:
        return self.counts.on_time_rate

    @property
    def ratings(self) -> int:
        return self.counts.ratings

    @property
    def satisfied_ratings(self) -> int:
        return self.counts.satisfied_ratings

    @property
    def satisfaction_rate(self) -> Decimal | None:
        return self.counts.satisfaction_rate


def campaign_figures(session: Session, project: Project, today: date | None = None) -> CampaignFigures:
    tagged = select(ProjectTicket.ticket_id).where(ProjectTicket.project_id == project.id)
    row = session.exec(
        select(func.count(), func.min(Ticket.created_at)).where(
            col(Ticket.id).in_(tagged), Ticket.status != Status.MERGED.value
        )
    ).one()
    reported, first = int(row[0] or 0), row[1]
    if not reported or first is None:
        return CampaignFigures(0, Tally(), None)
    # From the campaign's start (or the first ticket tagged, if the centre tagged an older one).
    begin = first.astimezone(DISTRICT_TZ).date()
    if project.start_date is not None:
        begin = min(begin, project.start_date)
    period = Period(begin, max(today or district_today(), begin))
    facts = load_facts_of(session.connection(), tagged)
    counts = tally(facts, period, whole_district).get(0) or Tally()
    return CampaignFigures(reported, counts, period)


def tagged_tickets(project_id: int) -> Any:
    """The ids of the tickets tagged to a project, for the board's filter."""
    return select(ProjectTicket.ticket_id).where(ProjectTicket.project_id == project_id)


def board_project(session: Session, slug: str) -> Project | None:
    """The project named in the board's ``?project=``: only a published one filters the board."""
    return public_project(session, slug) if slug else None
