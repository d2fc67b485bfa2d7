"""Governance projects (治理项目), their milestones and photos, campaigns' tickets, the stories the
press office publishes about them (进展报道), and the residents who follow a project by SMS."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from portal.db import UTCDateTime, utcnow
from portal.i18n import N_


class ProjectStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    PAUSED = "paused"


PROJECT_STATUS_LABELS = {
    ProjectStatus.PLANNED: N_("Planned"),
    ProjectStatus.IN_PROGRESS: N_("In progress"),
    ProjectStatus.COMPLETED: N_("Completed"),
    ProjectStatus.PAUSED: N_("Paused"),
}


class ProjectKind(StrEnum):
    PROJECT = "project"
    CAMPAIGN = "campaign"  # 专项整治: tickets are tagged to it and its page shows their figures


class MilestoneStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"


MILESTONE_STATUS_LABELS = {
    MilestoneStatus.PLANNED: N_("Planned"),
    MilestoneStatus.IN_PROGRESS: N_("Under way"),
    MilestoneStatus.DONE: N_("Reached"),
}


class StoryStatus(StrEnum):
    DRAFT = "draft"
    REVIEW = "review"
    PUBLISHED = "published"  # approved: live from publish_at on
    UNPUBLISHED = "unpublished"


STORY_STATUS_LABELS = {
    StoryStatus.DRAFT: N_("Draft"),
    StoryStatus.REVIEW: N_("In review"),
    StoryStatus.PUBLISHED: N_("Published"),
    StoryStatus.UNPUBLISHED: N_("Unpublished"),
}


class LocalizedTexts(SQLModel):
    """A title and a summary in every locale. Simplified Chinese is required; a missing
    Traditional text is shown converted from it (marked), a missing English one falls back."""

    title_zh_hans: str = Field(max_length=120)
    title_zh_hant: str = Field(default="", max_length=120)
    title_en: str = Field(default="", max_length=120)
    summary_zh_hans: str = Field(default="", max_length=400)
    summary_zh_hant: str = Field(default="", max_length=400)
    summary_en: str = Field(default="", max_length=400)


class Project(LocalizedTexts, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=60, unique=True)
    kind: str = Field(default=ProjectKind.PROJECT, max_length=20)
    # A sub-project (one street's share of a campaign) counts towards its parent by its weight.
    parent_id: int | None = Field(default=None, foreign_key="project.id", index=True)
    weight: int = 1
    status: str = Field(default=ProjectStatus.PLANNED, max_length=20, index=True)
    body_zh_hans: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    body_zh_hant: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    body_en: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    lead_department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    start_date: date | None = None
    target_date: date | None = None
    # Only published projects are seen by the public, in pages, feeds, search and the sitemap.
    published: bool = Field(default=False, index=True)
    # Every locale's words in one place, for search (kept by the service on every save).
    search_text: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    # Bumped on every change; cached public renderings are keyed by it.
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class ProjectDepartment(SQLModel, table=True):
    """A department sharing the work with the lead department."""

    __tablename__ = "project_department"

    project_id: int = Field(foreign_key="project.id", primary_key=True)
    department_id: int = Field(foreign_key="department.id", primary_key=True)


class ProjectArea(SQLModel, table=True):
    """A street, or one grid cell of it, that the project covers."""

    __tablename__ = "project_area"
    __table_args__ = (UniqueConstraint("project_id", "street_id", "grid_id"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    street_id: int = Field(foreign_key="street.id", index=True)
    grid_id: int | None = Field(default=None, foreign_key="grid_cell.id")


class Milestone(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    position: int = 0
    title_zh_hans: str = Field(max_length=120)
    title_zh_hant: str = Field(default="", max_length=120)
    title_en: str = Field(default="", max_length=120)
    note_zh_hans: str = Field(default="", max_length=300)
    note_zh_hant: str = Field(default="", max_length=300)
    note_en: str = Field(default="", max_length=300)
    # The share of the project's progress this milestone carries, in percent; a project's add up to 100.
    weight: int
    planned_date: date
    actual_date: date | None = None
    status: str = Field(default=MilestoneStatus.PLANNED, max_length=20)
    # When followers were told it was reached (None: not yet).
    announced_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class ProjectPhoto(SQLModel, table=True):
    """The cover, or one side of a before/after pair, processed like every other photo."""

    __tablename__ = "project_photo"
    __table_args__ = (Index("ix_project_photo_project", "project_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id")
    role: str = Field(max_length=10)  # cover, before, after
    pair: int = 0  # a before and an after with the same pair number are shown side by side
    position: int = 0
    digest: str = Field(max_length=64, index=True)
    width: int
    height: int
    caption_zh_hans: str = Field(default="", max_length=120)
    caption_zh_hant: str = Field(default="", max_length=120)
    caption_en: str = Field(default="", max_length=120)


class ProjectTicket(SQLModel, table=True):
    """A ticket tagged to a project (a campaign's tickets): by the centre, or by the category's default."""

    __tablename__ = "project_ticket"

    project_id: int = Field(foreign_key="project.id", primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True, index=True)
    tagged_by: int | None = Field(default=None, foreign_key="staff_user.id")
    tagged_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class CampaignCategory(SQLModel, table=True):
    """New tickets of this category are tagged to the campaign while it runs (start to target date)."""

    __tablename__ = "campaign_category"

    project_id: int = Field(foreign_key="project.id", primary_key=True)
    category_id: int = Field(foreign_key="category.id", primary_key=True, index=True)


class Story(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=80, unique=True)
    project_id: int | None = Field(default=None, foreign_key="project.id", index=True)
    status: str = Field(default=StoryStatus.DRAFT, max_length=20, index=True)
    author_id: int = Field(foreign_key="staff_user.id")
    submitted_by: int | None = Field(default=None, foreign_key="staff_user.id")
    approved_by: int | None = Field(default=None, foreign_key="staff_user.id")
    # Live from this moment (set on approval; a future moment schedules it).
    publish_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True, index=True)
    )
    # Followers were told (None: not yet).
    announced_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    # The live texts differ from the draft texts: an edit waits for review while the live one stays.
    pending_changes: bool = False
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class StoryText(SQLModel, table=True):
    """A story's words in one locale, as being edited (``draft``) and as approved (``live``)."""

    __tablename__ = "story_text"
    __table_args__ = (UniqueConstraint("story_id", "locale", "stage"),)

    id: int | None = Field(default=None, primary_key=True)
    story_id: int = Field(foreign_key="story.id", index=True)
    locale: str = Field(max_length=10)
    stage: str = Field(max_length=10)  # draft, live
    title: str = Field(max_length=120)
    summary: str = Field(default="", max_length=300)
    body: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    # The Traditional text was made by converting the Simplified one (and accepted by an editor).
    converted: bool = False
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class StoryImage(SQLModel, table=True):
    """An image uploaded for a story's Markdown (``![caption](/media/<digest>/full)``), processed like a
    report photo; a story shows only its own images."""

    __tablename__ = "story_image"

    id: int | None = Field(default=None, primary_key=True)
    story_id: int = Field(foreign_key="story.id", index=True)
    digest: str = Field(max_length=64, index=True)
    width: int
    height: int
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class ProjectFollower(SQLModel, table=True):
    """A resident who confirmed their phone to hear of a project's milestones and stories."""

    __tablename__ = "project_follower"
    __table_args__ = (UniqueConstraint("project_id", "phone"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    phone: str = Field(max_length=20)
    locale: str = Field(default="zh_Hans", max_length=10)
    # The one-tap unsubscribe link carries it.
    token: str = Field(max_length=32, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    last_sms_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
