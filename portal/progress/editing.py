"""The press office edits projects, their milestones and photos.

Every rule is checked before anything is written: a refused form changes nothing, and its problems
come back together, each named by the field it belongs to. Every save bumps the project's version
(public pages are cached by it), refreshes its search text and writes the audit log.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from portal.accounts.models import StaffUser
from portal.accounts.service import audit
from portal.db import utcnow
from portal.directory.models import Category, Department
from portal.i18n import N_
from portal.media import MediaStore, ProcessedPhoto
from portal.numbers import calendar_day, whole_number
from portal.places.models import GridCell, Street
from portal.progress import markdown
from portal.progress.models import (
    CampaignCategory,
    Milestone,
    MilestoneStatus,
    Project,
    ProjectArea,
    ProjectDepartment,
    ProjectKind,
    ProjectPhoto,
    ProjectStatus,
)
from portal.progress.search import reindex
from portal.stats.period import today as district_today
from portal.tickets.forms import FormErrors, clean_text

SUFFIXES = ("zh_hans", "zh_hant", "en")
SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SLUG_MAX = 60
TITLE_MAX = 120
SUMMARY_MAX = 400
BODY_MAX = 20_000
NOTE_MAX = 300
CAPTION_MAX = 120
WEIGHT_MAX = 100  # a child project's weight among its siblings, and a milestone's percent
MAX_MILESTONES = 40
BLANK_ROWS = 3  # the milestone table offers this many empty rows (without JavaScript, save to get more)
MAX_PAIRS = 20

STALE = N_(
    "Someone else saved this project while you were editing it. Your changes are below: check them against the saved version and save again."
)
FORGED = N_("This form does not match the project. Open the project again and redo your change.")


# --- problems ------------------------------------------------------------------------------------


Problems = FormErrors
"""The project forms' problems: the same field-to-message map as every other form's."""


class EditRefused(ValueError):
    """Nothing was saved; ``problems`` say why."""

    def __init__(self, problems: Problems) -> None:
        super().__init__(", ".join(problems.messages))
        self.problems = problems


def _text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def _texts(form: Any, name: str) -> list[str]:
    values = form.getall(name, []) if hasattr(form, "getall") else form.get(name, [])
    if isinstance(values, str):
        values = [values]
    return [v for v in values if isinstance(v, str)][:200]


def _check_length(problems: Problems, field_id: str, value: str, most: int) -> None:
    if len(value) > most:
        problems.add(field_id, N_("This is too long: at most %(most)s characters."), most=most)


# --- projects --------------------------------------------------------------------------------------


@dataclass
class ProjectInput:
    """The project form as typed, to check and, when refused, to show again."""

    slug: str = ""
    title_zh_hans: str = ""
    title_zh_hant: str = ""
    title_en: str = ""
    summary_zh_hans: str = ""
    summary_zh_hant: str = ""
    summary_en: str = ""
    body_zh_hans: str = ""
    body_zh_hant: str = ""
    body_en: str = ""
    kind: str = ProjectKind.PROJECT.value
    status: str = ProjectStatus.PLANNED.value
    parent: str = ""
    weight: str = "1"
    lead_department: str = ""
    departments: list[str] = field(default_factory=list)
    streets: list[str] = field(default_factory=list)
    grids: str = ""  # grid cell codes, separated by spaces or commas
    start_date: str = ""
    target_date: str = ""
    published: bool = False
    categories: list[str] = field(default_factory=list)
    version: str = ""

    LISTS = ("departments", "streets", "categories")

    @classmethod
    def from_form(cls, form: Any) -> ProjectInput:
        raw = cls()
        for item in fields(cls):
            if item.name in cls.LISTS:
                setattr(raw, item.name, _texts(form, item.name))
            elif item.name == "published":
                raw.published = _text(form, "published") in {"on", "1", "yes", "true"}
            else:
                multiline = item.name.startswith(("body_", "summary_"))
                setattr(
                    raw, item.name, clean_text(_text(form, item.name)[: BODY_MAX + 1000], multiline=multiline)
                )
        return raw

    @classmethod
    def from_project(cls, session: Session, project: Project) -> ProjectInput:
        areas = list(session.exec(select(ProjectArea).where(ProjectArea.project_id == project.id)))
        cells = {
            c.id: c.code
            for c in session.exec(
                select(GridCell).where(col(GridCell.id).in_([a.grid_id for a in areas if a.grid_id]))
            )
        }
        texts = {
            f"{n}_{s}": getattr(project, f"{n}_{s}") for n in ("title", "summary", "body") for s in SUFFIXES
        }
        return cls(
            slug=project.slug,
            **texts,
            kind=project.kind,
            status=project.status,
            parent=str(project.parent_id or ""),
            weight=str(project.weight),
            lead_department=str(project.lead_department_id or ""),
            departments=[
                str(d.department_id)
                for d in session.exec(
                    select(ProjectDepartment).where(ProjectDepartment.project_id == project.id)
                )
            ],
            streets=[str(a.street_id) for a in areas if a.grid_id is None],
            grids=" ".join(sorted(cells[a.grid_id] for a in areas if a.grid_id in cells)),
            start_date=project.start_date.isoformat() if project.start_date else "",
            target_date=project.target_date.isoformat() if project.target_date else "",
            published=project.published,
            categories=[
                str(c.category_id)
                for c in session.exec(
                    select(CampaignCategory).where(CampaignCategory.project_id == project.id)
                )
            ],
            version=str(project.version),
        )


@dataclass
class _CleanProject:
    texts: dict[str, str]
    slug: str
    kind: str
    status: str
    parent_id: int | None
    weight: int
    lead_department_id: int
    department_ids: list[int]
    areas: list[tuple[int, int | None]]
    start_date: date | None
    target_date: date | None
    published: bool
    category_ids: list[int]


def _ids(values: Iterable[str], known: set[int]) -> list[int] | None:
    """The chosen ids, in order and once each; None when one is not a known id (a forged form)."""
    chosen: list[int] = []
    for value in values:
        number = whole_number(value)
        if number is None or number not in known:
            return None
        if number not in chosen:
            chosen.append(number)
    return chosen


def _ancestors(session: Session, start: int | None) -> Iterator[int]:
    """``start`` and the projects above it, up to the top (a loop in old data ends the walk)."""
    seen: set[int] = set()
    current = start
    while current is not None and current not in seen:
        seen.add(current)
        yield current
        row = session.get(Project, current)
        current = row.parent_id if row else None


def _check_project(
    session: Session, project: Project | None, raw: ProjectInput, problems: Problems
) -> _CleanProject:
    if project is not None and raw.version != str(project.version):
        problems.add("form", STALE)
    slug = raw.slug.strip()
    if not slug:
        problems.add("slug", N_("Enter the project's short name for its address, such as shilichangdi."))
    elif len(slug) > SLUG_MAX or not SLUG_RE.fullmatch(slug):
        problems.add(
            "slug",
            N_(
                "The short name has lowercase letters a–z, digits and single hyphens (not at either end), at most 60."
            ),
        )
    else:
        taken = session.exec(select(Project).where(Project.slug == slug)).first()
        if taken is not None and (project is None or taken.id != project.id):
            problems.add(
                "slug",
                N_(
                    "The address /progress/%(slug)s is already used by another project: choose another short name."
                ),
                slug=slug,
            )
        elif project is not None and project.published and slug != project.slug:
            problems.add(
                "slug",
                N_(
                    "A published project's address does not change (it is printed and shared). Unpublish it first to change it."
                ),
            )

    texts: dict[str, str] = {}
    for name, most in (("title", TITLE_MAX), ("summary", SUMMARY_MAX), ("body", BODY_MAX)):
        for suffix in SUFFIXES:
            key = f"{name}_{suffix}"
            texts[key] = getattr(raw, key)
            _check_length(problems, key, texts[key], most)
            if name == "body":
                for message, values in markdown.problems(texts[key])[:1]:
                    problems.add(key, message, **values)
            elif markdown.looks_like_markup(texts[key]):
                problems.add(key, markdown.NO_MARKUP)
    if not texts["title_zh_hans"]:
        problems.add("title_zh_hans", N_("Enter the title in Simplified Chinese: every project has one."))

    if raw.kind not in {k.value for k in ProjectKind}:
        problems.add("kind", N_("Choose whether this is a project or a campaign."))
    if raw.status not in {s.value for s in ProjectStatus}:
        problems.add("status", N_("Choose the project's status."))

    parent_id: int | None = None
    if raw.parent:
        parent_id = whole_number(raw.parent)
        parent = session.get(Project, parent_id) if parent_id is not None else None
        if parent is None:
            problems.add("parent", N_("Choose the parent project from the list."))
        elif project is not None and project.id in set(_ancestors(session, parent_id)):
            problems.add(
                "parent",
                N_("A project cannot be part of itself or of one of its own parts: choose another parent."),
            )
    weight = whole_number(raw.weight, 1, WEIGHT_MAX)
    if weight is None:
        problems.add("weight", N_("The weight is a whole number from 1 to 100."))

    # The departments the form offers: those in service, and those the project already names.
    department_ids = {d for d in session.exec(select(Department.id).where(col(Department.active))) if d}
    if project is not None and project.id is not None:
        department_ids |= {project.lead_department_id or 0} | set(
            session.exec(
                select(ProjectDepartment.department_id).where(ProjectDepartment.project_id == project.id)
            )
        )
    lead = whole_number(raw.lead_department)
    if lead is None or lead not in department_ids:
        problems.add("lead_department", N_("Choose the department that leads the project."))
    others = _ids(raw.departments, department_ids)
    if others is None:
        problems.add("departments", N_("Choose the other departments from the list."))

    street_ids = {s for s in session.exec(select(Street.id)) if s is not None}
    streets = _ids(raw.streets, street_ids)
    if streets is None:
        problems.add("streets", N_("Choose the streets from the list."))
    areas: list[tuple[int, int | None]] = [(s, None) for s in streets or []]
    codes = [c for c in re.split(r"[\s,，、;；]+", raw.grids.upper()) if c]
    cells = {c.code: c for c in session.exec(select(GridCell).where(col(GridCell.code).in_(codes[:100])))}
    unknown = [c for c in codes if c not in cells]
    if unknown or len(codes) > 100:
        problems.add(
            "grids",
            N_("There is no grid cell %(codes)s. Grid cells are written like JM-03-02."),
            codes=", ".join(unknown[:5]),
        )
    for code in dict.fromkeys(codes):
        if code in cells:
            areas.append((cells[code].street_id, cells[code].id))

    start = calendar_day(raw.start_date) if raw.start_date else None
    target = calendar_day(raw.target_date) if raw.target_date else None
    if raw.start_date and start is None:
        problems.add("start_date", N_("Enter the start date as a date, such as 2026-03-01."))
    if raw.target_date and target is None:
        problems.add("target_date", N_("Enter the target date as a date, such as 2026-12-31."))
    if start and target and target < start:
        problems.add("target_date", N_("The target date cannot be before the start date."))
    if project is not None and start is not None:
        early = session.exec(
            select(Milestone)
            .where(Milestone.project_id == project.id, col(Milestone.planned_date) < start)
            .order_by(col(Milestone.planned_date))
        ).first()
        if early is not None:
            problems.add(
                "start_date",
                N_(
                    "The milestone “%(title)s” is planned for %(day)s, before this start date: change the milestone first."
                ),
                title=early.title_zh_hans,
                day=early.planned_date.isoformat(),
            )

    category_ids = {c for c in session.exec(select(Category.id)) if c is not None}
    categories = _ids(raw.categories, category_ids)
    if categories is None:
        problems.add("categories", N_("Choose the categories from the list."))
    elif categories and raw.kind != ProjectKind.CAMPAIGN:
        problems.add(
            "categories",
            N_(
                "Only a campaign tags new tickets of a category. Choose the kind “campaign”, or untick the categories."
            ),
        )

    return _CleanProject(
        texts=texts, slug=slug, kind=raw.kind, status=raw.status, parent_id=parent_id, weight=weight or 1,
        lead_department_id=lead or 0, department_ids=[d for d in others or [] if d != lead], areas=areas,
        start_date=start, target_date=target, published=raw.published, category_ids=categories or [],
    )  # fmt: skip


def save_project(
    session: Session, user: StaffUser, project: Project | None, raw: ProjectInput, *, address: str
) -> Project:
    """Create (``project`` None) or change a project with its departments, area and campaign
    categories. Raises EditRefused, having written nothing."""
    problems = Problems()
    clean = _check_project(session, project, raw, problems)
    if problems:
        raise EditRefused(problems)
    created = project is None
    if project is None:
        project = Project(slug=clean.slug, title_zh_hans=clean.texts["title_zh_hans"], version=0)
    for key, value in clean.texts.items():
        setattr(project, key, value)
    project.slug = clean.slug
    project.kind = clean.kind
    project.status = clean.status
    project.parent_id = clean.parent_id
    project.weight = clean.weight
    project.lead_department_id = clean.lead_department_id
    project.start_date = clean.start_date
    project.target_date = clean.target_date
    project.published = clean.published
    session.add(project)
    session.flush()
    pid = project.id
    session.execute(delete(ProjectDepartment).where(col(ProjectDepartment.project_id) == pid))
    session.execute(delete(ProjectArea).where(col(ProjectArea.project_id) == pid))
    session.execute(delete(CampaignCategory).where(col(CampaignCategory.project_id) == pid))
    session.add_all(ProjectDepartment(project_id=pid, department_id=d) for d in clean.department_ids)  # type: ignore[arg-type]
    session.add_all(ProjectArea(project_id=pid, street_id=s, grid_id=g) for s, g in clean.areas)  # type: ignore[arg-type]
    session.add_all(CampaignCategory(project_id=pid, category_id=c) for c in clean.category_ids)  # type: ignore[arg-type]
    _saved(session, user, project, "project-created" if created else "project-saved", address)
    return project


def _saved(session: Session, user: StaffUser, project: Project, action: str, address: str) -> None:
    """What every save does: a new version, the time, the search text, the audit log."""
    project.version += 1
    project.updated_at = utcnow()
    reindex(session, project)
    session.add(project)
    session.flush()
    audit(session, user, action, address=address, detail=f"{project.slug} v{project.version}")


# --- milestones ------------------------------------------------------------------------------------


@dataclass
class MilestoneRow:
    """One row of the milestone table as typed."""

    id: str = ""
    title_zh_hans: str = ""
    title_zh_hant: str = ""
    title_en: str = ""
    note_zh_hans: str = ""
    note_zh_hant: str = ""
    note_en: str = ""
    weight: str = ""
    planned_date: str = ""
    status: str = MilestoneStatus.PLANNED.value
    actual_date: str = ""
    remove: bool = False

    def is_blank(self) -> bool:
        typed = (getattr(self, f.name) for f in fields(self) if f.name not in {"status", "remove"})
        return not any(typed) and self.status in {"", MilestoneStatus.PLANNED}

    @classmethod
    def of(cls, milestone: Milestone) -> MilestoneRow:
        return cls(
            id=str(milestone.id),
            **{f"{n}_{s}": getattr(milestone, f"{n}_{s}") for n in ("title", "note") for s in SUFFIXES},
            weight=str(milestone.weight),
            planned_date=milestone.planned_date.isoformat(),
            status=milestone.status,
            actual_date=milestone.actual_date.isoformat() if milestone.actual_date else "",
        )


ROW_KEY = re.compile(r"m-([0-9]{1,3})-")


def milestone_rows_from_form(form: Any) -> list[MilestoneRow]:
    """The rows in the order they were on the page (``m-<n>-<field>``)."""
    numbers = sorted({int(m.group(1)) for key in form if (m := ROW_KEY.match(str(key)))})
    rows = []
    for n in numbers[: MAX_MILESTONES + BLANK_ROWS * 4]:
        row = MilestoneRow()
        for item in fields(MilestoneRow):
            value = _text(form, f"m-{n}-{item.name}")
            if item.name == "remove":
                row.remove = value in {"on", "1"}
            else:
                setattr(row, item.name, clean_text(value[:1000]))
        rows.append(row)
    return rows


def milestone_rows(session: Session, project: Project, blank: int = BLANK_ROWS) -> list[MilestoneRow]:
    """The saved milestones, then ``blank`` empty rows to add new ones."""
    saved = session.exec(
        select(Milestone)
        .where(Milestone.project_id == project.id)
        .order_by(col(Milestone.position), col(Milestone.id))
    )
    return [MilestoneRow.of(m) for m in saved] + [MilestoneRow() for _ in range(blank)]


@dataclass
class _CleanMilestone:
    row: MilestoneRow
    existing: Milestone | None
    weight: int
    planned: date
    actual: date | None


def _check_milestone(
    n: int, row: MilestoneRow, existing: Milestone | None, project: Project, today: date, problems: Problems
) -> _CleanMilestone | None:
    key = f"m-{n}-"
    ok = True

    def refuse(name: str, message: str, **values: Any) -> None:
        nonlocal ok
        ok = False
        problems.add(key + name, message, **values)

    if not row.title_zh_hans:
        refuse("title_zh_hans", N_("Milestone %(n)s: enter its title in Simplified Chinese."), n=n + 1)
    for suffix in SUFFIXES:
        if len(getattr(row, f"title_{suffix}")) > TITLE_MAX:
            refuse(
                f"title_{suffix}",
                N_("Milestone %(n)s: the title is too long (at most %(most)s characters)."),
                n=n + 1,
                most=TITLE_MAX,
            )
        if len(getattr(row, f"note_{suffix}")) > NOTE_MAX:
            refuse(
                f"note_{suffix}",
                N_("Milestone %(n)s: the note is too long (at most %(most)s characters)."),
                n=n + 1,
                most=NOTE_MAX,
            )
    weight = whole_number(row.weight, 1, 100)
    if weight is None:
        refuse(
            "weight", N_("Milestone %(n)s: the weight is a whole number of percent from 1 to 100."), n=n + 1
        )
    planned = calendar_day(row.planned_date)
    if planned is None:
        refuse("planned_date", N_("Milestone %(n)s: enter the planned date, such as 2026-06-30."), n=n + 1)
    elif project.start_date and planned < project.start_date:
        refuse(
            "planned_date",
            N_("Milestone %(n)s: the planned date cannot be before the project's start (%(start)s)."),
            n=n + 1,
            start=project.start_date.isoformat(),
        )
    if row.status not in {s.value for s in MilestoneStatus}:
        refuse("status", N_("Milestone %(n)s: choose its status."), n=n + 1)
    actual = calendar_day(row.actual_date) if row.actual_date else None
    if row.actual_date and actual is None:
        refuse(
            "actual_date",
            N_("Milestone %(n)s: enter the date it was reached as a date, such as 2026-06-28."),
            n=n + 1,
        )
    elif row.status == MilestoneStatus.DONE and actual is None:
        refuse("actual_date", N_("Milestone %(n)s is reached: enter the date it was reached."), n=n + 1)
    elif row.status != MilestoneStatus.DONE and actual is not None:
        refuse(
            "actual_date",
            N_(
                "Milestone %(n)s: a date reached is only for a reached milestone. Choose “Reached”, or clear the date."
            ),
            n=n + 1,
        )
    elif actual is not None and actual > today:
        refuse(
            "actual_date", N_("Milestone %(n)s: the date it was reached cannot be in the future."), n=n + 1
        )
    elif actual is not None and project.start_date and actual < project.start_date:
        refuse(
            "actual_date",
            N_("Milestone %(n)s: the date it was reached cannot be before the project's start (%(start)s)."),
            n=n + 1,
            start=project.start_date.isoformat(),
        )
    if not ok or weight is None or planned is None:
        return None
    return _CleanMilestone(row, existing, weight, planned, actual)


def save_milestones(
    session: Session,
    user: StaffUser,
    project: Project,
    rows: list[MilestoneRow],
    version: str,
    *,
    address: str,
    today: date | None = None,
) -> list[Milestone]:
    """Replace the project's milestones by the table's rows (blank rows ignored, ticked rows removed).
    Their weights must add up to exactly 100. Raises EditRefused, having written nothing."""
    today = today or district_today()
    problems = Problems()
    if version != str(project.version):
        problems.add("form", STALE)
    saved = {m.id: m for m in session.exec(select(Milestone).where(Milestone.project_id == project.id))}
    kept: list[_CleanMilestone] = []
    removed: list[Milestone] = []
    seen: set[int] = set()
    for n, row in enumerate(rows):
        existing = None
        if row.id:
            number = whole_number(row.id)
            existing = saved.get(number) if number is not None and number not in seen else None
            if existing is None:
                problems.add("form", FORGED)
                continue
            seen.add(number)  # type: ignore[arg-type]
            if row.remove:
                removed.append(existing)
                continue
        elif row.is_blank() or row.remove:
            continue
        clean = _check_milestone(n, row, existing, project, today, problems)
        if clean is not None:
            kept.append(clean)
    if len(kept) > MAX_MILESTONES:
        problems.add("weights", N_("A project has at most %(most)s milestones."), most=MAX_MILESTONES)
    written = [r for r in rows if not r.remove and (r.id or not r.is_blank())]
    total = sum(whole_number(r.weight, 1, 100) or 0 for r in written)
    if written and total != 100:
        problems.add(
            "weights",
            N_("The milestones' weights add up to %(total)s %%. They must add up to exactly 100 %%."),
            total=total,
        )
    if problems:
        raise EditRefused(problems)

    for gone in removed:
        session.delete(gone)
    result = []
    for position, clean in enumerate(kept):
        milestone = clean.existing or Milestone(
            project_id=project.id or 0, title_zh_hans="", weight=0, planned_date=clean.planned
        )
        for name in ("title", "note"):
            for suffix in SUFFIXES:
                setattr(milestone, f"{name}_{suffix}", getattr(clean.row, f"{name}_{suffix}"))
        if milestone.status != MilestoneStatus.DONE and clean.row.status == MilestoneStatus.DONE:
            milestone.announced_at = None  # newly reached: followers are told (by the jobs)
        milestone.position = position
        milestone.weight = clean.weight
        milestone.planned_date = clean.planned
        milestone.actual_date = clean.actual
        milestone.status = clean.row.status
        session.add(milestone)
        result.append(milestone)
    session.flush()
    _saved(session, user, project, "milestones-saved", address)
    return result


# --- photos ----------------------------------------------------------------------------------------


@dataclass
class CaptionInput:
    zh_hans: str = ""
    zh_hant: str = ""
    en: str = ""

    @classmethod
    def from_form(cls, form: Any, prefix: str) -> CaptionInput:
        return cls(*(clean_text(_text(form, f"{prefix}caption_{s}")[:1000]) for s in SUFFIXES))


Upload = ProcessedPhoto | str | None
"""A processed photo, the message id saying why it was refused, or None when no file was chosen."""


def _check_photo(problems: Problems, field_id: str, upload: Upload) -> ProcessedPhoto | None:
    if upload is None:
        problems.add(field_id, N_("Choose a photo."))
        return None
    if isinstance(upload, str):
        problems.add(field_id, upload)
        return None
    return upload


def _check_caption(problems: Problems, prefix: str, caption: CaptionInput) -> None:
    if not caption.zh_hans:
        problems.add(
            f"{prefix}caption_zh_hans",
            N_("Describe the photo in Simplified Chinese: it is what readers who cannot see it hear."),
        )
    for suffix in SUFFIXES:
        _check_length(problems, f"{prefix}caption_{suffix}", getattr(caption, suffix), CAPTION_MAX)


def _photo(
    project: Project, role: str, pair: int, position: int, photo: ProcessedPhoto, caption: CaptionInput
) -> ProjectPhoto:
    return ProjectPhoto(
        project_id=project.id or 0, role=role, pair=pair, position=position, digest=photo.digest,
        width=photo.width, height=photo.height, caption_zh_hans=caption.zh_hans,
        caption_zh_hant=caption.zh_hant, caption_en=caption.en,
    )  # fmt: skip


def photos_of(session: Session, project: Project) -> list[ProjectPhoto]:
    return list(
        session.exec(
            select(ProjectPhoto)
            .where(ProjectPhoto.project_id == project.id)
            .order_by(col(ProjectPhoto.position), col(ProjectPhoto.id))
        )
    )


def _check_version(project: Project, version: str) -> None:
    if version != str(project.version):
        problems = Problems()
        problems.add("form", STALE)
        raise EditRefused(problems)


def set_cover(
    session: Session, user: StaffUser, project: Project, upload: Upload, caption: CaptionInput, media: MediaStore,
    *, version: str, address: str,
) -> ProjectPhoto:  # fmt: skip
    """The project's cover photo, replacing the one before. Raises EditRefused, having written nothing."""
    _check_version(project, version)
    problems = Problems()
    photo = _check_photo(problems, "cover-file", upload)
    _check_caption(problems, "cover-", caption)
    if problems or photo is None:
        raise EditRefused(problems)
    media.save(photo)
    for old in photos_of(session, project):
        if old.role == "cover":
            session.delete(old)
    row = _photo(project, "cover", 0, 0, photo, caption)
    session.add(row)
    _saved(session, user, project, "project-photos", address)
    return row


