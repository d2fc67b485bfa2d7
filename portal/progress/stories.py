"""The press office's stories: written, reviewed by a second person, published, perhaps unpublished.

    draft ──submit──▶ review ──approve──▶ published ──unpublish──▶ unpublished
      ▲                 │ send back           │ edit: the draft texts change, the live ones stay
      └─────────────────┘                     ▼ (pending changes) ── submit ── approve again

A press officer (``PRESS_ROLES``) writes; someone with ``APPROVER_ROLES`` who neither wrote the
story nor submitted it approves. Approving copies the ``draft`` texts to ``live`` and sets the
moment it goes public (now, or later: scheduled). Editing a published story changes only the
draft texts, so what the public reads changes only by another approval. Every step is in the
audit log.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from portal.accounts.models import APPROVER_ROLES, PRESS_ROLES, AuditEntry, StaffRole, StaffUser
from portal.accounts.service import audit
from portal.db import utcnow
from portal.i18n import DISTRICT_TZ, N_
from portal.media import ProcessedPhoto
from portal.progress.forms import (
    LOCALES,
    PROJECT_FIXED,
    SLUG_FIXED,
    SLUG_TAKEN,
    StoryDraft,
    TextInput,
    slug_from,
)
from portal.progress.models import Story, StoryImage, StoryStatus, StoryText
from portal.progress.texts import to_hant
from portal.progress.visibility import DRAFT, LIVE, story_texts

NOT_PRESS = N_("Only the press office may write stories.")
NOT_APPROVER = N_("Only the press office lead or an administrator may approve or send back a story.")
OWN_STORY = N_("You wrote or submitted this story, so someone else must approve it.")
NOT_IN_REVIEW = N_("This story is not waiting for review.")
ALREADY_IN_REVIEW = N_("This story is already waiting for review.")
LIVE_NOT_SCHEDULED = N_(
    "This story is already public: approved changes show at once. Leave the time empty to approve them."
)
NOTHING_TO_REVIEW = N_("Nothing has changed since this story was approved: there is nothing to review.")
CHANGED_MEANWHILE = N_(
    "The story was changed while you were reading it. Read it again before you approve it."
)
NOT_PUBLISHED = N_("This story is not published.")
NO_SIMPLIFIED = N_("Write the Simplified Chinese text first: the Traditional text is converted from it.")
MAX_IMAGES = 30
TOO_MANY_IMAGES = N_("A story can have at most %(max)s images.")


class StoryError(ValueError):
    """A step that may not be taken, with the message id that says why (and the field it concerns)."""

    def __init__(self, message: str, field: str = "form", **values: object) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.values = values


@dataclass(frozen=True)
class Saved:
    story: Story
    changed: bool  # False: the texts were already so (an autosave of nothing new)
    withdrawn: bool = False  # it was waiting for review: changing it takes it back out of the queue


def is_press(user: StaffUser) -> bool:
    return StaffRole(user.role) in PRESS_ROLES


def is_approver(user: StaffUser) -> bool:
    return StaffRole(user.role) in APPROVER_ROLES


def in_review(story: Story) -> bool:
    """Waiting for a second person: a new story, or the changes to a published one."""
    return story.status == StoryStatus.REVIEW or (
        story.status == StoryStatus.PUBLISHED and story.pending_changes and story.submitted_by is not None
    )


def ever_published(story: Story) -> bool:
    return story.approved_by is not None


def may_approve(user: StaffUser, story: Story) -> bool:
    return is_approver(user) and user.id not in {story.author_id, story.submitted_by}


def _detail(story: Story, note: str = "") -> str:
    """The audit entry's words: which story (its number and address), and a note if any."""
    return f"#{story.id} {story.slug}" + (f": {note}" if note else "")


def _touch(story: Story, now: datetime) -> None:
    story.version += 1
    story.updated_at = now


# --- reading ---------------------------------------------------------------------------------


def find(session: Session, story_id: int) -> Story | None:
    return session.get(Story, story_id)


def by_slug(session: Session, slug: str) -> Story | None:
    return session.exec(select(Story).where(Story.slug == slug)).first()


def all_stories(session: Session, limit: int = 200) -> list[Story]:
    return list(
        session.exec(select(Story).order_by(col(Story.updated_at).desc(), col(Story.id).desc()).limit(limit))
    )


