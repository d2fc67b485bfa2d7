"""/staff/press: only the press office (and administrators) get in; bad input gets a clear message
and saves nothing; what was typed comes back."""

from __future__ import annotations

import re
from contextlib import ExitStack
from typing import Any

import pytest
from sqlmodel import Session, col, select

from portal.accounts.models import StaffRole
from portal.progress.models import Milestone, Project, ProjectPhoto
from tests.pages import PageClient
from tests.unit.dispatch.test_views import signed_in
from tests.unit.factories import jpeg_bytes
from tests.unit.progress.press_helpers import a_department, a_project, no_projects_after, yesterday

pytestmark = pytest.mark.usefixtures("no_projects_after")
__all__ = ["no_projects_after"]


def post(client: PageClient, path: str, files: Any = None, **fields: Any) -> Any:
    return client.post(
        path, data={"_csrf_token": client.csrf(), **fields}, files=files, follow_redirects=False
    )


def project_fields(db: Session, **changes: Any) -> dict[str, Any]:
    fields = {
        "slug": "shili-changdi",
        "title_zh_hans": "十里长堤整治提升",
        "title_en": "Ten-mile Embankment",
        "summary_zh_hans": "清理沿线乱象。",
        "body_zh_hans": "## 进展\n\n- 清理完成",
        "kind": "project",
        "status": "in_progress",
        "lead_department": str(a_department(db).id),
        "start_date": "2026-03-01",
        "target_date": "2026-12-31",
        "weight": "1",
        "version": "",
    }
    fields.update(changes)
    return fields


ROUTES = ("/staff/press", "/staff/press/projects/new", "/staff/press/projects/{id}",
          "/staff/press/projects/{id}/milestones", "/staff/press/projects/{id}/photos")  # fmt: skip


@pytest.mark.parametrize(
    "role", [StaffRole.DEPARTMENT, StaffRole.VOLUNTEER, StaffRole.DISPATCHER, StaffRole.GRID_WORKER]
)
def test_other_staff_are_refused_on_every_route(db: Session, app, role: StaffRole) -> None:  # type: ignore[no-untyped-def]
    project = a_project(db)
    with ExitStack() as stack:
        department = a_department(db) if role == StaffRole.DEPARTMENT else None
        other = signed_in(stack, app, db, f"someone-{role}", role, department)
        for route in ROUTES:
            assert other.get(route.format(id=project.id)).status_code == 403, route
        for route in ROUTES[2:]:
            assert post(other, route.format(id=project.id), **project_fields(db)).status_code == 403, route
        assert post(other, "/staff/press/projects", **project_fields(db, slug="x")).status_code == 403
    assert db.exec(select(Project).where(Project.slug == "x")).first() is None


def test_residents_are_sent_to_sign_in(client: PageClient, db: Session) -> None:
    project = a_project(db)
    for route in ROUTES:
        answer = client.get(route.format(id=project.id), follow_redirects=False)
        assert answer.status_code in {302, 303, 401}, route
        assert "十里长堤" not in answer.text
    assert post(client, "/staff/press/projects", **project_fields(db, slug="x")).status_code in {
        302,
        303,
        401,
    }


@pytest.mark.parametrize("role", [StaffRole.PRESS, StaffRole.PRESS_LEAD, StaffRole.ADMIN])
def test_the_press_office_creates_and_edits_a_project(db: Session, app, role: StaffRole) -> None:  # type: ignore[no-untyped-def]
    with ExitStack() as stack:
        press = signed_in(stack, app, db, f"writer-{role}", role)
        assert press.get("/staff/press").status_code == 200
        assert press.get("/staff/press/projects/new").status_code == 200
        made = post(press, "/staff/press/projects", **project_fields(db))
        assert made.status_code == 303, made.text
        project = db.exec(select(Project).where(Project.slug == "shili-changdi")).one()
        page = press.get(made.headers["location"])
        assert "The project is saved." in page.text and 'value="十里长堤整治提升"' in page.text
        home = press.get("/staff/press")
        assert (
            "Ten-mile Embankment" in home.text
            and f"/staff/press/projects/{project.id}/milestones" in home.text
        )
        edited = post(
            press,
            f"/staff/press/projects/{project.id}",
            **project_fields(db, title_zh_hans="十里长堤", version="1"),
        )
        assert edited.status_code == 303
    db.expire_all()
    assert db.get(Project, project.id).title_zh_hans == "十里长堤"  # type: ignore[union-attr]


def test_a_duplicate_slug_keeps_what_was_typed(db: Session, app) -> None:  # type: ignore[no-untyped-def]
    a_project(db)
    with ExitStack() as stack:
        press = signed_in(stack, app, db, "writer", StaffRole.PRESS)
        answer = post(
            press,
            "/staff/press/projects",
            **project_fields(db, title_zh_hans="另一个十里长堤", body_zh_hans="我写的<b>正文</b>"),
        )
        assert answer.status_code == 422
        assert "<title>Error:" in answer.text
        assert 'href="#slug"' in answer.text and "already used by another project" in answer.text
        assert 'value="另一个十里长堤"' in answer.text and "我写的&lt;b&gt;正文&lt;/b&gt;" in answer.text
    assert len(list(db.exec(select(Project)))) == 1


