"""Stories: the public page (/stories/{slug}) and the press office's pages for writing, reviewing,
publishing and unpublishing them (/staff/press/stories..., /staff/press/review)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from sqlmodel import Session, col, select

from portal.accounts.auth import StaffCookieMiddleware, current_staff, staff_guard
from portal.accounts.models import APPROVER_ROLES, PRESS_ROLES, StaffUser
from portal.accounts.views import staff_context
from portal.db import utcnow
from portal.i18n import DISTRICT_TZ, N_
from portal.media import MAX_UPLOAD_BYTES, ProcessedPhoto, read_one_upload
from portal.numbers import MAX_ID, whole_number
from portal.progress import markdown, stories
from portal.progress.forms import (
    LOCALE_NAMES,
    LOCALES,
    NOTE_MAX,
    Problems,
    StoryInput,
    check_note,
    parse_publish_at,
    validate_story,
)
from portal.progress.models import STORY_STATUS_LABELS, Project, Story, StoryImage, StoryStatus
from portal.progress.stories import StoryError
from portal.progress.texts import field as text_field
from portal.progress.texts import to_hant
from portal.progress.visibility import DRAFT, LIVE, is_public_story, story_field, story_texts
from portal.services import Services, client_address, services_of
from portal.templating import cached_or_rendered, render, render_and_cache
from portal.web import MAX_BODY, TAKES_PHOTOS, in_thread, page_of

PRESS = sorted(PRESS_ROLES)
APPROVERS = sorted(APPROVER_ROLES)
# Three locales of a long story, URL-encoded (a Chinese character takes nine bytes): well under this.
TEXT_BODY_BYTES = 2 * 1024 * 1024
PREVIEW_MAX = 60_000
NO_STORE = {"Cache-Control": "no-store"}
IMAGE_NOT_PHOTO = N_("This file is larger than 10 MB. Choose a smaller picture.")
SAVED = N_("Saved.")
SUBMITTED = N_("Saved and submitted for review. A press office lead will read it.")
WITHDRAWN = N_("Saved. It was waiting for review: submit it again when it is ready.")
CONVERTED = N_(
    "The Traditional Chinese text is now the converted Simplified text. Check it, correct it and save."
)
UPLOADED = N_("The image is uploaded. Copy its line into the text where the image should appear.")
APPROVED = N_("Approved. The story is public now.")
SCHEDULED = N_("Approved. The story will be public from %(when)s.")
SENT_BACK = N_("Sent back to the writer with your note.")
UNPUBLISHED = N_("Unpublished. The story is no longer public.")
DONE_MESSAGES = {
    "saved": SAVED,
    "submitted": SUBMITTED,
    "withdrawn": WITHDRAWN,
    "converted": CONVERTED,
    "uploaded": UPLOADED,
    "approved": APPROVED,
    "sent-back": SENT_BACK,
    "unpublished": UNPUBLISHED,
}


# --- the public page ---------------------------------------------------------------------------


@get("/stories/{slug:str}")
async def story_page(request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[str]:
    """A published story, from the page cache while neither it nor its project has changed. Whether
    it is public is read on every request, so a scheduled story appears at its time and not before."""
    services = services_of(request)
    if len(slug) > 80:
        raise NotFoundException()
    found = await in_thread(_public_story, services, slug)
    if found is None:
        raise NotFoundException()
    story, project = found
    key = ("story", story.id, story.version, project.version if project else 0)
    return await cached_or_rendered(
        request,
        key,
        "progress/story.html",
        lambda: in_thread(_story_page, request, services, story, project, key),
    )


def _public_story(services: Services, slug: str) -> tuple[Story, Project | None] | None:
    with Session(services.reader, expire_on_commit=False) as session:
        story = stories.by_slug(session, slug)
        if story is None or not is_public_story(session, story, utcnow()):
            return None
        project = session.get(Project, story.project_id) if story.project_id else None
        return story, project


def _story_page(
    request: Request[Any, Any, Any],
    services: Services,
    story: Story,
    project: Project | None,
    key: tuple[Any, ...],
) -> Response[str]:
    page = page_of(request)
    config = services.settings.hant_conversion
    with Session(services.engine, expire_on_commit=False) as session:
        texts = stories.texts_of(session, story, LIVE)
        sizes = stories.image_sizes(stories.images_of(session, story))
    shown = {name: story_field(texts, name, page.locale, config) for name in ("title", "summary", "body")}
    base = services.settings.base_url.rstrip("/")  # never the Host header: this page is cached
    image = _first_image(shown["body"].text, sizes)
    context = {
        "story": story,
        "project": project,
        "project_title": text_field(project, "title", page.locale, config) if project else None,
        "shown": shown,
        "body": markdown.render(shown["body"].text, sizes),
        "converted": any(s.converted for s in shown.values()),
        "untranslated": any(s.untranslated for s in shown.values()),
        "checked_conversion": page.locale == "zh_Hant"
        and bool(texts.get("zh_Hant") and texts["zh_Hant"].converted),
        "published_on": story.publish_at,
        "description": _description(shown["summary"].text or shown["body"].text),
        "og_url": f"{base}/stories/{story.slug}" if base else "",
        "og_image": f"{base}/media/{image}/full" if base and image else "",
    }
    return render_and_cache(request, key, "progress/story.html", context)


def _first_image(body: str, sizes: dict[str, tuple[int, int]]) -> str:
    for found in markdown.MEDIA_SRC.finditer(body):
        if found.group("digest") in sizes:
            return found.group("digest")
    return ""


def _description(text: str, length: int = 150) -> str:
    """A plain sentence or two for share previews: the summary, else the start of the text."""
    plain = " ".join(markdown.render(text).striptags().split())
    return plain if len(plain) <= length else plain[:length].rstrip() + "…"


# --- the press office: list, editor -------------------------------------------------------------


def _projects(session: Session, locale: str, config: str) -> list[tuple[int, str]]:
    rows = session.exec(select(Project).order_by(col(Project.published).desc(), col(Project.id)))
    return [(p.id or 0, text_field(p, "title", locale, config).text) for p in rows]


def _story_or_404(session: Session, story_id: int) -> Story:
    story = stories.find(session, story_id) if 0 < story_id <= MAX_ID else None
    if story is None:
        raise NotFoundException()
    return story


def _names(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i]
    if not wanted:
        return {}
    return {
        u.id or 0: u.display_name
        for u in session.exec(select(StaffUser).where(col(StaffUser.id).in_(wanted)))
    }


def _list_rows(session: Session, rows: list[Story], locale: str) -> list[dict[str, Any]]:
    texts = story_texts(session, [s.id or 0 for s in rows], DRAFT)
    ids: set[int | None] = {s.author_id for s in rows}
    ids |= {s.submitted_by for s in rows}
    names = _names(session, ids)
    now = utcnow()
    return [
        {
            "story": s,
            "title": story_field(texts[s.id or 0], "title", locale).text or s.slug,
            "author": names.get(s.author_id, ""),
            "submitted_by": names.get(s.submitted_by or 0, ""),
            "in_review": stories.in_review(s),
            "scheduled": s.status == StoryStatus.PUBLISHED
            and s.publish_at is not None
            and s.publish_at > now,
            "public": s.status == StoryStatus.PUBLISHED and s.publish_at is not None and s.publish_at <= now,
        }
        for s in rows
    ]


SCHEDULED_STATE = N_("Scheduled")
IMAGE_NOT_KEPT = N_(
    "The image was not uploaded because of the other problems on this page: mend them, then choose it again."
)


def story_state(story: Story, now: datetime) -> str:
    """The label of a story's state for staff: an approved story whose time has not come is scheduled."""
    if story.status == StoryStatus.PUBLISHED and story.publish_at is not None and story.publish_at > now:
        return SCHEDULED_STATE
    return STORY_STATUS_LABELS[StoryStatus(story.status)]


