"""Administrators' changes to accounts, departments and categories: checked, audited, and
visible to every instance within the reference cache's lifetime."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TypeVar

from shapely.errors import GEOSException
from shapely.geometry import Polygon, mapping, shape
from sqlmodel import Session, select

from portal.accounts.models import StaffRole, StaffUser
from portal.accounts.passwords import hash_password, password_problem
from portal.accounts.service import AccountError, audit, create_user, end_sessions
from portal.contact import normalize_mobile
from portal.db import utcnow
from portal.directory.models import Category, CategoryGroup, Department
from portal.i18n import N_
from portal.numbers import decimal_number, whole_number
from portal.places.models import Community, GridCell, Street

T = TypeVar("T")

NAME_MAX = 120


class AdminError(ValueError):
    """Refused: ``message`` is a message id, ``values`` fill its placeholders."""

    def __init__(self, message: str, **values: str) -> None:
        super().__init__(message)
        self.message = message
        self.values = values


@dataclass(frozen=True)
class Names:
    zh_hans: str
    zh_hant: str
    en: str

    @classmethod
    def from_form(cls, form: dict[str, str]) -> Names:
        names = cls(
            form.get("name_zh_hans", "").strip(),
            form.get("name_zh_hant", "").strip(),
            form.get("name_en", "").strip(),
        )
        if not all((names.zh_hans, names.zh_hant, names.en)):
            raise AdminError(N_("Give the name in all three languages."))
        if max(len(names.zh_hans), len(names.zh_hant), len(names.en)) > NAME_MAX:
            raise AdminError(N_("Keep each name under 120 characters."))
        return names

    def apply(self, row: Department | Category | Street | Community) -> None:
        row.name_zh_hans, row.name_zh_hant, row.name_en = self.zh_hans, self.zh_hant, self.en


def _slug(text: str) -> str:
    slug = text.strip().lower()
    if not slug or len(slug) > 40 or not slug.replace("-", "").isalnum() or not slug.isascii():
        raise AdminError(
            N_("A short name for addresses uses lower-case letters, digits and dashes, at most 40.")
        )
    return slug


def _int(text: str, low: int, high: int, message: str) -> int:
    value = whole_number(text, low, high)
    if value is None:
        raise AdminError(message)
    return value


def _row(session: Session, model: type[T], text: str) -> T | None:
    """The row whose id was chosen in a form's list, or None."""
    row_id = whole_number(text)
    return session.get(model, row_id) if row_id is not None else None


# --- accounts --------------------------------------------------------------------------------


def add_user(session: Session, admin: StaffUser, form: dict[str, str], *, address: str) -> StaffUser:
    role = form.get("role", "")
    if role not in {r.value for r in StaffRole}:
        raise AdminError(N_("Choose a role."))
    department = whole_number(form.get("department", ""))
    if department is not None and session.get(Department, department) is None:
        raise AdminError(N_("Choose a department from the list."))
    try:
        user = create_user(
            session, username=form.get("username", ""), password=form.get("password", ""), role=StaffRole(role),
            display_name=form.get("display_name", "")[:60], department_id=department,
        )  # fmt: skip
    except AccountError as problem:
        raise AdminError(problem.message) from problem
    audit(session, admin, "user-created", address=address, detail=f"{user.username} ({user.role})")
    return user


def change_user(
    session: Session, admin: StaffUser, user: StaffUser, action: str, form: dict[str, str], *, address: str
) -> None:
    if action == "deactivate":
        if user.id == admin.id:
            raise AdminError(N_("You cannot switch off your own account."))
        user.active = False
        end_sessions(session, user)
    elif action == "activate":
        user.active = True
    elif action == "unlock":
        user.unlocked_at = utcnow()
    elif action == "password":
        new = form.get("password", "")
        if (problem := password_problem(new, user.username)) is not None:
            raise AdminError(problem)
        user.password_hash = hash_password(new)
        end_sessions(session, user)
    elif action == "signout":
        end_sessions(session, user)
    else:
        raise AdminError(N_("That change is not possible."))
    session.add(user)
    audit(session, admin, f"user-{action}", address=address, detail=user.username)


# --- departments and categories --------------------------------------------------------------


def save_department(
    session: Session, admin: StaffUser, department: Department | None, form: dict[str, str], *, address: str
) -> Department:
    names = Names.from_form(form)
    phone = form.get("duty_phone", "").strip()
    if phone and normalize_mobile(phone) is None:
        raise AdminError(N_("Enter an 11-digit mainland mobile number, like 13812345678, or leave it empty."))
    if department is None:
        slug = _slug(form.get("slug", ""))
        if session.exec(select(Department).where(Department.slug == slug)).first() is not None:
            raise AdminError(N_("That short name is taken."))
        department = Department(slug=slug, name_zh_hans="", name_zh_hant="", name_en="")
    names.apply(department)
    department.duty_phone = normalize_mobile(phone) or "" if phone else ""
    department.active = form.get("active") == "on"
    session.add(department)
    session.flush()
    audit(session, admin, "department-saved", address=address, detail=department.slug)
    return department


