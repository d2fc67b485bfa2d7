"""Test data for the press office's pages: projects written through the editing service, and the
clean-up of every project table after a test (the shared clean slate knows only the ticket tables)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from portal.accounts.models import StaffRole, StaffUser
from portal.accounts.service import create_user
from portal.directory.models import Department
from portal.progress import editing
from portal.progress.editing import MilestoneRow, ProjectInput
from portal.progress.models import Project
from tests.conftest import clear_projects_and_stories


def clear_projects(engine: Engine) -> None:
    clear_projects_and_stories(engine)


@pytest.fixture
def no_projects_after(engine: Engine) -> Iterator[None]:
    yield
    clear_projects(engine)


def press_user(db: Session, username: str = "press-writer") -> StaffUser:
    user = db.exec(select(StaffUser).where(StaffUser.username == username)).first()
    return user or create_user(db, username=username, password="a long enough password", role=StaffRole.PRESS)


def a_department(db: Session, index: int = 0) -> Department:
    return list(db.exec(select(Department).order_by(col(Department.id))))[index]


def project_input(db: Session, **changes: Any) -> ProjectInput:
    raw = ProjectInput(
        slug="shili-changdi",
        title_zh_hans="十里长堤整治提升",
        title_zh_hant="十里長堤整治提升",
        title_en="Ten-mile Embankment clean-up",
        summary_zh_hans="清理沿线乱象，修缮护栏，补种绿化。",
        status="in_progress",
        lead_department=str(a_department(db).id),
        start_date="2026-03-01",
        target_date="2026-12-31",
    )
    for key, value in changes.items():
        setattr(raw, key, value)
    return raw


def a_project(db: Session, **changes: Any) -> Project:
    project = editing.save_project(db, press_user(db), None, project_input(db, **changes), address="test")
    db.commit()
    return project


def rows(*specs: tuple[str, int, str, str, str]) -> list[MilestoneRow]:
    """(title, weight, planned, status, actual) rows."""
    return [
        MilestoneRow(title_zh_hans=t, weight=str(w), planned_date=p, status=s, actual_date=a)
        for t, w, p, s, a in specs
    ]


def yesterday() -> date:
    return editing.district_today() - timedelta(days=1)