def _common(request: Request[Any, Any, Any]) -> dict[str, Any]:
    user = current_staff(request)
    return {
        **staff_context(request),
        "is_approver": stories.is_approver(user),
        "STORY_STATUS_LABELS": STORY_STATUS_LABELS,
        "story_state": lambda story: story_state(story, utcnow()),
        "LOCALES": LOCALES,
        "LOCALE_NAMES": LOCALE_NAMES,
    }


@get("/stories", guards=[staff_guard], opt={"roles": PRESS}, sync_to_thread=True)
def story_list(request: Request[Any, Any, Any]) -> Response[str]:
    services = services_of(request)
    with Session(services.engine, expire_on_commit=False) as session:
        rows = _list_rows(session, stories.all_stories(session), page_of(request).locale)
    return render(request, "staff/press/story_list.html", {**_common(request), "rows": rows})


@get("/review", guards=[staff_guard], opt={"roles": APPROVERS}, sync_to_thread=True)
def review_queue(request: Request[Any, Any, Any]) -> Response[str]:
    services = services_of(request)
    user = current_staff(request)
    with Session(services.engine, expire_on_commit=False) as session:
        queue = stories.review_queue(session)
        rows = _list_rows(session, queue, page_of(request).locale)
    for row in rows:
        row["mine"] = not stories.may_approve(user, row["story"])
    return render(request, "staff/press/story_review_queue.html", {**_common(request), "rows": rows})