def review_queue(session: Session) -> list[Story]:
    """Stories waiting for approval, the longest waiting first."""
    waiting = or_(
        col(Story.status) == StoryStatus.REVIEW,
        and_(
            col(Story.status) == StoryStatus.PUBLISHED,
            col(Story.pending_changes).is_(True),
            col(Story.submitted_by).is_not(None),
        ),
    )
    return list(session.exec(select(Story).where(waiting).order_by(col(Story.updated_at), col(Story.id))))


def texts_of(session: Session, story: Story, stage: str = DRAFT) -> dict[str, StoryText]:
    assert story.id is not None
    return story_texts(session, [story.id], stage)[story.id]


def images_of(session: Session, story: Story) -> list[StoryImage]:
    return list(
        session.exec(select(StoryImage).where(StoryImage.story_id == story.id).order_by(col(StoryImage.id)))
    )


def image_sizes(images: Iterable[StoryImage]) -> dict[str, tuple[int, int]]:
    return {image.digest: (image.width, image.height) for image in images}


def last_note(session: Session, story: Story) -> AuditEntry | None:
    """The latest "send back" with its note, if the story was sent back since it was last submitted."""
    entry = session.exec(
        select(AuditEntry)
        .where(
            col(AuditEntry.action).in_(["story-sent-back", "story-submitted"]),
            col(AuditEntry.detail).startswith(f"#{story.id} "),
        )
        .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
    ).first()
    return entry if entry is not None and entry.action == "story-sent-back" else None


# --- writing ---------------------------------------------------------------------------------


def _unique_slug(session: Session, wanted: str, story_id: int | None) -> str:
    """The typed address, refused when another story has it."""
    taken = by_slug(session, wanted)
    if taken is not None and taken.id != story_id:
        raise StoryError(SLUG_TAKEN, "slug", slug=wanted)
    return wanted


def _title_slug(draft: StoryDraft) -> str:
    for loc in ("en", "zh_Hans"):
        if loc in draft.texts and (base := slug_from(draft.texts[loc].title)):
            return base
    return ""


def _made_slug(session: Session, draft: StoryDraft, now: datetime, story_id: int | None = None) -> str:
    """An address from the English title, else the Simplified one's Latin letters, else the date;
    numbered when another story has it."""
    base = _title_slug(draft) or f"story-{now.astimezone(DISTRICT_TZ):%Y%m%d}"
    candidate, number = base, 1
    while (taken := by_slug(session, candidate)) is not None and taken.id != story_id:
        number += 1
        candidate = f"{base[:74]}-{number}"
    return candidate


def _write_texts(session: Session, story: Story, texts: dict[str, TextInput], now: datetime) -> bool:
    """Make the draft texts what was typed; whether anything changed."""
    saved = texts_of(session, story, DRAFT)
    changed = False
    for loc in LOCALES:
        wanted = texts.get(loc)
        row = saved.get(loc)
        if wanted is None or wanted.empty:
            if row is not None:
                session.delete(row)
                changed = True
            continue
        if row is None:
            assert story.id is not None
            row = StoryText(story_id=story.id, locale=loc, stage=DRAFT, title=wanted.title)
        elif (row.title, row.summary, row.body) == (wanted.title, wanted.summary, wanted.body):
            continue
        row.title, row.summary, row.body, row.updated_at = wanted.title, wanted.summary, wanted.body, now
        session.add(row)
        changed = True
    return changed


def create(
    session: Session, user: StaffUser, draft: StoryDraft, *, address: str = "", now: datetime | None = None
) -> Story:
    if not is_press(user):
        raise StoryError(NOT_PRESS)
    now = now or utcnow()
    slug = _unique_slug(session, draft.slug, None) if draft.slug else _made_slug(session, draft, now)
    assert user.id is not None
    story = Story(slug=slug, project_id=draft.project_id, author_id=user.id, created_at=now, updated_at=now)
    session.add(story)
    session.flush()
    _write_texts(session, story, draft.texts, now)
    audit(session, user, "story-created", address=address, detail=_detail(story))
    return story


