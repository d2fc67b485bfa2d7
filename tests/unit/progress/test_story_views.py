"""The story pages: who may open them, what they refuse, and what the public sees when."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from portal.accounts import service as accounts
from portal.accounts.auth import session_cookie
from portal.accounts.models import AuditEntry, StaffRole, StaffUser
from portal.db import utcnow
from portal.directory.models import Department
from portal.progress import stories
from portal.progress.models import Story, StoryImage, StoryStatus, StoryText
from portal.settings import Settings
from tests.pages import PageClient
from tests.unit.factories import jpeg_bytes
from tests.unit.progress.story_data import BODY, clear_stories, draft, project, staff


@dataclass
class People:
    writer: StaffUser
    lead: StaffUser
    admin: StaffUser
    dispatcher: StaffUser
    department: StaffUser


@pytest.fixture
def people(db: Session, engine: Engine) -> Iterator[People]:
    department = db.exec(select(Department)).first()
    assert department is not None
    yield People(
        writer=staff(db, "press-w", StaffRole.PRESS),
        lead=staff(db, "lead-l", StaffRole.PRESS_LEAD),
        admin=staff(db, "admin-x", StaffRole.ADMIN),
        dispatcher=staff(db, "disp-d", StaffRole.DISPATCHER),
        department=staff(db, "dept-d", StaffRole.DEPARTMENT, department.id),
    )
    db.rollback()
    clear_stories(engine)


def sign_in(client: PageClient, db: Session, settings: Settings, user: StaffUser) -> PageClient:
    """A live session for ``user`` in this client (the sign-in page itself is tested elsewhere)."""
    token = accounts.start_session(db, user)
    db.commit()
    cookie = session_cookie(settings, token).split(";", 1)[0].split("=", 1)[1]
    client.cookies.set("staff", cookie)
    return client


def form(client: PageClient, **fields: Any) -> dict[str, Any]:
    return {"_csrf_token": client.csrf(), **fields}


def story_fields(client: PageClient, **overrides: Any) -> dict[str, Any]:
    fields = {
        "story_id": "",
        "slug": "",
        "project": "",
        "title_zh_Hans": "侨英街道拆栏透绿完成",
        "summary_zh_Hans": "三百米围栏拆除",
        "body_zh_Hans": BODY,
        "title_zh_Hant": "",
        "summary_zh_Hant": "",
        "body_zh_Hant": "",
        "title_en": "Fences down in Qiaoying",
        "summary_en": "",
        "body_en": "Three hundred metres of fence came down.",
        "action": "save",
    }
    fields.update(overrides)
    return form(client, **fields)


def story_count(db: Session) -> int:
    db.expire_all()
    return len(db.exec(select(Story)).all())


def message_of(html: str) -> str:
    found = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    assert found, "the page names the problem"
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(0)).split())


def published_story(db: Session, people: People, **draft_args: Any) -> Story:
    story = stories.create(db, people.writer, draft(**draft_args))
    stories.submit(db, people.writer, story)
    stories.approve(db, people.lead, story)
    db.commit()
    return story


# --- who may open what -------------------------------------------------------------------------

PRESS_PAGES = ["/staff/press/stories", "/staff/press/stories/new"]
APPROVER_PAGES = ["/staff/press/review"]


def test_staff_routes_send_strangers_to_sign_in(client: PageClient, db: Session, people: People) -> None:
    story = stories.create(db, people.writer, draft())
    db.commit()
    for path in [
        *PRESS_PAGES,
        *APPROVER_PAGES,
        f"/staff/press/stories/{story.id}",
        f"/staff/press/stories/{story.id}/review",
    ]:
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/staff/login"), path
    for path in (
        "save",
        "autosave",
        "preview",
        f"{story.id}/approve",
        f"{story.id}/send-back",
        f"{story.id}/unpublish",
    ):
        response = client.post(
            f"/staff/press/stories/{path}", data=story_fields(client), follow_redirects=False
        )
        assert response.status_code == 303 and response.headers["location"].startswith("/staff/login"), path
    assert story_count(db) == 1


@pytest.mark.parametrize("who", ["dispatcher", "department"])
def test_every_staff_route_refuses_other_staff(
    client: PageClient, db: Session, settings: Settings, people: People, who: str
) -> None:
    story = stories.create(db, people.writer, draft())
    stories.submit(db, people.writer, story)
    db.commit()
    sign_in(client, db, settings, getattr(people, who))
    for path in [
        *PRESS_PAGES,
        *APPROVER_PAGES,
        f"/staff/press/stories/{story.id}",
        f"/staff/press/stories/{story.id}/review",
    ]:
        assert client.get(path).status_code == 403, path
    for path in (
        "save",
        "autosave",
        "preview",
        f"{story.id}/approve",
        f"{story.id}/send-back",
        f"{story.id}/unpublish",
    ):
        response = client.post(
            f"/staff/press/stories/{path}", data=story_fields(client, story_id=str(story.id), note="x")
        )
        assert response.status_code == 403, path
    db.expire_all()
    assert story_count(db) == 1 and db.get(Story, story.id).status == StoryStatus.REVIEW  # type: ignore[union-attr]


def test_a_press_officer_writes_but_does_not_review(
    client: PageClient, db: Session, settings: Settings, people: People
) -> None:
    story = stories.create(db, people.lead, draft())
    stories.submit(db, people.lead, story)
    db.commit()
    sign_in(client, db, settings, people.writer)
    for path in PRESS_PAGES:
        assert client.get(path).status_code == 200, path
    assert client.get("/staff/press/review").status_code == 403
    assert client.get(f"/staff/press/stories/{story.id}/review").status_code == 403
    assert client.post(f"/staff/press/stories/{story.id}/approve", data=form(client)).status_code == 403
    db.expire_all()
    assert db.get(Story, story.id).status == StoryStatus.REVIEW  # type: ignore[union-attr]


def test_forms_without_the_csrf_token_are_refused(
    client: PageClient, db: Session, settings: Settings, people: People
) -> None:
    sign_in(client, db, settings, people.writer)
    fields = story_fields(client)
    del fields["_csrf_token"]
    assert client.post("/staff/press/stories/save", data=fields).status_code == 403
    assert story_count(db) == 0


# --- writing --------------------------------------------------------------------------------------


def test_writing_saving_and_submitting(
    client: PageClient, db: Session, settings: Settings, people: People
) -> None:
    sign_in(client, db, settings, people.writer)
    page = client.get("/staff/press/stories/new")
    assert page.status_code == 200 and 'name="title_zh_Hans"' in page.text and "_stories_nav" not in page.text
    response = client.post("/staff/press/stories/save", data=story_fields(client), follow_redirects=False)
    assert response.status_code == 303
    story = db.exec(select(Story)).one()
    assert story.slug == "fences-down-in-qiaoying" and story.status == StoryStatus.DRAFT
    assert response.headers["location"] == f"/staff/press/stories/{story.id}?done=saved"
    editor = client.get(response.headers["location"])
    assert "Saved." in editor.text and "<strong>三百米</strong>" in editor.text  # the preview, rendered
    assert '<td class="align-right">80%</td>' in editor.text

    client.post(
        "/staff/press/stories/save", data=story_fields(client, story_id=str(story.id), action="submit")
    )
    db.refresh(story)
    assert story.status == StoryStatus.REVIEW and story.submitted_by == people.writer.id
    listing = client.get("/staff/press/stories")
    assert "Fences down in Qiaoying" in listing.text and "In review" in listing.text


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title_zh_Hans": ""}, "title_zh_Hans", "Give the story a title in Simplified Chinese."),
        ({"title_zh_Hans": "长" * 121}, "title_zh_Hans", "This is too long: at most 120 characters."),
        (
            {"title_zh_Hans": "测试<script>alert(1)</script>"},
            "title_zh_Hans",
            "Titles and summaries are plain words",
        ),
        (
            {"body_zh_Hans": "<script>alert(1)</script>"},
            "body_zh_Hans",
            "Remove the HTML code",
        ),
        ({"body_en": "[x](javascript:alert(1))"}, "body_en", "A link may only lead to a web page"),
        (
            {"body_zh_Hans": "![x](https://evil.example/a.jpg)"},
            "body_zh_Hans",
            "Images must be uploaded on this page",
        ),
        ({"slug": "Not A Slug!"}, "slug", "The address may use lowercase letters"),
        ({"project": "999999"}, "project", "Choose a project from the list, or none."),
        ({"summary_zh_Hant": "只有摘要"}, "title_zh_Hant", "This text needs a title too"),
    ],
)
def test_bad_input_is_named_and_nothing_is_saved(
    client: PageClient,
    db: Session,
    settings: Settings,
    people: People,
    overrides: dict[str, str],
    field: str,
    message: str,
) -> None:
    sign_in(client, db, settings, people.writer)
    response = client.post("/staff/press/stories/save", data=story_fields(client, **overrides))
    assert response.status_code == 422
    assert message in message_of(response.text)
    assert f'href="#{field}"' in response.text and f'id="{field}-error"' in response.text
    assert response.text.count("Fences down in Qiaoying") >= 1  # what was typed comes back
    assert "<title>Error:" in response.text
    assert story_count(db) == 0


def test_a_taken_address_is_named_and_the_text_kept(
    client: PageClient, db: Session, settings: Settings, people: People
) -> None:
    stories.create(db, people.writer, draft(slug="qiaoying-fences"))
    db.commit()
    sign_in(client, db, settings, people.writer)
    response = client.post(
        "/staff/press/stories/save", data=story_fields(client, slug="qiaoying-fences", title_zh_Hans="另一篇")
    )
    assert response.status_code == 422
    assert "The address /stories/qiaoying-fences is already used by another story." in message_of(
        response.text
    )
    assert 'value="另一篇"' in response.text
    assert story_count(db) == 1


def test_bad_input_in_the_chinese_interface(
    client: PageClient, db: Session, settings: Settings, people: People
) -> None:
    sign_in(client, db, settings, people.writer)
    response = client.post(
        "/staff/press/stories/save",
        data=story_fields(client, title_zh_Hans=""),
        headers={"Accept-Language": "zh-CN"},
    )
    assert response.status_code == 422 and "请" in message_of(response.text)


def test_editing_a_published_story_does_not_change_the_public_page(
    client: PageClient, db: Session, settings: Settings, people: People
) -> None:
    story = published_story(db, people, slug="fixed-slug")
    sign_in(client, db, settings, people.writer)
    fields = story_fields(client, story_id=str(story.id), slug="fixed-slug", title_zh_Hans="未经审核的新标题")
    assert client.post("/staff/press/stories/save", data=fields, follow_redirects=False).status_code == 303
    public = client.get("/stories/fixed-slug", headers={"Accept-Language": "zh-CN"})
    assert "侨英街道拆栏透绿完成" in public.text and "未经审核的新标题" not in public.text
    moved = client.post(
        "/staff/press/stories/save", data={**fields, "slug": "new-slug", "_csrf_token": client.csrf()}
    )
    assert moved.status_code == 422 and "keeps its address" in message_of(moved.text)


def test_autosave_keeps_the_draft_and_says_why_not(
    client: PageClient, db: Session, settings: Settings, people: People
) -> None:
    sign_in(client, db, settings, people.writer)
    htmx = {"HX-Request": "true"}
    first = client.post("/staff/press/stories/autosave", data=story_fields(client), headers=htmx)
    assert first.status_code == 200 and "Draft saved automatically" in first.text
    story = db.exec(select(Story)).one()
    assert first.headers["HX-Replace-Url"] == f"/staff/press/stories/{story.id}"
    assert f'id="story-id" name="story_id" value="{story.id}" hx-swap-oob="true"' in first.text
    again = client.post(
        "/staff/press/stories/autosave",
        data=story_fields(client, story_id=str(story.id), body_zh_Hans="改了"),
        headers=htmx,
    )
    assert "Draft saved automatically" in again.text and "hx-swap-oob" not in again.text
    db.expire_all()
    assert stories.texts_of(db, story)["zh_Hans"].body == "改了"
    bad = client.post(
        "/staff/press/stories/autosave",
        data=story_fields(client, story_id=str(story.id), title_zh_Hans=""),
        headers=htmx,
    )
    assert "Not saved yet" in bad.text and "Give the story a title" in bad.text
    db.expire_all()
    assert stories.texts_of(db, story)["zh_Hans"].title == "侨英街道拆栏透绿完成"
    actions = [e.action for e in db.exec(select(AuditEntry))]
    assert actions == ["story-created"]  # autosaves of keystrokes are not audited


def test_preview_renders_and_names_problems(
    client: PageClient, db: Session, settings: Settings, people: People
) -> None:
    sign_in(client, db, settings, people.writer)
    response = client.post(
        "/staff/press/stories/preview",
        data=form(client, locale="en", body_en="**bold** <b>raw</b>"),
        headers={"HX-Request": "true"},
    )
    assert "<strong>bold</strong>" in response.text and "&lt;b&gt;raw&lt;/b&gt;" in response.text
    assert "Remove the HTML code" in response.text


def test_uploading_an_image_gives_the_line_to_paste(
    client: PageClient, db: Session, settings: Settings, people: People
) -> None:
    sign_in(client, db, settings, people.writer)
    fields = story_fields(client, action="upload")
    response = client.post(
        "/staff/press/stories/save", data=fields, files={"image": ("photo.jpg", jpeg_bytes(), "image/jpeg")},
        follow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 303 and "done=uploaded" in response.headers["location"]
    image = db.exec(select(StoryImage)).one()
    editor = client.get(response.headers["location"].split("#")[0])
    assert f"(/media/{image.digest}/full)" in editor.text
    fake = client.post(
        "/staff/press/stories/save",
        data={**fields, "story_id": str(image.story_id), "_csrf_token": client.csrf()},
        files={"image": ("fake.jpg", b"<svg onload=alert(1)>", "image/jpeg")},
    )
    assert fake.status_code == 422 and "This file is not a photo" in message_of(fake.text)
    assert len(db.exec(select(StoryImage)).all()) == 1
    refused = (
        client.post(  # a good image beside words that are refused: the writer is told to choose it again
            "/staff/press/stories/save",
            data={
                **fields,
                "story_id": str(image.story_id),
                "body_zh_Hans": "<b>粗</b>",
                "_csrf_token": client.csrf(),
            },
            files={"image": ("photo2.jpg", jpeg_bytes(color=(1, 2, 3)), "image/jpeg")},
        )
    )
    assert refused.status_code == 422 and 'id="image-error"' in refused.text
    assert "choose it again" in refused.text and len(db.exec(select(StoryImage)).all()) == 1


def test_accepting_the_conversion_in_the_editor(
    client: PageClient, db: Session, settings: Settings, people: People
) -> None:
    sign_in(client, db, settings, people.writer)
    response = client.post(
        "/staff/press/stories/save", data=story_fields(client, action="convert"), follow_redirects=False
    )
    assert response.status_code == 303
    story = db.exec(select(Story)).one()
    hant = stories.texts_of(db, story)["zh_Hant"]
    assert hant.converted and hant.title == "僑英街道拆欄透綠完成"
    editor = client.get(response.headers["location"].split("#")[0])
    assert 'value="僑英街道拆欄透綠完成"' in editor.text


# --- review ------------------------------------------------------------------------------------


def _submitted(db: Session, by: StaffUser) -> Story:
    story = stories.create(db, by, draft(en="Fences down in Qiaoying"))
    stories.submit(db, by, story)
    db.commit()
    return story


def test_own_approval_is_refused(client: PageClient, db: Session, settings: Settings, people: People) -> None:
    story = _submitted(db, people.lead)
    sign_in(client, db, settings, people.lead)
    page = client.get(f"/staff/press/stories/{story.id}/review")
    assert (
        "someone else must approve it" in page.text
        and 'action="/staff/press/stories/' + str(story.id) + '/approve"' not in page.text
    )
    response = client.post(
        f"/staff/press/stories/{story.id}/approve", data=form(client, version=str(story.version))
    )
    assert response.status_code == 422 and "someone else must approve it" in message_of(response.text)
    db.expire_all()
    assert db.get(Story, story.id).status == StoryStatus.REVIEW  # type: ignore[union-attr]
    assert client.get(f"/stories/{story.slug}").status_code == 404


def test_approving_with_a_schedule_then_the_public_page(
    client: PageClient, db: Session, settings: Settings, people: People, app: Any
) -> None:
    story = _submitted(db, people.writer)
    sign_in(client, db, settings, people.lead)
    queue = client.get("/staff/press/review")
    assert "Fences down in Qiaoying" in queue.text
    review = client.get(f"/staff/press/stories/{story.id}/review")
    assert "<strong>三百米</strong>" in review.text
    later = (utcnow() + timedelta(hours=2)).astimezone(
        __import__("portal.i18n", fromlist=["DISTRICT_TZ"]).DISTRICT_TZ
    )
    response = client.post(
        f"/staff/press/stories/{story.id}/approve",
        data=form(client, version=str(story.version), publish_at=later.strftime("%Y-%m-%dT%H:%M")),
        follow_redirects=False,
    )
    assert response.status_code == 303 and "done=scheduled" in response.headers["location"]
    db.expire_all()
    story = db.get(Story, story.id)  # type: ignore[assignment]
    assert story.status == StoryStatus.PUBLISHED and story.publish_at > utcnow()
    assert "Approved. The story will be public from" in client.get(response.headers["location"]).text
    listed = client.get(
        "/staff/press/stories"
    ).text  # staff read "scheduled", not "published", before its time
    assert 'tag--story-published">Scheduled<' in listed and 'tag--story-published">Published<' not in listed

    public = PageClient(app=app, base_url="http://portal.test")
    assert public.get(f"/stories/{story.slug}").status_code == 404  # not before its time
    story.publish_at = utcnow() - timedelta(seconds=1)  # the clock moves on
    db.add(story)
    db.commit()
    page = public.get(f"/stories/{story.slug}")
    assert page.status_code == 200 and "<h1>Fences down in Qiaoying</h1>" in page.text
    assert '<meta property="og:type" content="article">' in page.text
    assert (
        '<meta property="og:url" content="http://portal.test/stories/fences-down-in-qiaoying">' in page.text
    )
    hant = public.get(f"/stories/{story.slug}?lang=zh-Hant")
    assert "僑英街道拆欄透綠完成" in hant.text and "converted automatically" not in hant.text
    assert "自動轉換" in hant.text or "转换" in hant.text or "轉換" in hant.text


def test_approving_refuses_bad_times_and_a_changed_story(
    client: PageClient, db: Session, settings: Settings, people: People
) -> None:
    story = _submitted(db, people.writer)
    sign_in(client, db, settings, people.lead)
    for typed, message in (
        ("next tuesday", "Enter the date and time like"),
        ("2020-01-01T09:00", "This time has passed"),
        ("2099-01-01T09:00", "more than a year ahead"),
    ):
        response = client.post(
            f"/staff/press/stories/{story.id}/approve",
            data=form(client, version=str(story.version), publish_at=typed),
        )
        assert response.status_code == 422 and message in message_of(response.text), typed
        assert f'value="{typed}"' in response.text
    stale = client.post(
        f"/staff/press/stories/{story.id}/approve", data=form(client, version=str(story.version - 1))
    )
    assert stale.status_code == 422 and "changed while you were reading it" in message_of(stale.text)
    db.expire_all()
    assert db.get(Story, story.id).status == StoryStatus.REVIEW  # type: ignore[union-attr]


def test_sending_back_needs_a_note_and_the_writer_sees_it(
    client: PageClient, db: Session, settings: Settings, people: People, app: Any
) -> None:
    story = _submitted(db, people.writer)
    sign_in(client, db, settings, people.lead)
    empty = client.post(f"/staff/press/stories/{story.id}/send-back", data=form(client, note="  "))
    assert empty.status_code == 422 and "Say what should change" in message_of(empty.text)
    client.post(f"/staff/press/stories/{story.id}/send-back", data=form(client, note="请补充<b>图片</b>说明"))
    db.expire_all()
    assert db.get(Story, story.id).status == StoryStatus.DRAFT  # type: ignore[union-attr]
    with PageClient(app=app, base_url="http://portal.test") as writer:
        sign_in(writer, db, settings, people.writer)
        editor = writer.get(f"/staff/press/stories/{story.id}")
        assert "请补充&lt;b&gt;图片&lt;/b&gt;说明" in editor.text


def test_unpublishing_hides_the_public_page(
    client: PageClient, db: Session, settings: Settings, people: People
) -> None:
    story = published_story(db, people, slug="to-hide")
    assert client.get("/stories/to-hide").status_code == 200
    sign_in(client, db, settings, people.admin)
    response = client.post(
        f"/staff/press/stories/{story.id}/unpublish", data=form(client), follow_redirects=False
    )
    assert response.status_code == 303
    assert client.get("/stories/to-hide").status_code == 404


# --- the public page ---------------------------------------------------------------------------


def test_the_public_page_is_404_for_anything_not_public(
    client: PageClient, db: Session, people: People
) -> None:
    draft_story = stories.create(db, people.writer, draft(slug="a-draft"))
    in_review = _submitted(db, people.writer)
    hidden_project = project(db, "hidden", published=False)
    of_hidden = published_story(db, people, slug="of-hidden", project_id=hidden_project.id)
    db.commit()
    for slug in (draft_story.slug, in_review.slug, of_hidden.slug, "no-such-story", "x" * 200):
        assert client.get(f"/stories/{slug}").status_code == 404, slug


def test_the_public_page_shows_the_live_text_marked(client: PageClient, db: Session, people: People) -> None:
    place = project(db)
    story = published_story(db, people, slug="marked", project_id=place.id)
    page = client.get("/stories/marked")  # English reader, no English text
    assert page.status_code == 200
    assert "has not been translated into English yet" in page.text
    assert '<h1 lang="zh-Hans">侨英街道拆栏透绿完成</h1>' in page.text
    assert f'<a href="/progress/{place.slug}">Fences down, green opened</a>' in page.text
    assert "<strong>三百米</strong>" in page.text and '<td class="align-right">80%</td>' in page.text
    hant = client.get("/stories/marked?lang=zh-Hant")
    assert "僑英街道拆欄透綠完成" in hant.text
    assert story.publish_at is not None


def test_og_image_only_from_the_configured_address(
    client: PageClient, db: Session, people: People, app: Any, settings: Settings
) -> None:
    digest = "ab" * 32
    story = stories.create(
        db, people.writer, draft(body=f"![路灯](/media/{digest}/full)\n\n正文", slug="with-image")
    )
    db.add(StoryImage(story_id=story.id or 0, digest=digest, width=1600, height=1200))
    stories.submit(db, people.writer, story)
    stories.approve(db, people.lead, story)
    db.commit()
    page = client.get("/stories/with-image", headers={"Host": "evil.example"})
    assert f'<meta property="og:image" content="http://portal.test/media/{digest}/full">' in page.text
    assert "evil.example" not in page.text
    assert '<figure><img src="/media/' + digest + '/full" alt="路灯" width="1600" height="1200">' in page.text


def test_audit_entries_name_the_story(db: Session, people: People) -> None:
    story = published_story(db, people, slug="audited")
    entries = db.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all()
    assert [e.action for e in entries] == ["story-created", "story-submitted", "story-approved"]
    assert all(e.detail.startswith(f"#{story.id} audited") for e in entries)
    assert {t.stage for t in db.exec(select(StoryText))} == {"draft", "live"}


# --- what residents typed, for 繁體 readers ----------------------------------------------------


def test_ticket_text_is_converted_for_traditional_readers_and_stored_as_typed(
    client: PageClient, db: Session
) -> None:
    from portal.tickets.models import Ticket
    from tests.unit.factories import a_community, code_on, report_fields, submit_report

    fields = report_fields(
        client, a_community(db).slug, description="乐海路人行道有一块地砖松动，老人经过容易绊倒。"
    )
    done = submit_report(client, fields)
    code = code_on(client.get(done.headers["location"]).text)
    with PageClient(app=client.app, base_url="http://portal.test") as reader:
        hant = reader.get(f"/t/{code}?lang=zh-Hant")
        assert "樂海路人行道有一塊地磚鬆動，老人經過容易絆倒。" in hant.text
        assert "自動轉換" in hant.text or "轉換" in hant.text
        hans = reader.get(f"/t/{code}?lang=zh-Hans")
        assert "乐海路人行道有一块地砖松动" in hans.text and "樂海路" not in hans.text
    db.expire_all()
    stored = db.exec(select(Ticket).where(Ticket.code == code)).one()
    assert stored.description == "乐海路人行道有一块地砖松动，老人经过容易绊倒。"


def test_the_board_converts_excerpts_for_traditional_readers(client: PageClient, db: Session) -> None:
    from tests.unit.factories import a_community, report_fields, submit_report

    submit_report(client, report_fields(client, a_community(db).slug))
    from portal.tickets.models import Ticket

    ticket = db.exec(select(Ticket)).one()
    ticket.status = "dispatched"  # the board shows public tickets once taken up
    db.add(ticket)
    db.commit()
    board = client.get("/tickets?lang=zh-Hant")
    assert "樂海路" in board.text
    assert "樂海路" not in client.get("/tickets?lang=zh-Hans").text
