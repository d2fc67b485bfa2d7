"""Administrators manage accounts, departments and categories; nobody else can."""

from __future__ import annotations

from contextlib import ExitStack

from sqlmodel import Session, col, select

from portal.accounts.models import AuditEntry, StaffRole, StaffUser
from portal.directory.models import Category, Department
from tests.pages import PageClient
from tests.unit.dispatch.test_views import PASSWORD, signed_in


def post(client: PageClient, path: str, **fields: str):  # type: ignore[no-untyped-def]
    return client.post(path, data={"_csrf_token": client.csrf(), **fields}, follow_redirects=False)


def test_only_administrators_reach_the_admin_pages(db: Session, app) -> None:  # type: ignore[no-untyped-def]
    with ExitStack() as stack:
        centre = signed_in(stack, app, db, "centre", StaffRole.DISPATCHER)
        for page in ("users", "departments", "categories"):
            assert centre.get(f"/staff/admin/{page}").status_code == 403
        assert post(centre, "/staff/admin/users", username="x").status_code == 403


def test_accounts_are_made_switched_off_and_unlocked(db: Session, app) -> None:  # type: ignore[no-untyped-def]
    with ExitStack() as stack:
        admin = signed_in(stack, app, db, "boss", StaffRole.ADMIN)
        form = admin.get("/staff/admin/users")
        assert form.status_code == 200
        role_menu = form.text[form.text.index('id="new-role"') :].split("</select>")[0]
        # a browser shows the first option: it must be "choose", not the most powerful role
        assert role_menu.split("<option")[1].startswith(' value=""') and " selected" not in role_menu
        assert "Choose a role." in post(admin, "/staff/admin/users", username="no.role", role="").text
        roads = db.exec(select(Department).order_by(col(Department.id))).first()
        assert roads is not None
        made = post(admin, "/staff/admin/users", username="roads.wang", display_name="王工", role="department",
                    department=str(roads.id), password=PASSWORD)  # fmt: skip
        assert made.status_code == 303
        short = post(admin, "/staff/admin/users", username="x.y", role="admin", password="short")
        assert (
            short.status_code == 422
            and "at least 10 characters" in short.text
            and 'value="x.y"' in short.text
        )
        user = db.exec(select(StaffUser).where(StaffUser.username == "roads.wang")).one()
        assert user.department_id == roads.id
        worker = signed_in(stack, app, db, "worker", StaffRole.VOLUNTEER)
        worker_row = db.exec(select(StaffUser).where(StaffUser.username == "worker")).one()
        assert post(admin, f"/staff/admin/users/{worker_row.id}", action="deactivate").status_code == 303
        assert worker.get("/staff", follow_redirects=False).status_code == 303  # signed out at once
        own = db.exec(select(StaffUser).where(StaffUser.username == "boss")).one()
        assert post(admin, f"/staff/admin/users/{own.id}", action="deactivate").status_code == 422
    db.expire_all()
    assert "user-created" in [e.action for e in db.exec(select(AuditEntry))]


def test_departments_and_categories_are_rows_not_code(client: PageClient, db: Session, app) -> None:  # type: ignore[no-untyped-def]
    with ExitStack() as stack:
        admin = signed_in(stack, app, db, "boss", StaffRole.ADMIN)
        names = {
            "name_zh_hans": "区水务集团",
            "name_zh_hant": "區水務集團",
            "name_en": "District Water Group",
        }
        assert (
            post(admin, "/staff/admin/departments", slug="water-group", active="on", **names).status_code
            == 303
        )
        bad_phone = post(admin, "/staff/admin/departments", slug="x-dept", duty_phone="12345", **names)
        assert bad_phone.status_code == 422
        water = db.exec(select(Department).where(Department.slug == "water-group")).one()
        group_id = db.exec(select(Category)).first().group_id  # type: ignore[union-attr]
        category = {"name_zh_hans": "自来水停水", "name_zh_hant": "自來水停水", "name_en": "No tap water",
                    "group": str(group_id), "department": str(water.id), "response_hours": "2",
                    "resolution_days": "1", "active": "on", "hint_zh_hans": "家里或小区停水。"}  # fmt: skip
        missing_department = post(
            admin, "/staff/admin/categories", slug="no-water", **{**category, "department": ""}
        )
        assert missing_department.status_code == 422 and "default department" in missing_department.text
        backwards = post(
            admin, "/staff/admin/categories", slug="no-water", **{**category, "resolution_days": "0"}
        )
        assert backwards.status_code == 422
        # what the admin typed is still there to correct, not the defaults
        assert (
            'value="家里或小区停水。"' in backwards.text
            and 'name="response_hours" type="text" inputmode="numeric" maxlength="3" value="2"'
            in backwards.text
        )
        assert f'<option value="{water.id}" selected>' in backwards.text
        assert post(admin, "/staff/admin/categories", slug="no-water", **category).status_code == 303
    assert "自来水停水" in client.get("/report?lang=zh-Hans").text  # residents can choose it at once


def teardown_function() -> None:
    """The rows this module adds are not demonstration data: take them out again."""
    from sqlalchemy import text

    from tests.conftest import current_engine

    engine = current_engine()
    if engine is not None:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM category WHERE slug = 'no-water'"))
            conn.execute(text("DELETE FROM department WHERE slug = 'water-group'"))
            conn.execute(text("DELETE FROM grid_cell WHERE code = 'JM-X-1'"))


def test_grid_cells_are_drawn_checked_and_used_at_once(
    client: PageClient, db: Session, app, services
) -> None:  # type: ignore[no-untyped-def]
    import json

    from portal.places.models import Community, GridCell

    community = db.exec(select(Community).order_by(col(Community.id))).first()
    assert community is not None
    existing = db.exec(select(GridCell)).first()
    assert existing is not None
    square = {
        "type": "Polygon",
        "coordinates": [
            [[118.30, 24.90], [118.31, 24.90], [118.31, 24.91], [118.30, 24.91], [118.30, 24.90]]
        ],
    }
    with ExitStack() as stack:
        admin = signed_in(stack, app, db, "boss", StaffRole.ADMIN)
        assert admin.get("/staff/admin/grids").status_code == 200
        overlap = post(
            admin,
            "/staff/admin/grids",
            code="JM-X-1",
            community=str(community.id),
            boundary=existing.boundary,
        )
        assert overlap.status_code == 422 and existing.code in overlap.text
        junk = post(
            admin, "/staff/admin/grids", code="JM-X-1", community=str(community.id), boundary="{not json"
        )
        assert junk.status_code == 422 and "GeoJSON Polygon" in junk.text
        made = post(
            admin,
            "/staff/admin/grids",
            code="JM-X-1",
            community=str(community.id),
            boundary=json.dumps(square),
        )
        assert made.status_code == 303
    found = services.locator.locate(24.905, 118.305)
    assert found is not None and found.grid_code == "JM-X-1" and found.community_id == community.id
