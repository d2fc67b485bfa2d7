"""Small builders of projects, milestones and stories for the public progress tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from portal.accounts.models import StaffRole, StaffUser
from portal.accounts.service import create_user
from portal.db import utcnow
from portal.directory.models import Department
from portal.places.models import Street
from portal.progress import search
from portal.progress.models import (
    Milestone,
    MilestoneStatus,
    Project,
    ProjectArea,
    ProjectDepartment,
    ProjectStatus,
    Story,
    StoryStatus,
    StoryText,
)
from portal.stats.period import today
from tests.conftest import clear_projects_and_stories


def clear_progress(engine: Engine) -> None:
    clear_projects_and_stories(engine)


@pytest.fixture
def clean_progress(engine: Engine) -> Iterator[None]:
    yield
    clear_progress(engine)


def department(db: Session, index: int = 0) -> Department:
    return list(db.exec(select(Department).order_by(col(Department.id))))[index]


def street(db: Session, slug: str) -> Street:
    found = db.exec(select(Street).where(Street.slug == slug)).first()
    assert found is not None, f"no street {slug}"
    return found


def make_project(
    db: Session,
    slug: str,
    title: str,
    *,
    published: bool = True,
    milestones: list[tuple[int, date, str, date | None]] = (),  # type: ignore[assignment]
    streets: list[str] = (),  # type: ignore[assignment]
    lead: Department | None = None,
    others: list[Department] = (),  # type: ignore[assignment]
    **fields: Any,
) -> Project:
    """A project with its milestones (weight, planned day, status, actual day), streets and
    departments, indexed for search, committed."""
    project = Project(slug=slug, title_zh_hans=title, published=published, **fields)
    if lead is not None:
        project.lead_department_id = lead.id
    db.add(project)
    db.flush()
    for position, (weight, planned, status, actual) in enumerate(milestones, start=1):
        db.add(
            Milestone(
                project_id=project.id, position=position, title_zh_hans=f"第{position}个节点",
                title_en=f"Milestone {position}", weight=weight, planned_date=planned, status=status,
                actual_date=actual,
            )
        )  # fmt: skip
    for street_slug in streets:
        db.add(ProjectArea(project_id=project.id or 0, street_id=street(db, street_slug).id or 0))
    for other in others:
        db.add(ProjectDepartment(project_id=project.id or 0, department_id=other.id or 0))
    search.reindex(db, project)
    db.commit()
    return project


def late_and_reached(days_late: int = 12) -> list[tuple[int, date, str, date | None]]:
    """Two milestones reached (one late), one late and one still to come: 20 % + 30 % = 50 %."""
    now = today()
    return [
        (20, now - timedelta(days=200), MilestoneStatus.DONE, now - timedelta(days=201)),
        (30, now - timedelta(days=100), MilestoneStatus.DONE, now - timedelta(days=95)),
        (25, now - timedelta(days=days_late), MilestoneStatus.IN_PROGRESS, None),
        (25, now + timedelta(days=60), MilestoneStatus.PLANNED, None),
    ]


def press_officer(db: Session) -> StaffUser:
    found = db.exec(select(StaffUser).where(StaffUser.username == "press-test")).first()
    return found or create_user(
        db, username="press-test", password="a long enough password", role=StaffRole.PRESS
    )


def make_story(
    db: Session,
    slug: str,
    title: str,
    project: Project | None = None,
    *,
    status: str = StoryStatus.PUBLISHED,
    publish_at: datetime | None = None,
    title_en: str = "",
) -> Story:
    author = press_officer(db)
    story = Story(
        slug=slug, project_id=project.id if project else None, status=status, author_id=author.id or 0,
        publish_at=publish_at or utcnow() - timedelta(hours=1),
    )  # fmt: skip
    db.add(story)
    db.flush()
    for locale, words in (("zh_Hans", title), ("en", title_en)):
        if words:
            db.add(StoryText(story_id=story.id or 0, locale=locale, stage="live", title=words, summary=words))
    db.commit()
    return story


__all__ = [
    "ProjectStatus",
    "clean_progress",
    "clear_progress",
    "department",
    "late_and_reached",
    "make_project",
    "make_story",
    "street",
]