def save_category(
    session: Session, admin: StaffUser, category: Category | None, form: dict[str, str], *, address: str
) -> Category:
    names = Names.from_form(form)
    group = _row(session, CategoryGroup, form.get("group", ""))
    if group is None:
        raise AdminError(N_("Choose a group."))
    department = _row(session, Department, form.get("department", ""))
    if department is None or not department.active:
        raise AdminError(N_("Every category needs a default department that is in service."))
    hours = _int(form.get("response_hours", ""), 1, 240, N_("Hours to accept: a whole number from 1 to 240."))
    days = _int(form.get("resolution_days", ""), 1, 180, N_("Days to resolve: a whole number from 1 to 180."))
    if category is None:
        slug = _slug(form.get("slug", ""))
        if session.exec(select(Category).where(Category.slug == slug)).first() is not None:
            raise AdminError(N_("That short name is taken."))
        category = Category(slug=slug, group_id=group.id or 0, name_zh_hans="", name_zh_hant="", name_en="")
    names.apply(category)
    category.group_id = group.id or 0
    category.default_department_id = department.id
    category.response_hours, category.resolution_days = hours, days
    category.active = form.get("active") == "on"
    for field in ("hint_zh_hans", "hint_zh_hant", "hint_en"):
        setattr(category, field, form.get(field, "").strip()[:200])
    session.add(category)
    session.flush()
    audit(session, admin, "category-saved", address=address, detail=category.slug)
    return category


# --- places ----------------------------------------------------------------------------------

LAT_RANGE = (24.3, 24.95)
LNG_RANGE = (117.7, 118.4)


def _coordinate(text: str, bounds: tuple[float, float]) -> float:
    value = decimal_number(text, *bounds)
    if value is None:
        raise AdminError(
            N_("Give a point inside Jimei District (latitude about 24.5–24.8, longitude about 117.9–118.2).")
        )
    return value


def save_street(
    session: Session, admin: StaffUser, street: Street | None, form: dict[str, str], *, address: str
) -> Street:
    names = Names.from_form(form)
    lat, lng = _coordinate(form.get("lat", ""), LAT_RANGE), _coordinate(form.get("lng", ""), LNG_RANGE)
    if street is None:
        slug = _slug(form.get("slug", ""))
        if session.exec(select(Street).where(Street.slug == slug)).first() is not None:
            raise AdminError(N_("That short name is taken."))
        street = Street(slug=slug, name_zh_hans="", name_zh_hant="", name_en="", lat=lat, lng=lng)
    names.apply(street)
    street.lat, street.lng = lat, lng
    session.add(street)
    session.flush()
    audit(session, admin, "place-saved", address=address, detail=f"street {street.slug}")
    return street


def save_community(
    session: Session, admin: StaffUser, community: Community | None, form: dict[str, str], *, address: str
) -> Community:
    names = Names.from_form(form)
    street = _row(session, Street, form.get("street", ""))
    if street is None:
        raise AdminError(N_("Choose the street the community belongs to."))
    lat, lng = _coordinate(form.get("lat", ""), LAT_RANGE), _coordinate(form.get("lng", ""), LNG_RANGE)
    if community is None:
        slug = _slug(form.get("slug", ""))
        if session.exec(select(Community).where(Community.slug == slug)).first() is not None:
            raise AdminError(N_("That short name is taken."))
        community = Community(
            slug=slug,
            street_id=street.id or 0,
            name_zh_hans="",
            name_zh_hant="",
            name_en="",
            lat=lat,
            lng=lng,
        )
    names.apply(community)
    community.street_id, community.lat, community.lng = street.id or 0, lat, lng
    session.add(community)
    session.flush()
    audit(session, admin, "place-saved", address=address, detail=f"community {community.slug}")
    return community


def save_grid_cell(
    session: Session, admin: StaffUser, cell: GridCell | None, form: dict[str, str], *, address: str
) -> GridCell:
    """A grid cell's polygon, given as GeoJSON: valid, inside the district, overlapping no other cell."""
    community = _row(session, Community, form.get("community", ""))
    if community is None:
        raise AdminError(N_("Choose the community the grid cell belongs to."))
    polygon = _polygon(form.get("boundary", ""))
    for other in session.exec(select(GridCell)):
        if cell is not None and other.id == cell.id:
            continue
        if shape(json.loads(other.boundary)).intersection(polygon).area > polygon.area * 0.001:
            raise AdminError(N_("This polygon overlaps grid cell %(code)s."), code=other.code)
    if cell is None:
        code = form.get("code", "").strip().upper()
        if not code or len(code) > 20 or not code.replace("-", "").isalnum():
            raise AdminError(N_("A grid cell code has letters, digits and dashes, at most 20."))
        if session.exec(select(GridCell).where(GridCell.code == code)).first() is not None:
            raise AdminError(N_("That code is taken."))
        cell = GridCell(code=code, community_id=community.id or 0, street_id=community.street_id, boundary="",
                        name_zh_hans=code, name_zh_hant=code, name_en=code)  # fmt: skip
    cell.community_id, cell.street_id = community.id or 0, community.street_id
    cell.boundary = json.dumps(mapping(polygon))
    session.add(cell)
    session.flush()
    audit(session, admin, "place-saved", address=address, detail=f"grid {cell.code}")
    return cell


def _polygon(text: str) -> Polygon:
    try:
        data = json.loads(text)
        geometry = shape(data.get("geometry", data) if isinstance(data, dict) else data)
    except (ValueError, TypeError, AttributeError, KeyError, GEOSException):
        raise AdminError(N_("Paste the boundary as a GeoJSON Polygon.")) from None
    if not isinstance(geometry, Polygon) or geometry.is_empty or not geometry.is_valid:
        raise AdminError(N_("Paste the boundary as a GeoJSON Polygon."))
    min_lng, min_lat, max_lng, max_lat = geometry.bounds
    if not (
        LNG_RANGE[0] <= min_lng
        and max_lng <= LNG_RANGE[1]
        and LAT_RANGE[0] <= min_lat
        and max_lat <= LAT_RANGE[1]
    ):
        raise AdminError(
            N_("Give a point inside Jimei District (latitude about 24.5–24.8, longitude about 117.9–118.2).")
        )
    return geometry