def add_pair(
    session: Session, user: StaffUser, project: Project, before: Upload, after: Upload,
    captions: tuple[CaptionInput, CaptionInput], media: MediaStore, *, version: str, address: str,
) -> tuple[ProjectPhoto, ProjectPhoto]:  # fmt: skip
    """A before and an after photo, shown side by side. Raises EditRefused, having written nothing."""
    _check_version(project, version)
    problems = Problems()
    first = _check_photo(problems, "before-file", before)
    second = _check_photo(problems, "after-file", after)
    _check_caption(problems, "before-", captions[0])
    _check_caption(problems, "after-", captions[1])
    existing = photos_of(session, project)
    pairs = {p.pair for p in existing if p.role != "cover"}
    if len(pairs) >= MAX_PAIRS:
        problems.add(
            "before-file", N_("A project shows at most %(most)s before/after pairs."), most=MAX_PAIRS
        )
    if problems or first is None or second is None:
        raise EditRefused(problems)
    pair = max(pairs, default=0) + 1
    position = max((p.position for p in existing), default=0) + 1
    media.save(first)
    media.save(second)
    rows = (
        _photo(project, "before", pair, position, first, captions[0]),
        _photo(project, "after", pair, position + 1, second, captions[1]),
    )
    session.add_all(rows)
    _saved(session, user, project, "project-photos", address)
    return rows


