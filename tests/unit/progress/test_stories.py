"""The publishing rules of stories, on the real database (SQLite or PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from portal.accounts.models import AuditEntry, StaffRole, StaffUser
from portal.db import utcnow
from portal.media import ProcessedPhoto
from portal.progress import stories
from portal.progress.forms import PROJECT_FIXED, SLUG_FIXED, SLUG_TAKEN, TextInput
from portal.progress.models import Story, StoryStatus
from portal.progress.stories import StoryError
from portal.progress.texts import to_hant
from portal.progress.visibility import DRAFT, LIVE, is_public_story, public_stories, story_field, story_texts
from tests.unit.progress.story_data import clear_stories, draft, project, staff


@dataclass
class Crew:
    writer: StaffUser
    colleague: StaffUser
    lead: StaffUser
    lead2: StaffUser
    admin: StaffUser
    dispatcher: StaffUser


@pytest.fixture
def crew(db: Session, engine: Engine) -> Iterator[Crew]:
    yield Crew(
        writer=staff(db, "press-a", StaffRole.PRESS),
        colleague=staff(db, "press-b", StaffRole.PRESS),
        lead=staff(db, "lead-a", StaffRole.PRESS_LEAD),
        lead2=staff(db, "lead-b", StaffRole.PRESS_LEAD),
        admin=staff(db, "admin-a", StaffRole.ADMIN),
        dispatcher=staff(db, "disp-a", StaffRole.DISPATCHER),
    )
    db.rollback()
    clear_stories(engine)


def actions(db: Session) -> list[str]:
    db.expire_all()
    return [e.action for e in db.exec(select(AuditEntry).order_by(col(AuditEntry.id)))]


def live_title(db: Session, story: Story, locale: str = "zh_Hans") -> str:
    assert story.id is not None
    return story_field(story_texts(db, [story.id], LIVE)[story.id], "title", locale).text


def refused(message: str, step: object, *args: object, **kwargs: object) -> None:
    with pytest.raises(StoryError) as caught:
        step(*args, **kwargs)  # type: ignore[operator]
    assert caught.value.message == message


def published(db: Session, crew: Crew, **draft_args: object) -> Story:
    story = stories.create(db, crew.writer, draft(**draft_args))  # type: ignore[arg-type]
    stories.submit(db, crew.writer, story)
    stories.approve(db, crew.lead, story)
    db.commit()
    return story


def test_a_story_goes_from_draft_through_review_to_the_public(db: Session, crew: Crew) -> None:
    story = stories.create(db, crew.writer, draft(en="Fences down in Qiaoying"))
    db.commit()
    assert story.status == StoryStatus.DRAFT and story.slug == "fences-down-in-qiaoying"
    assert not is_public_story(db, story, utcnow())
    assert story_texts(db, [story.id or 0], LIVE)[story.id or 0] == {}  # nothing public to read

    stories.submit(db, crew.writer, story)
    assert story.status == StoryStatus.REVIEW and stories.in_review(story)
    assert stories.review_queue(db) == [story]
    assert not is_public_story(db, story, utcnow())

    stories.approve(db, crew.lead, story)
    db.commit()
    assert story.status == StoryStatus.PUBLISHED and story.approved_by == crew.lead.id
    assert is_public_story(db, story, utcnow())
    assert public_stories(db, utcnow()) == [story]
    assert live_title(db, story) == "侨英街道拆栏透绿完成"
    assert live_title(db, story, "en") == "Fences down in Qiaoying"
    assert stories.review_queue(db) == []
    assert actions(db) == ["story-created", "story-submitted", "story-approved"]


def test_nobody_approves_their_own_story(db: Session, crew: Crew) -> None:
    by_lead = stories.create(db, crew.lead, draft("组长写的"))
    stories.submit(db, crew.lead, by_lead)
    refused(stories.OWN_STORY, stories.approve, db, crew.lead, by_lead)

    submitted_by_lead = stories.create(db, crew.writer, draft("记者写的"))
    stories.submit(db, crew.lead, submitted_by_lead)
    refused(stories.OWN_STORY, stories.approve, db, crew.lead, submitted_by_lead)

    stories.approve(db, crew.lead2, by_lead)
    stories.approve(db, crew.admin, submitted_by_lead)
    assert by_lead.status == submitted_by_lead.status == StoryStatus.PUBLISHED


def test_only_the_lead_or_an_administrator_approves(db: Session, crew: Crew) -> None:
    story = stories.create(db, crew.writer, draft())
    stories.submit(db, crew.writer, story)
    refused(stories.NOT_APPROVER, stories.approve, db, crew.colleague, story)
    refused(stories.NOT_APPROVER, stories.approve, db, crew.dispatcher, story)
    refused(stories.NOT_APPROVER, stories.send_back, db, crew.colleague, story, "不行")
    assert story.status == StoryStatus.REVIEW


def test_only_the_press_office_writes(db: Session, crew: Crew) -> None:
    refused(stories.NOT_PRESS, stories.create, db, crew.dispatcher, draft())
    story = stories.create(db, crew.writer, draft())
    refused(stories.NOT_PRESS, stories.save, db, crew.dispatcher, story, draft("改"))
    refused(stories.NOT_PRESS, stories.submit, db, crew.dispatcher, story)
    refused(stories.NOT_PRESS, stories.accept_conversion, db, crew.dispatcher, story)


def test_a_draft_cannot_be_approved_before_it_is_submitted(db: Session, crew: Crew) -> None:
    story = stories.create(db, crew.writer, draft())
    refused(stories.NOT_IN_REVIEW, stories.approve, db, crew.lead, story)
    refused(stories.NOT_PUBLISHED, stories.unpublish, db, crew.lead, story)
    stories.submit(db, crew.writer, story)
    refused(stories.ALREADY_IN_REVIEW, stories.submit, db, crew.writer, story)


def test_a_scheduled_story_is_public_from_its_time_on(db: Session, crew: Crew) -> None:
    now = utcnow()
    at = now + timedelta(hours=3)
    story = stories.create(db, crew.writer, draft(), now=now)
    stories.submit(db, crew.writer, story, now=now)
    stories.approve(db, crew.lead, story, publish_at=at, now=now)
    db.commit()
    assert story.status == StoryStatus.PUBLISHED and story.publish_at == at
    assert not is_public_story(db, story, now)
    assert public_stories(db, now) == []
    assert not is_public_story(db, story, at - timedelta(seconds=1))
    assert is_public_story(db, story, at)
    assert public_stories(db, at + timedelta(minutes=1)) == [story]
    assert actions(db)[-1] == "story-scheduled"


def test_editing_a_published_story_never_changes_what_the_public_reads(db: Session, crew: Crew) -> None:
    story = published(db, crew)
    version = story.version
    saved = stories.save(db, crew.writer, story, draft("标题改了", body="新的正文"))
    db.commit()
    assert saved.changed and story.pending_changes and story.status == StoryStatus.PUBLISHED
    assert story.version > version  # cached pages are keyed by it
    assert live_title(db, story) == "侨英街道拆栏透绿完成"  # the public still reads the approved words
    assert is_public_story(db, story, utcnow())
    assert stories.texts_of(db, story, DRAFT)["zh_Hans"].title == "标题改了"
    assert stories.review_queue(db) == []  # not until it is submitted
    refused(stories.NOT_IN_REVIEW, stories.approve, db, crew.lead, story)

    stories.submit(db, crew.writer, story)
    assert stories.review_queue(db) == [story]
    assert story.status == StoryStatus.PUBLISHED and live_title(db, story) == "侨英街道拆栏透绿完成"
    refused(
        stories.LIVE_NOT_SCHEDULED,
        stories.approve,
        db,
        crew.lead,
        story,
        publish_at=utcnow() + timedelta(days=1),
    )
    stories.approve(db, crew.lead, story)
    db.commit()
    assert live_title(db, story) == "标题改了" and not story.pending_changes
    assert "新的正文" in stories.texts_of(db, story, LIVE)["zh_Hans"].body


def test_submitting_an_unchanged_published_story_is_refused(db: Session, crew: Crew) -> None:
    story = published(db, crew)
    refused(stories.NOTHING_TO_REVIEW, stories.submit, db, crew.writer, story)


def test_changing_a_story_in_review_takes_it_out_of_the_queue(db: Session, crew: Crew) -> None:
    story = stories.create(db, crew.writer, draft())
    stories.submit(db, crew.writer, story)
    saved = stories.save(db, crew.writer, story, draft("审核中又改了"))
    assert saved.withdrawn and story.status == StoryStatus.DRAFT and story.submitted_by is None
    refused(stories.NOT_IN_REVIEW, stories.approve, db, crew.lead, story)
    assert "story-withdrawn" in actions(db)


def test_approval_is_of_the_version_the_reviewer_read(db: Session, crew: Crew) -> None:
    story = stories.create(db, crew.writer, draft())
    stories.submit(db, crew.writer, story)
    read = story.version
    story.version += 1  # someone changed it meanwhile (on another instance)
    refused(stories.CHANGED_MEANWHILE, stories.approve, db, crew.lead, story, version=read)
    stories.approve(db, crew.lead, story, version=story.version)


def test_sending_back_with_a_note(db: Session, crew: Crew) -> None:
    story = stories.create(db, crew.writer, draft())
    stories.submit(db, crew.writer, story)
    stories.send_back(db, crew.lead, story, "请补充图片说明")
    db.commit()
    assert story.status == StoryStatus.DRAFT and story.submitted_by is None
    note = stories.last_note(db, story)
    assert note is not None and note.detail.endswith(": 请补充图片说明") and note.username == "lead-a"
    stories.submit(db, crew.writer, story)
    db.commit()
    assert stories.last_note(db, story) is None  # submitted again: the note has been answered


def test_sending_back_changes_to_a_published_story_keeps_it_public(db: Session, crew: Crew) -> None:
    story = published(db, crew)
    stories.save(db, crew.writer, story, draft("草稿"))
    stories.submit(db, crew.writer, story)
    stories.send_back(db, crew.lead, story, "再改改")
    assert story.status == StoryStatus.PUBLISHED and story.pending_changes and not stories.in_review(story)
    assert is_public_story(db, story, utcnow()) and live_title(db, story) == "侨英街道拆栏透绿完成"


def test_unpublishing_hides_it_and_approval_brings_it_back(db: Session, crew: Crew) -> None:
    story = published(db, crew)
    refused(stories.NOT_APPROVER, stories.unpublish, db, crew.writer, story)
    stories.unpublish(db, crew.lead, story)
    db.commit()
    assert story.status == StoryStatus.UNPUBLISHED and not is_public_story(db, story, utcnow())
    assert public_stories(db, utcnow()) == []
    stories.submit(db, crew.writer, story)
    assert story.status == StoryStatus.REVIEW and not is_public_story(db, story, utcnow())
    stories.approve(db, crew.lead2, story)
    assert is_public_story(db, story, utcnow())
    assert actions(db)[-3:] == ["story-unpublished", "story-submitted", "story-approved"]


def test_a_scheduled_story_can_be_unpublished_before_its_time(db: Session, crew: Crew) -> None:
    story = stories.create(db, crew.writer, draft())
    stories.submit(db, crew.writer, story)
    stories.approve(db, crew.lead, story, publish_at=utcnow() + timedelta(hours=1))
    stories.unpublish(db, crew.admin, story)
    assert not is_public_story(db, story, utcnow() + timedelta(hours=2))


def test_a_story_of_an_unpublished_project_is_not_public(db: Session, crew: Crew) -> None:
    hidden = project(db, "hidden-project", published=False)
    story = published(db, crew, project_id=hidden.id)
    assert story.status == StoryStatus.PUBLISHED and not is_public_story(db, story, utcnow())
    assert public_stories(db, utcnow()) == []


def test_addresses_made_typed_and_taken(db: Session, crew: Crew) -> None:
    first = stories.create(db, crew.writer, draft(en="Shili Embankment"))
    second = stories.create(db, crew.writer, draft(en="Shili embankment!"))
    assert (first.slug, second.slug) == ("shili-embankment", "shili-embankment-2")
    chinese = stories.create(db, crew.writer, draft("十里长堤"), now=datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    assert chinese.slug == "story-20261201"
    typed = stories.create(db, crew.writer, draft(slug="shili-2026"))
    assert typed.slug == "shili-2026"
    with pytest.raises(StoryError) as caught:
        stories.create(db, crew.writer, draft(slug="shili-2026"))
    assert caught.value.message == SLUG_TAKEN and caught.value.values == {"slug": "shili-2026"}
    assert caught.value.field == "slug"
    refused(SLUG_TAKEN, stories.save, db, crew.writer, first, draft(slug="shili-2026"))


def test_a_published_story_keeps_its_address_and_project(db: Session, crew: Crew) -> None:
    place = project(db)
    story = published(db, crew, slug="kept-address", project_id=place.id)
    refused(SLUG_FIXED, stories.save, db, crew.writer, story, draft(slug="new-address", project_id=place.id))
    refused(PROJECT_FIXED, stories.save, db, crew.writer, story, draft(slug="kept-address"))
    saved = stories.save(db, crew.writer, story, draft("新", project_id=place.id))
    assert saved.changed and story.slug == "kept-address"


def test_an_autosave_of_nothing_new_changes_nothing(db: Session, crew: Crew) -> None:
    story = stories.create(db, crew.writer, draft())
    stories.submit(db, crew.writer, story)
    version = story.version
    saved = stories.save(db, crew.writer, story, draft(), autosave=True)
    assert not saved.changed and story.version == version and story.status == StoryStatus.REVIEW
    saved = stories.save(db, crew.writer, story, draft("自动保存"), autosave=True)
    assert saved.changed and story.status == StoryStatus.DRAFT
    assert "story-saved" not in actions(db)  # keystrokes are not audited; the withdrawal is
    assert "story-withdrawn" in actions(db)


def test_texts_per_locale_and_removing_one(db: Session, crew: Crew) -> None:
    story = stories.create(db, crew.writer, draft(en="English title", hant="繁體標題"))
    assert set(stories.texts_of(db, story)) == {"zh_Hans", "zh_Hant", "en"}
    stories.save(db, crew.writer, story, draft(en="English title"))
    assert set(stories.texts_of(db, story)) == {"zh_Hans", "en"}


def test_accepting_the_conversion_as_the_traditional_text(db: Session, crew: Crew) -> None:
    story = published(db, crew)
    row = stories.accept_conversion(db, crew.writer, story)
    db.commit()
    hans = stories.texts_of(db, story)["zh_Hans"]
    assert row.converted and row.title == to_hant(hans.title) and row.body == to_hant(hans.body)
    assert row.title == "僑英街道拆欄透綠完成"
    assert story.pending_changes and "zh_Hant" not in stories.texts_of(db, story, LIVE)
    # The reader of 繁體 sees the conversion, marked, until the accepted text is approved.
    live = story_texts(db, [story.id or 0], LIVE)[story.id or 0]
    assert story_field(live, "title", "zh_Hant").converted
    stories.save(
        db,
        crew.writer,
        story,
        draft(hant="僑英街道拆欄透綠完工"),
    )
    stories.submit(db, crew.writer, story)
    stories.approve(db, crew.lead, story)
    live = story_texts(db, [story.id or 0], LIVE)[story.id or 0]
    assert story_field(live, "title", "zh_Hant").text == "僑英街道拆欄透綠完工"
    assert "story-converted" in actions(db)


def test_converting_needs_a_simplified_text(db: Session, crew: Crew) -> None:
    story = stories.create(db, crew.writer, draft())
    stories.save(db, crew.writer, story, draft(en="Only English"))
    db.delete(stories.texts_of(db, story)["zh_Hans"])
    db.flush()
    refused(stories.NO_SIMPLIFIED, stories.accept_conversion, db, crew.writer, story)


def test_images_belong_to_their_story(db: Session, crew: Crew) -> None:
    story = stories.create(db, crew.writer, draft())
    photo = ProcessedPhoto(digest="ab" * 32, full=b"", thumb=b"", width=1600, height=1200)
    first = stories.add_image(db, crew.writer, story, photo)
    again = stories.add_image(db, crew.writer, story, photo)
    assert first.id == again.id
    assert stories.image_sizes(stories.images_of(db, story)) == {"ab" * 32: (1600, 1200)}
    assert actions(db).count("story-image") == 1
    refused(stories.NOT_PRESS, stories.add_image, db, crew.dispatcher, story, photo)


def test_every_step_has_a_label_on_the_audit_page(db: Session, crew: Crew) -> None:
    from portal.accounts.models import AUDIT_LABELS

    steps = {
        "story-created",
        "story-saved",
        "story-withdrawn",
        "story-submitted",
        "story-approved",
        "story-scheduled",
        "story-sent-back",
        "story-unpublished",
        "story-converted",
        "story-image",
    }
    assert steps <= set(AUDIT_LABELS), sorted(steps - set(AUDIT_LABELS))


def test_text_inputs_compare_by_value() -> None:
    assert TextInput("a", "b", "c") == TextInput("a", "b", "c")


def test_an_address_not_typed_follows_the_title_until_published(db: Session, crew: Crew) -> None:
    story = stories.create(db, crew.writer, draft("十里长堤"), now=datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    assert story.slug == "story-20261201"
    stories.save(db, crew.writer, story, draft("十里长堤", body="改"), now=datetime(2026, 12, 3, tzinfo=UTC))
    assert story.slug == "story-20261201"  # no Latin title: the address stays
    stories.save(db, crew.writer, story, draft("十里长堤", en="Shili Embankment"))
    assert story.slug == "shili-embankment"
    stories.submit(db, crew.writer, story)
    stories.approve(db, crew.lead, story)
    stories.save(db, crew.writer, story, draft("十里长堤", en="The Shili Embankment"))
    assert story.slug == "shili-embankment"  # published: it keeps its address