def test_milestones_that_do_not_total_100_or_start_too_early(db: Session, app) -> None:  # type: ignore[no-untyped-def]
    project = a_project(db)
    rows = {
        "version": str(project.version),
        "m-0-title_zh_hans": "清理占道", "m-0-weight": "40", "m-0-planned_date": "2026-04-01", "m-0-status": "done",
        "m-0-actual_date": yesterday().isoformat(),
        "m-1-title_zh_hans": "护栏修缮", "m-1-weight": "40", "m-1-planned_date": "2026-06-01", "m-1-status": "in_progress",
        "m-2-title_zh_hans": "", "m-2-weight": "", "m-2-planned_date": "", "m-2-status": "planned",
    }  # fmt: skip
    with ExitStack() as stack:
        press = signed_in(stack, app, db, "writer", StaffRole.PRESS)
        page = press.get(f"/staff/press/projects/{project.id}/milestones")
        assert page.status_code == 200 and page.text.count('name="m-') >= 3 * 10
        short = post(press, f"/staff/press/projects/{project.id}/milestones", **rows)
        assert short.status_code == 422
        assert (
            "add up to 80 %. They must add up to exactly 100 %" in short.text
            and 'href="#weights"' in short.text
        )
        assert 'value="护栏修缮"' in short.text
        early = post(
            press,
            f"/staff/press/projects/{project.id}/milestones",
            **{**rows, "m-1-weight": "60", "m-1-planned_date": "2026-01-01"},
        )
        assert (
            early.status_code == 422 and "cannot be before the project&#39;s start (2026-03-01)" in early.text
        )
        assert db.exec(select(Milestone)).first() is None
        done = post(press, f"/staff/press/projects/{project.id}/milestones", **{**rows, "m-1-weight": "60"})
        assert done.status_code == 303
        assert "The milestones are saved." in press.get(done.headers["location"]).text
    assert [m.weight for m in db.exec(select(Milestone).order_by(col(Milestone.position)))] == [40, 60]


def test_photos_fake_image_refused_and_a_pair_saved(db: Session, app) -> None:  # type: ignore[no-untyped-def]
    project = a_project(db)
    captions = {
        "before-caption_zh_hans": "拆栏前",
        "after-caption_zh_hans": "拆栏后",
        "after-caption_en": "After",
    }
    with ExitStack() as stack:
        press = signed_in(stack, app, db, "writer", StaffRole.PRESS)
        assert press.get(f"/staff/press/projects/{project.id}/photos").status_code == 200
        fake = post(
            press, f"/staff/press/projects/{project.id}/photos", action="pair", version=str(project.version),
            files=[("before-file", ("a.jpg", jpeg_bytes(), "image/jpeg")),
                   ("after-file", ("b.jpg", b"<?php echo 'not a photo'; ?>", "image/jpeg"))],
            **captions,
        )  # fmt: skip
        assert fake.status_code == 422
        assert "This file is not a photo" in fake.text and 'href="#after-file"' in fake.text
        assert 'value="拆栏后"' in fake.text
        assert db.exec(select(ProjectPhoto)).first() is None
        good = post(
            press, f"/staff/press/projects/{project.id}/photos", action="pair", version=str(project.version),
            files=[("before-file", ("a.jpg", jpeg_bytes(), "image/jpeg")),
                   ("after-file", ("b.jpg", jpeg_bytes(color=(20, 160, 40)), "image/jpeg"))],
            **captions,
        )  # fmt: skip
        assert good.status_code == 303
        page = press.get(good.headers["location"])
        assert "The photos are saved." in page.text and 'alt="拆栏后"' in page.text
    assert sorted(p.role for p in db.exec(select(ProjectPhoto))) == ["after", "before"]


def test_a_form_without_its_csrf_token_is_refused(db: Session, app) -> None:  # type: ignore[no-untyped-def]
    with ExitStack() as stack:
        press = signed_in(stack, app, db, "writer", StaffRole.PRESS)
        answer = press.post("/staff/press/projects", data=project_fields(db), follow_redirects=False)
        assert answer.status_code == 403
    assert db.exec(select(Project)).first() is None


def test_unknown_projects_are_not_found(db: Session, app) -> None:  # type: ignore[no-untyped-def]
    with ExitStack() as stack:
        press = signed_in(stack, app, db, "writer", StaffRole.PRESS)
        for path in (
            "/staff/press/projects/999999",
            "/staff/press/projects/abc/milestones",
            "/staff/press/projects/99999999999999999999/photos",
        ):
            assert press.get(path).status_code == 404, path


def test_every_page_in_three_languages(db: Session, app) -> None:  # type: ignore[no-untyped-def]
    project = a_project(db)
    with ExitStack() as stack:
        press = signed_in(stack, app, db, "writer", StaffRole.PRESS)
        for lang in ("zh-Hans", "zh-Hant", "en"):
            for route in ROUTES:
                page = press.get(route.format(id=project.id) + f"?lang={lang}")
                assert page.status_code == 200, (route, lang)
                assert not re.search(r"\{\{|\{%", page.text)
