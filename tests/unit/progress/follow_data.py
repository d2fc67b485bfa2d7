"""Projects, milestones and stories for the feed, follow and campaign tests, and a clean-up that runs
before the shared one (which removes tickets and staff accounts these rows point to)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from portal.accounts.models import StaffRole, StaffUser
from portal.accounts.service import create_user
from portal.db import utcnow
from portal.progress.models import (
    Milestone,
    MilestoneStatus,
    Project,
    ProjectKind,
    Story,
    StoryStatus,
    StoryText,
)
from tests.conftest import clear_projects_and_stories


def clean_progress(engine: Engine) -> None:
    clear_projects_and_stories(engine)


@pytest.fixture(autouse=True)
def _clean_progress(engine: Engine) -> Iterator[None]:
    yield
    clean_progress(engine)


def make_project(
    db: Session, slug: str = "chailan-toulv", *, published: bool = True, **values: Any
) -> Project:
    fields: dict[str, Any] = {
        "title_zh_hans": "拆栏透绿",
        "title_en": "Fences down, green opened up",
        "summary_zh_hans": "拆除围栏，开放绿地。",
        "status": "in_progress",
    }
    fields.update(values)
    project = Project(slug=slug, published=published, **fields)
    db.add(project)
    db.commit()
    return project


def make_campaign(db: Session, slug: str = "ebike", **values: Any) -> Project:
    today = date.today()
    defaults: dict[str, Any] = {
        "title_zh_hans": "电动自行车专项整治",
        "title_en": "E-bike campaign",
        "kind": ProjectKind.CAMPAIGN,
        "start_date": today - timedelta(days=10),
        "target_date": today + timedelta(days=30),
    }
    defaults.update(values)
    return make_project(db, slug, **defaults)


def make_milestone(db: Session, project: Project, title: str = "完成围栏拆除", **values: Any) -> Milestone:
    fields: dict[str, Any] = {
        "title_zh_hans": title,
        "weight": 50,
        "planned_date": date.today() - timedelta(days=5),
        "actual_date": date.today() - timedelta(days=1),
        "status": MilestoneStatus.DONE,
    }
    fields.update(values)
    milestone = Milestone(project_id=project.id or 0, **fields)
    db.add(milestone)
    db.commit()
    return milestone


_authors = itertools.count(1)


def press_author(db: Session) -> StaffUser:
    user = create_user(
        db, username=f"press-writer-{next(_authors)}", password="a long enough password", role=StaffRole.PRESS
    )
    db.commit()
    return user


def make_story(
    db: Session,
    slug: str,
    *,
    project: Project | None = None,
    status: str = StoryStatus.PUBLISHED,
    publish_at: datetime | None = None,
    titles: dict[str, str] | None = None,
    summary: str = "乐海路段的围栏已经拆除。",
    author: StaffUser | None = None,
) -> Story:
    author = author or press_author(db)
    story = Story(
        slug=slug,
        project_id=project.id if project else None,
        status=status,
        author_id=author.id or 0,
        publish_at=publish_at if publish_at is not None else utcnow() - timedelta(hours=1),
    )
    db.add(story)
    db.flush()
    for locale, title in (titles or {"zh_Hans": f"{slug} 的报道"}).items():
        db.add(StoryText(story_id=story.id or 0, locale=locale, stage="live", title=title, summary=summary))
        db.add(StoryText(story_id=story.id or 0, locale=locale, stage="draft", title=f"草稿 {title}"))
    db.commit()
    return story