def _done_message(t: Any, done: str, story: Story | None) -> str:
    if done == "scheduled" and story is not None and story.publish_at is not None:
        return str(t.gettext(SCHEDULED, when=t.datetime(story.publish_at)))
    return str(t.gettext(DONE_MESSAGES[done])) if done in DONE_MESSAGES else ""


def _editor_context(
    request: Request[Any, Any, Any],
    session: Session,
    story: Story | None,
    raw: StoryInput | None = None,
    problems: Problems | None = None,
    done: str = "",
) -> dict[str, Any]:
    services = services_of(request)
    page = page_of(request)
    config = services.settings.hant_conversion
    images: list[StoryImage] = stories.images_of(session, story) if story else []
    sizes = stories.image_sizes(images)
    drafts = stories.texts_of(session, story, DRAFT) if story else {}
    if raw is None:
        raw = (
            StoryInput.from_saved(story.slug, story.project_id, story.version, drafts)
            if story
            else StoryInput()
        )
    now = utcnow()
    hans = raw.texts["zh_Hans"]
    note = stories.last_note(session, story) if story else None
    return {
        **_common(request),
        "story": story,
        "form": raw,
        "errors": problems.translated(page.t) if problems else {},
        "done": _done_message(page.t, done, story),
        "projects": _projects(session, page.locale, config),
        "images": images,
        "previews": {loc: markdown.render(raw.texts[loc].body, sizes if story else None) for loc in LOCALES},
        "hant_converted": bool(drafts.get("zh_Hant") and drafts["zh_Hant"].converted),
        "conversion": to_hant(hans.title, config) if hans.title and not raw.texts["zh_Hant"].title else "",
        "ever_published": bool(story and stories.ever_published(story)),
        "in_review": bool(story and stories.in_review(story)),
        "public_now": bool(
            story and story.status == StoryStatus.PUBLISHED and story.publish_at and story.publish_at <= now
        ),
        "scheduled": bool(
            story and story.status == StoryStatus.PUBLISHED and story.publish_at and story.publish_at > now
        ),
        "note": note,
        "max_upload_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
    }


@get("/stories/new", guards=[staff_guard], opt={"roles": PRESS}, sync_to_thread=True)
def story_new(request: Request[Any, Any, Any]) -> Response[str]:
    services = services_of(request)
    with Session(services.engine, expire_on_commit=False) as session:
        context = _editor_context(request, session, None)
    return render(request, "staff/press/story_edit.html", context, headers=NO_STORE)


@get("/stories/{row_id:int}", guards=[staff_guard], opt={"roles": PRESS}, sync_to_thread=True)
def story_edit(request: Request[Any, Any, Any], row_id: FromPath[int]) -> Response[str]:
    services = services_of(request)
    done = request.query_params.get("done", "")
    with Session(services.engine, expire_on_commit=False) as session:
        story = _story_or_404(session, row_id)
        context = _editor_context(request, session, story, done=done)
    return render(request, "staff/press/story_edit.html", context, headers=NO_STORE)