def save(
    session: Session,
    user: StaffUser,
    story: Story,
    draft: StoryDraft,
    *,
    address: str = "",
    autosave: bool = False,
    now: datetime | None = None,
) -> Saved:
    """Save the editor's texts as the draft. What the public reads never changes here: a published
    story keeps its live texts and is marked as having changes waiting for review."""
    if not is_press(user):
        raise StoryError(NOT_PRESS)
    now = now or utcnow()
    if draft.slug:
        slug = draft.slug
    elif ever_published(story) or not _title_slug(draft):
        slug = story.slug
    else:  # not typed: made again from the title, which may have changed (an English one added)
        slug = _made_slug(session, draft, now, story.id)
    if ever_published(story):
        if slug != story.slug:
            raise StoryError(SLUG_FIXED, "slug")
        if draft.project_id != story.project_id:
            raise StoryError(PROJECT_FIXED, "project")
    slug = _unique_slug(session, slug, story.id)
    changed = _write_texts(session, story, draft.texts, now)
    changed = changed or slug != story.slug or draft.project_id != story.project_id
    if not changed:
        return Saved(story, changed=False)
    story.slug, story.project_id = slug, draft.project_id
    withdrawn = _after_edit(story)
    _touch(story, now)
    session.add(story)
    if not autosave:  # an autosave is keystrokes; the audit log has the saves a person asked for
        audit(session, user, "story-saved", address=address, detail=_detail(story))
    if withdrawn:
        audit(session, user, "story-withdrawn", address=address, detail=_detail(story))
    return Saved(story, changed=True, withdrawn=withdrawn)


def _after_edit(story: Story) -> bool:
    """A changed draft: a story in review leaves the queue (it must be submitted again, so that
    nobody approves words they have not read); a published one has changes waiting."""
    withdrawn = in_review(story)
    if story.status == StoryStatus.REVIEW:
        story.status = StoryStatus.DRAFT
    if story.status in {StoryStatus.PUBLISHED, StoryStatus.UNPUBLISHED}:
        story.pending_changes = True
    story.submitted_by = None
    return withdrawn


def accept_conversion(
    session: Session,
    user: StaffUser,
    story: Story,
    *,
    address: str = "",
    config: str = "s2hk",
    now: datetime | None = None,
) -> StoryText:
    """Fill the Traditional draft with the Simplified one converted by OpenCC, to be corrected."""
    if not is_press(user):
        raise StoryError(NOT_PRESS)
    now = now or utcnow()
    drafts = texts_of(session, story, DRAFT)
    hans = drafts.get("zh_Hans")
    if hans is None:
        raise StoryError(NO_SIMPLIFIED)
    assert story.id is not None
    row = drafts.get("zh_Hant") or StoryText(story_id=story.id, locale="zh_Hant", stage=DRAFT, title="")
    row.title, row.summary, row.body = (
        to_hant(hans.title, config),
        to_hant(hans.summary, config),
        to_hant(hans.body, config),
    )
    row.converted, row.updated_at = True, now
    session.add(row)
    _after_edit(story)
    _touch(story, now)
    session.add(story)
    audit(session, user, "story-converted", address=address, detail=_detail(story))
    return row


def add_image(
    session: Session, user: StaffUser, story: Story, photo: ProcessedPhoto, *, address: str = ""
) -> StoryImage:
    """An uploaded image (already shrunk and stored) for this story's Markdown."""
    if not is_press(user):
        raise StoryError(NOT_PRESS)
    images = images_of(session, story)
    for image in images:
        if image.digest == photo.digest:
            return image
    if len(images) >= MAX_IMAGES:
        raise StoryError(TOO_MANY_IMAGES, "image", max=MAX_IMAGES)
    assert story.id is not None
    image = StoryImage(story_id=story.id, digest=photo.digest, width=photo.width, height=photo.height)
    session.add(image)
    session.flush()
    audit(session, user, "story-image", address=address, detail=_detail(story))
    return image


# --- the workflow ----------------------------------------------------------------------------


