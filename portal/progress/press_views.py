"""/staff/press: the press office's projects, their milestones and photos (stories: story_views)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from sqlmodel import Session, col, select

from portal.accounts.auth import StaffCookieMiddleware, current_staff, staff_guard
from portal.accounts.models import PRESS_ROLES
from portal.accounts.views import staff_context
from portal.i18n import N_
from portal.media import read_one_upload
from portal.numbers import whole_number
from portal.places.models import GridCell
from portal.progress import editing
from portal.progress.editing import CaptionInput, EditRefused, MilestoneRow, ProjectInput, Upload
from portal.progress.models import (
    MILESTONE_STATUS_LABELS,
    PROJECT_STATUS_LABELS,
    Milestone,
    MilestoneStatus,
    Project,
    ProjectKind,
    ProjectStatus,
)
from portal.progress.service import Tree
from portal.progress.texts import field
from portal.services import client_address, services_of
from portal.templating import render
from portal.web import MAX_BODY, TAKES_PHOTOS, in_thread, page_of

PRESS = {"roles": sorted(PRESS_ROLES)}
# A project's body in three languages (20,000 characters each, about 9 bytes a character URL-encoded).
PROJECT_FORM = {**PRESS, MAX_BODY: 640 * 1024}
PHOTO_FORM = {**PRESS, TAKES_PHOTOS: True}
OVER_10_MB = N_("This photo is larger than 10 MB. Choose a smaller one or take a new photo.")
KIND_LABELS = {
    ProjectKind.PROJECT: N_("Project"),
    ProjectKind.CAMPAIGN: N_("Campaign (专项整治): tickets are tagged to it"),
}
PHOTO_ROLE_LABELS = {"cover": N_("Cover photo"), "before": N_("Before"), "after": N_("After")}
SAVED = {
    "project": N_("The project is saved."),
    "milestones": N_("The milestones are saved."),
    "photos": N_("The photos are saved."),
}


def _project_or_404(session: Session, project_id: str) -> Project:
    number = whole_number(project_id)
    project = session.get(Project, number) if number is not None else None
    if project is None:
        raise NotFoundException()
    return project


def _title(request: Request[Any, Any, Any]) -> Callable[[Project], str]:
    """A project's title for this reader (converted or in Simplified Chinese when not written)."""
    page = page_of(request)
    config = services_of(request).settings.hant_conversion
    return lambda project: field(project, "title", page.locale, config).text


def _base(request: Request[Any, Any, Any]) -> dict[str, Any]:
    return {
        **staff_context(request),
        "title_of": _title(request),
        "PROJECT_STATUS_LABELS": PROJECT_STATUS_LABELS,
        "MILESTONE_STATUS_LABELS": MILESTONE_STATUS_LABELS,
        "KIND_LABELS": KIND_LABELS,
        "PHOTO_ROLE_LABELS": PHOTO_ROLE_LABELS,
        "saved": SAVED.get(request.query_params.get("saved", ""), ""),
    }


# --- the press office's home ---------------------------------------------------------------------


@get("/", guards=[staff_guard], opt=PRESS, sync_to_thread=True)
def press_home(request: Request[Any, Any, Any], db_session: NamedDependency[Session]) -> Response[str]:
    """Every project, parts under their parent, with status, progress and the pages to edit it."""
    projects = list(
        db_session.exec(select(Project).order_by(col(Project.parent_id).is_not(None), col(Project.slug)))
    )
    tree = Tree(projects, list(db_session.exec(select(Milestone))), editing.district_today())
    children: dict[int | None, list[Project]] = {}
    for p in projects:
        children.setdefault(p.parent_id, []).append(p)
    rows: list[tuple[Project, int, Any]] = []

    def add(project: Project, depth: int) -> None:
        rows.append(
            (
                project,
                depth,
                tree.progress(project),
            )
        )
        for child in children.get(project.id, []):
            if depth < 5:
                add(child, depth + 1)

    for top in children.get(None, []):
        add(top, 0)
    listed = {p.id for p, _depth, _progress in rows}
    for orphan in projects:  # a project whose parent chain loops (old data) is still listed
        if orphan.id not in listed:
            add(orphan, 0)
    return render(request, "staff/press/index.html", {**_base(request), "rows": rows})


# --- a project's details -------------------------------------------------------------------------