async def _read_image(form: Any) -> ProcessedPhoto | str | None:
    """The chosen image, shrunk by the photo workers, or the message id saying why not."""
    return await read_one_upload(form.get("image"), IMAGE_NOT_PHOTO)


@post(
    "/stories/save", guards=[staff_guard], opt={"roles": PRESS, TAKES_PHOTOS: True, MAX_BODY: TEXT_BODY_BYTES}
)
async def story_save(request: Request[Any, Any, Any]) -> Response[Any]:
    """The editor's form: save the draft, and perhaps submit it, convert the Traditional text or
    upload an image. Anything refused comes back with what was typed and a message."""
    form = await request.form()
    image = await _read_image(form) if form.get("action") == "upload" else None
    return await in_thread(_story_save, request, form, image)


def _story_id(form: Any) -> int | None:
    return whole_number(str(form.get("story_id", "")), 1)


def _story_save(
    request: Request[Any, Any, Any], form: Any, image: ProcessedPhoto | str | None
) -> Response[Any]:
    services = services_of(request)
    user = current_staff(request)
    address = client_address(request)
    action = str(form.get("action", "save"))
    raw = StoryInput.from_form(form)
    problems = Problems()
    with Session(services.engine, expire_on_commit=False) as session:
        story_id = _story_id(form)
        story = _story_or_404(session, story_id) if story_id else None
        sizes = stories.image_sizes(stories.images_of(session, story)) if story else {}
        if action == "upload":
            if image is None:
                problems.add("image", N_("Choose an image to upload."))
            elif isinstance(image, str):
                problems.add("image", image)
        project_ids = {p for p, _ in _projects(session, "zh_Hans", services.settings.hant_conversion)}
        # An image being uploaded is not refused for the text that uses it in the same step.
        allowed = (
            {**sizes, image.digest: (image.width, image.height)}
            if isinstance(image, ProcessedPhoto)
            else sizes
        )
        draft = validate_story(raw, project_ids=project_ids, images=allowed, problems=problems)
        if problems or draft is None:
            if isinstance(image, ProcessedPhoto):  # a browser forgets the file chosen: say so
                problems.add("image", IMAGE_NOT_KEPT)
            return _editor_again(request, session, story, raw, problems)
        try:
            if story is None:
                story = stories.create(session, user, draft, address=address)
                saved = stories.Saved(story, changed=True)
            else:
                saved = stories.save(session, user, story, draft, address=address)
            done = "withdrawn" if saved.withdrawn else "saved"
            if isinstance(image, ProcessedPhoto):
                services.media.save(image)
                stories.add_image(session, user, story, image, address=address)
                done = "uploaded"
            elif action == "submit":
                stories.submit(session, user, story, address=address)
                done = "submitted"
            elif action == "convert":
                stories.accept_conversion(
                    session, user, story, address=address, config=services.settings.hant_conversion
                )
                done = "converted"
        except StoryError as refused:
            session.rollback()
            problems.add(refused.field, refused.message, **refused.values)
            fresh = stories.find(session, story_id) if story_id else None
            return _editor_again(request, session, fresh, raw, problems)
        session.commit()
        target = f"/staff/press/stories/{story.id}?done={done}"
    anchor = "#images" if done == "uploaded" else ("#text-zh_Hant" if done == "converted" else "")
    return Redirect(target + anchor, status_code=303)


def _editor_again(
    request: Request[Any, Any, Any],
    session: Session,
    story: Story | None,
    raw: StoryInput,
    problems: Problems,
) -> Response[str]:
    context = _editor_context(request, session, story, raw, problems)
    return render(request, "staff/press/story_edit.html", context, status_code=422, headers=NO_STORE)


