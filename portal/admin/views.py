"""/staff/admin: accounts, departments and categories, for administrators."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from sqlmodel import Session, col, select

from portal import cluster
from portal.accounts.auth import StaffCookieMiddleware, current_staff, staff_guard
from portal.accounts.models import ROLE_LABELS, StaffRole, StaffUser
from portal.accounts.views import staff_context
from portal.admin import service
from portal.directory.models import Category, CategoryGroup, Department
from portal.numbers import whole_number
from portal.places.models import Community, GridCell, Street
from portal.services import client_address, services_of
from portal.templating import render
from portal.web import MAX_BODY, in_thread, page_of

ADMIN_ONLY = {"roles": [StaffRole.ADMIN]}
# A grid cell's boundary is pasted GeoJSON of up to 200,000 characters, about three times that URL-encoded.
ADMIN_FORM = {**ADMIN_ONLY, MAX_BODY: 640 * 1024}
PAGES = {
    "users": "staff/admin/users.html",
    "departments": "staff/admin/departments.html",
    "categories": "staff/admin/categories.html",
    "streets": "staff/admin/places.html",
    "communities": "staff/admin/places.html",
    "grids": "staff/admin/places.html",
}


def _context(request: Request[Any, Any, Any], session: Session, page: str) -> dict[str, Any]:
    return {
        **staff_context(request),
        "page_name": page,
        "users": list(session.exec(select(StaffUser).order_by(col(StaffUser.username)))),
        "departments": list(session.exec(select(Department).order_by(col(Department.id)))),
        "categories": list(session.exec(select(Category).order_by(col(Category.position), col(Category.id)))),
        "groups": list(session.exec(select(CategoryGroup).order_by(col(CategoryGroup.position)))),
        "streets": list(session.exec(select(Street).order_by(col(Street.position), col(Street.id)))),
        "communities": list(
            session.exec(select(Community).order_by(col(Community.street_id), col(Community.id)))
        ),
        "grids": list(session.exec(select(GridCell).order_by(col(GridCell.code)))) if page == "grids" else [],
        "roles": list(StaffRole),
        "ROLE_LABELS": ROLE_LABELS,
        "form": {},
        "error": "",
        "failed": "",
        "saved": request.query_params.get("saved", ""),
    }


@get("/", guards=[staff_guard], opt=ADMIN_ONLY, sync_to_thread=False)
def admin_home(request: Request[Any, Any, Any]) -> Response[Any]:
    return Redirect("/staff/admin/users", status_code=303)


@get("/{page:str}", guards=[staff_guard], opt=ADMIN_ONLY, sync_to_thread=True)
def admin_page(
    request: Request[Any, Any, Any], db_session: NamedDependency[Session], page: FromPath[str]
) -> Response[str]:
    if page not in PAGES:
        raise NotFoundException()
    return render(request, PAGES[page], _context(request, db_session, page))


@post("/{page:str}", guards=[staff_guard], opt=ADMIN_FORM)
async def admin_create(request: Request[Any, Any, Any], page: FromPath[str]) -> Response[Any]:
    form = await request.form()
    return await in_thread(_save, request, page, None, form)


@post("/{page:str}/{row_id:str}", guards=[staff_guard], opt=ADMIN_FORM)
async def admin_change(
    request: Request[Any, Any, Any], page: FromPath[str], row_id: FromPath[str]
) -> Response[Any]:
    number = whole_number(row_id)
    if number is None:
        raise NotFoundException()
    form = await request.form()
    return await in_thread(_save, request, page, number, form)


def _save(request: Request[Any, Any, Any], page: str, row_id: int | None, raw: Any) -> Response[Any]:
    if page not in PAGES:
        raise NotFoundException()
    services = services_of(request)
    form = {
        key: str(value)[: 200_000 if key == "boundary" else 500]
        for key, value in raw.items()
        if isinstance(value, str)
    }
    admin, address = current_staff(request), client_address(request)
    models: dict[str, type[Any]] = {
        "users": StaffUser, "departments": Department, "categories": Category,
        "streets": Street, "communities": Community, "grids": GridCell,
    }  # fmt: skip
    with Session(services.engine, expire_on_commit=False) as session:
        row = session.get(models[page], row_id) if row_id is not None else None
        if row_id is not None and row is None:
            raise NotFoundException()
        actions: dict[str, Callable[[], Any]] = {
            "users": lambda: (
                service.add_user(session, admin, form, address=address)
                if row is None
                else service.change_user(session, admin, row, form.get("action", ""), form, address=address)
            ),
            "departments": lambda: service.save_department(session, admin, row, form, address=address),
            "categories": lambda: service.save_category(session, admin, row, form, address=address),
            "streets": lambda: service.save_street(session, admin, row, form, address=address),
            "communities": lambda: service.save_community(session, admin, row, form, address=address),
            "grids": lambda: service.save_grid_cell(session, admin, row, form, address=address),
        }
        try:
            actions[page]()
        except service.AdminError as refused:
            session.rollback()
            context = _context(request, session, page)
            context.update(
                form=form,
                error=page_of(request).t.gettext(refused.message, **refused.values),
                failed=str(row_id or "new"),
            )
            return render(request, PAGES[page], context, status_code=422)
        cluster.bump(session, cluster.REFERENCE)  # the other instances reload within a second
        session.commit()
    services.reference.invalidate()
    services.locator.invalidate()
    return Redirect(f"/staff/admin/{page}?saved=1", status_code=303)


admin_router = Router(
    path="/staff/admin",
    route_handlers=[admin_home, admin_page, admin_create, admin_change],
    middleware=[StaffCookieMiddleware],
)