def _project_page(
    request: Request[Any, Any, Any],
    session: Session,
    project: Project | None,
    form: ProjectInput,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response[str]:
    reference = services_of(request).reference.get()
    parents = [
        p
        for p in session.exec(select(Project).order_by(col(Project.slug)))
        if project is None or p.id != project.id
    ]
    t, locale = page_of(request).t, page_of(request).locale
    context = {
        **_base(request),
        "project": project,
        "form": form,
        "errors": errors or {},
        "parent_options": [(p.id, _title(request)(p)) for p in parents],
        "department_options": [(d.id, d.name(locale)) for d in reference.departments.values() if d.active],
        "street_options": [(s.id, s.name(locale)) for s in reference.streets],
        "groups": reference.grouped_categories(),
        "status_options": [(s.value, t.gettext(PROJECT_STATUS_LABELS[s])) for s in ProjectStatus],
        "kinds": list(ProjectKind),
        "grid_example": session.exec(select(GridCell.code).order_by(col(GridCell.code))).first()
        or "JM-01-01",
    }
    return render(request, "staff/press/project_form.html", context, status_code=status_code)


@get("/projects/new", guards=[staff_guard], opt=PRESS, sync_to_thread=True)
def new_project(request: Request[Any, Any, Any], db_session: NamedDependency[Session]) -> Response[str]:
    return _project_page(request, db_session, None, ProjectInput())


@get("/projects/{project_id:str}", guards=[staff_guard], opt=PRESS, sync_to_thread=True)
def edit_project(
    request: Request[Any, Any, Any], db_session: NamedDependency[Session], project_id: FromPath[str]
) -> Response[str]:
    project = _project_or_404(db_session, project_id)
    return _project_page(request, db_session, project, ProjectInput.from_project(db_session, project))


@post("/projects", guards=[staff_guard], opt=PROJECT_FORM)
async def create_project(request: Request[Any, Any, Any]) -> Response[Any]:
    form = await request.form()
    return await in_thread(_save_project, request, None, ProjectInput.from_form(form))


@post("/projects/{project_id:str}", guards=[staff_guard], opt=PROJECT_FORM)
async def change_project(request: Request[Any, Any, Any], project_id: FromPath[str]) -> Response[Any]:
    form = await request.form()
    return await in_thread(_save_project, request, project_id, ProjectInput.from_form(form))


def _save_project(
    request: Request[Any, Any, Any], project_id: str | None, raw: ProjectInput
) -> Response[Any]:
    services = services_of(request)
    with Session(services.engine, expire_on_commit=False) as session:
        project = _project_or_404(session, project_id) if project_id is not None else None
        try:
            saved = editing.save_project(
                session, current_staff(request), project, raw, address=client_address(request)
            )
        except EditRefused as refused:
            session.rollback()
            project = _project_or_404(session, project_id) if project_id is not None else None
            if project is not None and "form" in refused.problems.messages:
                raw.version = str(project.version)  # the next save is checked against what is saved now
            errors = refused.problems.translated(page_of(request).t)
            return _project_page(request, session, project, raw, errors, status_code=422)
        session.commit()
    request.app.state.page_cache.forget_everywhere()
    return Redirect(f"/staff/press/projects/{saved.id}?saved=project", status_code=303)


# --- milestones ----------------------------------------------------------------------------------


def _milestones_page(
    request: Request[Any, Any, Any],
    project: Project,
    rows: list[MilestoneRow],
    version: str,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response[str]:
    total = sum(
        whole_number(r.weight, 1, 100) or 0 for r in rows if not r.remove and (r.id or not r.is_blank())
    )
    context = {
        **_base(request),
        "project": project,
        "rows": rows,
        "version": version,
        "total": total,
        "errors": errors or {},
        "milestone_statuses": list(MilestoneStatus),
        "today": editing.district_today().isoformat(),
    }
    return render(request, "staff/press/milestones.html", context, status_code=status_code)


@get("/projects/{project_id:str}/milestones", guards=[staff_guard], opt=PRESS, sync_to_thread=True)
def milestones_form(
    request: Request[Any, Any, Any], db_session: NamedDependency[Session], project_id: FromPath[str]
) -> Response[str]:
    project = _project_or_404(db_session, project_id)
    rows = editing.milestone_rows(db_session, project)
    return _milestones_page(request, project, rows, str(project.version))


@post("/projects/{project_id:str}/milestones", guards=[staff_guard], opt=PROJECT_FORM)
async def save_milestones(request: Request[Any, Any, Any], project_id: FromPath[str]) -> Response[Any]:
    form = await request.form()
    rows = editing.milestone_rows_from_form(form)
    version = str(form.get("version", ""))
    return await in_thread(_save_milestones, request, project_id, rows, version)


def _save_milestones(
    request: Request[Any, Any, Any], project_id: str, rows: list[MilestoneRow], version: str
) -> Response[Any]:
    services = services_of(request)
    with Session(services.engine, expire_on_commit=False) as session:
        project = _project_or_404(session, project_id)
        try:
            editing.save_milestones(
                session, current_staff(request), project, rows, version, address=client_address(request)
            )
        except EditRefused as refused:
            session.rollback()
            project = _project_or_404(session, project_id)
            if "form" in refused.problems.messages:
                version = str(project.version)
            errors = refused.problems.translated(page_of(request).t)
            return _milestones_page(request, project, rows, version, errors, status_code=422)
        session.commit()
    request.app.state.page_cache.forget_everywhere()
    return Redirect(f"/staff/press/projects/{project_id}/milestones?saved=milestones", status_code=303)


# --- photos --------------------------------------------------------------------------------------


def _photos_page(
    request: Request[Any, Any, Any],
    session: Session,
    project: Project,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response[str]:
    photos = editing.photos_of(session, project)
    pairs: dict[int, dict[str, Any]] = {}
    for photo in photos:
        if photo.role != "cover":
            pairs.setdefault(photo.pair, {})[photo.role] = photo
    context = {
        **_base(request),
        "project": project,
        "cover": next((p for p in photos if p.role == "cover"), None),
        "pairs": sorted(pairs.items()),
        "photo_prefixes": [f"p{p.id}-" for p in photos],
        "typed": typed or {},
        "errors": errors or {},
    }
    return render(request, "staff/press/photos.html", context, status_code=status_code)


@get("/projects/{project_id:str}/photos", guards=[staff_guard], opt=PRESS, sync_to_thread=True)
def photos_form(
    request: Request[Any, Any, Any], db_session: NamedDependency[Session], project_id: FromPath[str]
) -> Response[str]:
    return _photos_page(request, db_session, _project_or_404(db_session, project_id))


async def _read_photo(form: Any, name: str) -> Upload:
    """The chosen file checked and shrunk by the photo workers, the message id saying why not, or None."""
    return await read_one_upload(form.get(name), OVER_10_MB)


@post("/projects/{project_id:str}/photos", guards=[staff_guard], opt=PHOTO_FORM)
async def save_photos(request: Request[Any, Any, Any], project_id: FromPath[str]) -> Response[Any]:
    form = await request.form()
    action = str(form.get("action", ""))
    uploads: dict[str, Upload] = {}
    if action == "cover":
        uploads["cover"] = await _read_photo(form, "cover-file")
    elif action == "pair":
        uploads["before"] = await _read_photo(form, "before-file")
        uploads["after"] = await _read_photo(form, "after-file")
    typed = {str(k): v for k, v in form.items() if isinstance(v, str) and "caption_" in str(k)}
    return await in_thread(_save_photos, request, project_id, action, form, uploads, typed)


def _save_photos(
    request: Request[Any, Any, Any],
    project_id: str,
    action: str,
    form: Any,
    uploads: dict[str, Upload],
    typed: dict[str, str],
) -> Response[Any]:
    services = services_of(request)
    user, address = current_staff(request), client_address(request)
    version, photo = str(form.get("version", "")), str(form.get("photo", ""))
    with Session(services.engine, expire_on_commit=False) as session:
        project = _project_or_404(session, project_id)
        try:
            if action == "cover":
                editing.set_cover(session, user, project, uploads["cover"], CaptionInput.from_form(form, "cover-"),
                                  services.media, version=version, address=address)  # fmt: skip
            elif action == "pair":
                captions = (CaptionInput.from_form(form, "before-"), CaptionInput.from_form(form, "after-"))
                editing.add_pair(session, user, project, uploads["before"], uploads["after"], captions,
                                 services.media, version=version, address=address)  # fmt: skip
            elif action == "caption":
                editing.change_caption(session, user, project, photo, CaptionInput.from_form(form, f"p{photo}-"),
                                       version=version, address=address)  # fmt: skip
            elif action == "remove":
                editing.remove_photo(session, user, project, photo, version=version, address=address)
            else:
                raise NotFoundException()
        except EditRefused as refused:
            session.rollback()
            project = _project_or_404(session, project_id)
            errors = refused.problems.translated(page_of(request).t)
            return _photos_page(request, session, project, typed, errors, status_code=422)
        session.commit()
    request.app.state.page_cache.forget_everywhere()
    return Redirect(f"/staff/press/projects/{project_id}/photos?saved=photos", status_code=303)


press_router = Router(
    path="/staff/press",
    route_handlers=[
        press_home,
        new_project,
        edit_project,
        create_project,
        change_project,
        milestones_form,
        save_milestones,
        photos_form,
        save_photos,
    ],
    middleware=[StaffCookieMiddleware],
)