def _own_photo(session: Session, project: Project, photo_id: str) -> ProjectPhoto:
    number = whole_number(photo_id)
    row = session.get(ProjectPhoto, number) if number is not None else None
    if row is None or row.project_id != project.id:
        problems = Problems()
        problems.add("form", FORGED)
        raise EditRefused(problems)
    return row


def change_caption(
    session: Session, user: StaffUser, project: Project, photo_id: str, caption: CaptionInput,
    *, version: str, address: str,
) -> ProjectPhoto:  # fmt: skip
    _check_version(project, version)
    row = _own_photo(session, project, photo_id)
    problems = Problems()
    _check_caption(problems, f"p{row.id}-", caption)
    if problems:
        raise EditRefused(problems)
    row.caption_zh_hans, row.caption_zh_hant, row.caption_en = caption.zh_hans, caption.zh_hant, caption.en
    session.add(row)
    _saved(session, user, project, "project-photos", address)
    return row


def remove_photo(
    session: Session, user: StaffUser, project: Project, photo_id: str, *, version: str, address: str
) -> None:
    """Remove the cover, or a whole before/after pair (one side alone would say nothing)."""
    _check_version(project, version)
    row = _own_photo(session, project, photo_id)
    for photo in photos_of(session, project):
        if photo.id == row.id or (row.role != "cover" and photo.role != "cover" and photo.pair == row.pair):
            session.delete(photo)
    _saved(session, user, project, "project-photos", address)
