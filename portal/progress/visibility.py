"""What the public may see: the one definition every page, feed, search, sitemap and cache uses.

A project is public once published. A story is public when approved (status ``published``), its
publish time has come, and its project, if it has one, is public; readers see its ``live`` texts,
never the draft being edited.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import Session, col, select

from portal.progress.models import Project, Story, StoryStatus, StoryText
from portal.progress.texts import Shown, pick

LIVE = "live"
DRAFT = "draft"


def public_project() -> ColumnElement[bool]:
    return col(Project.published).is_(True)


def public_story(now: datetime) -> ColumnElement[bool]:
    """Stories the public sees at ``now`` (join Project with an outer join to use it)."""
    return and_(
        col(Story.status) == StoryStatus.PUBLISHED,
        col(Story.publish_at).is_not(None),
        col(Story.publish_at) <= now,
        or_(col(Story.project_id).is_(None), col(Project.published).is_(True)),
    )


def public_stories(
    session: Session, now: datetime, project_id: int | None = None, limit: int = 50
) -> list[Story]:
    """Public stories, newest first (of one project when ``project_id`` is given)."""
    query: Any = (
        select(Story)
        .outerjoin(Project, col(Project.id) == Story.project_id)
        .where(public_story(now))
        .order_by(col(Story.publish_at).desc(), col(Story.id).desc())
        .limit(limit)
    )
    if project_id is not None:
        query = query.where(Story.project_id == project_id)
    return list(session.exec(query))


def is_public_story(session: Session, story: Story, now: datetime) -> bool:
    if story.status != StoryStatus.PUBLISHED or story.publish_at is None or story.publish_at > now:
        return False
    if story.project_id is None:
        return True
    project = session.get(Project, story.project_id)
    return project is not None and project.published


def story_texts(
    session: Session, story_ids: Iterable[int], stage: str = LIVE
) -> dict[int, dict[str, StoryText]]:
    """Each story's texts of one stage, by locale."""
    ids = list(story_ids)
    texts: dict[int, dict[str, StoryText]] = {i: {} for i in ids}
    if not ids:
        return texts
    for text in session.exec(
        select(StoryText).where(col(StoryText.story_id).in_(ids), StoryText.stage == stage)
    ):
        texts[text.story_id][text.locale] = text
    return texts


def story_field(texts: dict[str, StoryText], name: str, locale: str, config: str = "s2hk") -> Shown:
    """A story's title, summary or body for a reader in ``locale`` (see ``texts.pick``)."""
    hans, hant, en = (str(getattr(texts.get(loc), name, "") or "") for loc in ("zh_Hans", "zh_Hant", "en"))
    return pick(hans, hant, en, locale, config)