@post("/stories/autosave", guards=[staff_guard], opt={"roles": PRESS, MAX_BODY: TEXT_BODY_BYTES})
async def story_autosave(request: Request[Any, Any, Any]) -> Response[Any]:
    """htmx, a few seconds after typing stops: keep the draft, or say why it cannot be kept yet.
    A new story is created by its first autosave; the page learns its number."""
    form = await request.form()
    return await in_thread(_story_autosave, request, form)


def _story_autosave(request: Request[Any, Any, Any], form: Any) -> Response[Any]:
    services = services_of(request)
    user = current_staff(request)
    t = page_of(request).t
    raw = StoryInput.from_form(form)
    problems = Problems()
    headers = dict(NO_STORE)
    with Session(services.engine, expire_on_commit=False) as session:
        story_id = _story_id(form)
        story = _story_or_404(session, story_id) if story_id else None
        sizes = stories.image_sizes(stories.images_of(session, story)) if story else {}
        project_ids = {p for p, _ in _projects(session, "zh_Hans", services.settings.hant_conversion)}
        draft = validate_story(raw, project_ids=project_ids, images=sizes, problems=problems)
        message = ""
        try:
            if draft is not None and story is None:
                story = stories.create(session, user, draft, address=client_address(request))
                headers["HX-Replace-Url"] = f"/staff/press/stories/{story.id}"
            elif draft is not None and story is not None:
                stories.save(session, user, story, draft, autosave=True)
        except StoryError as refused:
            session.rollback()
            problems.add(refused.field, refused.message, **refused.values)
        if problems:
            message = next(iter(problems.translated(t).values()))
            session.rollback()
        else:
            session.commit()
        context = {
            "story_id": story.id if story is not None else "",
            "problem": message,
            "at": t.datetime(utcnow()) if not problems else "",
            "created": story is not None and not story_id and not problems,
        }
    return render(request, "staff/press/_story_autosave.html", context, headers=headers)


@post("/stories/preview", guards=[staff_guard], opt={"roles": PRESS, MAX_BODY: TEXT_BODY_BYTES})
async def story_preview(request: Request[Any, Any, Any]) -> Response[Any]:
    """htmx: the Markdown of one text as it will be shown."""
    form = await request.form()
    return await in_thread(_story_preview, request, form)


def _story_preview(request: Request[Any, Any, Any], form: Any) -> Response[str]:
    services = services_of(request)
    locale = str(form.get("locale", "zh_Hans"))
    locale = locale if locale in LOCALES else "zh_Hans"
    body = str(form.get(f"body_{locale}", ""))[:PREVIEW_MAX]
    with Session(services.engine, expire_on_commit=False) as session:
        story_id = _story_id(form)
        story = stories.find(session, story_id) if story_id else None
        sizes = stories.image_sizes(stories.images_of(session, story)) if story else {}
    t = page_of(request).t
    found = [t.gettext(message, **values) for message, values in markdown.problems(body, sizes)]
    context = {"html": markdown.render(body, sizes), "locale": locale, "problems": found}
    return render(request, "staff/press/_story_preview.html", context, headers=NO_STORE)


# --- review, approval, unpublishing --------------------------------------------------------------


def _review_context(
    request: Request[Any, Any, Any],
    session: Session,
    story: Story,
    problems: Problems | None = None,
    typed: dict[str, str] | None = None,
) -> dict[str, Any]:
    user = current_staff(request)
    page = page_of(request)
    sizes = stories.image_sizes(stories.images_of(session, story))
    drafts = stories.texts_of(session, story, DRAFT)
    live = stories.texts_of(session, story, LIVE)
    names = _names(session, {story.author_id, story.submitted_by})
    now = utcnow()
    project = session.get(Project, story.project_id) if story.project_id else None
    config = services_of(request).settings.hant_conversion
    return {
        **_common(request),
        "story": story,
        "drafts": drafts,
        "rendered": {loc: markdown.render(text.body, sizes) for loc, text in drafts.items()},
        "live": live,
        "author": names.get(story.author_id, ""),
        "submitted_by": names.get(story.submitted_by or 0, ""),
        "project_title": text_field(project, "title", page.locale, config).text if project else "",
        "in_review": stories.in_review(story),
        "may_approve": stories.may_approve(user, story),
        "public_now": story.status == StoryStatus.PUBLISHED
        and story.publish_at is not None
        and story.publish_at <= now,
        "errors": problems.translated(page.t) if problems else {},
        "typed": typed or {},
        "note_max": NOTE_MAX,
        "example_time": f"{now.astimezone(DISTRICT_TZ):%Y-%m-%d} 09:30",
    }