def submit(
    session: Session, user: StaffUser, story: Story, *, address: str = "", now: datetime | None = None
) -> Story:
    """Ask for approval: of a new story, or of the changes to a published or unpublished one."""
    if not is_press(user):
        raise StoryError(NOT_PRESS)
    if in_review(story):
        raise StoryError(ALREADY_IN_REVIEW)
    if story.status == StoryStatus.PUBLISHED and not story.pending_changes:
        raise StoryError(NOTHING_TO_REVIEW)
    now = now or utcnow()
    if story.status in {StoryStatus.DRAFT, StoryStatus.UNPUBLISHED}:
        story.status = StoryStatus.REVIEW
    story.submitted_by = user.id
    _touch(story, now)
    session.add(story)
    audit(session, user, "story-submitted", address=address, detail=_detail(story))
    return story


def _check_reviewer(user: StaffUser, story: Story) -> None:
    if not is_approver(user):
        raise StoryError(NOT_APPROVER)
    if not in_review(story):
        raise StoryError(NOT_IN_REVIEW)
    if not may_approve(user, story):
        raise StoryError(OWN_STORY)


def approve(
    session: Session,
    user: StaffUser,
    story: Story,
    *,
    publish_at: datetime | None = None,
    version: int | None = None,
    address: str = "",
    now: datetime | None = None,
) -> Story:
    """Publish the reviewed draft: its texts become the live ones, public from ``publish_at`` (now
    when not given; a later moment schedules it). ``version`` is the one the reviewer read."""
    _check_reviewer(user, story)
    if version is not None and version != story.version:
        raise StoryError(CHANGED_MEANWHILE)
    now = now or utcnow()
    live_now = (
        story.status == StoryStatus.PUBLISHED and story.publish_at is not None and story.publish_at <= now
    )
    if live_now and publish_at is not None and publish_at > now:
        raise StoryError(LIVE_NOT_SCHEDULED, "publish_at")
    _copy_draft_to_live(session, story, now)
    story.status = StoryStatus.PUBLISHED
    story.approved_by = user.id
    story.pending_changes = False
    if publish_at is not None and publish_at > now:
        story.publish_at = publish_at
        story.announced_at = None  # followers hear of it when it goes live
    elif story.publish_at is None or story.publish_at > now:
        story.publish_at = now
    _touch(story, now)
    session.add(story)
    when = story.publish_at.isoformat(timespec="minutes") if story.publish_at > now else ""
    audit(
        session,
        user,
        "story-scheduled" if when else "story-approved",
        address=address,
        detail=_detail(story, when),
    )
    return story


def _copy_draft_to_live(session: Session, story: Story, now: datetime) -> None:
    drafts = texts_of(session, story, DRAFT)
    live = texts_of(session, story, LIVE)
    for loc in LOCALES:
        draft, row = drafts.get(loc), live.get(loc)
        if draft is None:
            if row is not None:
                session.delete(row)
            continue
        if row is None:
            assert story.id is not None
            row = StoryText(story_id=story.id, locale=loc, stage=LIVE, title=draft.title)
        row.title, row.summary, row.body, row.converted = (
            draft.title,
            draft.summary,
            draft.body,
            draft.converted,
        )
        row.updated_at = now
        session.add(row)


def send_back(
    session: Session,
    user: StaffUser,
    story: Story,
    note: str,
    *,
    address: str = "",
    now: datetime | None = None,
) -> Story:
    """Not yet: back to its writer with a note. A published story stays as it is for the public."""
    if not is_approver(user):
        raise StoryError(NOT_APPROVER)
    if not in_review(story):
        raise StoryError(NOT_IN_REVIEW)
    now = now or utcnow()
    if story.status == StoryStatus.REVIEW:
        story.status = StoryStatus.DRAFT
    story.submitted_by = None
    _touch(story, now)
    session.add(story)
    audit(session, user, "story-sent-back", address=address, detail=_detail(story, note))
    return story


def unpublish(
    session: Session, user: StaffUser, story: Story, *, address: str = "", now: datetime | None = None
) -> Story:
    """Take a published (or scheduled) story off the public pages."""
    if not is_approver(user):
        raise StoryError(NOT_APPROVER)
    if story.status != StoryStatus.PUBLISHED:
        raise StoryError(NOT_PUBLISHED)
    now = now or utcnow()
    story.status = StoryStatus.UNPUBLISHED
    story.submitted_by = None
    _touch(story, now)
    session.add(story)
    audit(session, user, "story-unpublished", address=address, detail=_detail(story))
    return story