@get("/stories/{row_id:int}/review", guards=[staff_guard], opt={"roles": APPROVERS}, sync_to_thread=True)
def story_review(request: Request[Any, Any, Any], row_id: FromPath[int]) -> Response[str]:
    services = services_of(request)
    with Session(services.engine, expire_on_commit=False) as session:
        story = _story_or_404(session, row_id)
        context = _review_context(request, session, story)
    return render(request, "staff/press/story_review.html", context, headers=NO_STORE)


@post("/stories/{row_id:int}/approve", guards=[staff_guard], opt={"roles": APPROVERS})
async def story_approve(request: Request[Any, Any, Any], row_id: FromPath[int]) -> Response[Any]:
    """Publish the reviewed draft, now or at the time given."""
    form = await request.form()
    return await in_thread(_story_step, request, row_id, "approve", form)


@post("/stories/{row_id:int}/send-back", guards=[staff_guard], opt={"roles": APPROVERS})
async def story_send_back(request: Request[Any, Any, Any], row_id: FromPath[int]) -> Response[Any]:
    form = await request.form()
    return await in_thread(_story_step, request, row_id, "send-back", form)


@post("/stories/{row_id:int}/unpublish", guards=[staff_guard], opt={"roles": APPROVERS})
async def story_unpublish(request: Request[Any, Any, Any], row_id: FromPath[int]) -> Response[Any]:
    form = await request.form()
    return await in_thread(_story_step, request, row_id, "unpublish", form)


def _story_step(request: Request[Any, Any, Any], story_id: int, step: str, form: Any) -> Response[Any]:
    services = services_of(request)
    user = current_staff(request)
    address = client_address(request)
    typed = {
        "publish_at": str(form.get("publish_at", ""))[:40],
        "note": str(form.get("note", ""))[: NOTE_MAX * 2],
    }
    problems = Problems()
    now = utcnow()
    with Session(services.engine, expire_on_commit=False) as session:
        story = _story_or_404(session, story_id)
        try:
            if step == "approve":
                at = parse_publish_at(typed["publish_at"], now, problems)
                version = str(form.get("version", ""))
                if not problems:
                    stories.approve(
                        session, user, story, publish_at=at, version=whole_number(version) or -1,
                        address=address, now=now,
                    )  # fmt: skip
            elif step == "send-back":
                note = check_note(typed["note"], problems)
                if not problems:
                    stories.send_back(session, user, story, note, address=address, now=now)
            else:
                stories.unpublish(session, user, story, address=address, now=now)
        except StoryError as refused:
            problems.add(
                refused.field if refused.field != "form" else step, refused.message, **refused.values
            )
        if problems:
            session.rollback()
            fresh = _story_or_404(session, story_id)
            context = _review_context(request, session, fresh, problems, typed)
            return render(
                request, "staff/press/story_review.html", context, status_code=422, headers=NO_STORE
            )
        session.commit()
        publish_at = story.publish_at
    done = {"approve": "approved", "send-back": "sent-back", "unpublish": "unpublished"}[step]
    if step == "approve" and publish_at is not None and publish_at > now:
        done = "scheduled"
    return Redirect(f"/staff/press/stories/{story_id}?done={done}", status_code=303)


story_router = Router(
    path="/staff/press",
    route_handlers=[
        story_list,
        review_queue,
        story_new,
        story_edit,
        story_save,
        story_autosave,
        story_preview,
        story_review,
        story_approve,
        story_send_back,
        story_unpublish,
    ],
    middleware=[StaffCookieMiddleware],
)

route_handlers: list[Any] = [story_page, story_router]
