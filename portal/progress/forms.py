"""The story editor's form: what the press office typed, checked, with one message per field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from portal.i18n import DISTRICT_TZ, N_
from portal.numbers import whole_number
from portal.progress import markdown
from portal.progress.models import StoryText
from portal.tickets.forms import FormErrors as Problems
from portal.tickets.forms import clean_text

LOCALES = ("zh_Hans", "zh_Hant", "en")
TITLE_MAX = 120
SUMMARY_MAX = 300
BODY_MAX = 40_000  # a long feature is some 10,000 Chinese characters; the form's body limit bounds the rest
SLUG_MIN, SLUG_MAX = 3, 80
NOTE_MAX = 1000
SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# A scheduled time is at most this far ahead: further is almost surely a typing mistake in the year.
SCHEDULE_AHEAD = timedelta(days=366)
# A time typed a little in the past (the minute just gone) means "now", not a mistake.
SCHEDULE_GRACE = timedelta(minutes=2)

LOCALE_NAMES = {
    "zh_Hans": N_("Simplified Chinese"),
    "zh_Hant": N_("Traditional Chinese"),
    "en": N_("English"),
}

TITLE_NEEDED = N_("Give the story a title in Simplified Chinese.")
TITLE_FOR_TEXT = N_("This text needs a title too, or leave all of its fields empty.")
TOO_LONG = N_("This is too long: at most %(max)s characters.")
BAD_SLUG = N_(
    "The address may use lowercase letters a–z, digits and hyphens between them, %(min)s to %(max)s characters."
)
SLUG_TAKEN = N_("The address /stories/%(slug)s is already used by another story. Choose another address.")
SLUG_FIXED = N_("A story that has been published keeps its address, so that links to it keep working.")
PROJECT_FIXED = N_("A story that has been published stays with its project.")
NO_PROJECT = N_("Choose a project from the list, or none.")
BAD_TIME = N_("Enter the date and time like 2026-12-01 09:30, or leave it empty to publish at once.")
PAST_TIME = N_("This time has passed. Choose a later time, or leave it empty to publish at once.")
FAR_TIME = N_("This time is more than a year ahead. Check the year.")
NOTE_NEEDED = N_("Say what should change, so that the writer knows what to do.")


@dataclass
class TextInput:
    title: str = ""
    summary: str = ""
    body: str = ""

    @property
    def empty(self) -> bool:
        return not (self.title or self.summary or self.body)


@dataclass
class StoryInput:
    """The editor's fields exactly as typed (for showing again), or as saved."""

    slug: str = ""
    project: str = ""
    version: str = ""
    texts: dict[str, TextInput] = field(default_factory=lambda: {loc: TextInput() for loc in LOCALES})

    @classmethod
    def from_form(cls, form: Any) -> StoryInput:
        def text(name: str) -> str:
            value = form.get(name, "")
            return value if isinstance(value, str) else ""

        return cls(
            slug=text("slug").strip()[: SLUG_MAX * 2],
            project=text("project").strip()[:12],
            version=text("version").strip()[:12],
            texts={
                loc: TextInput(
                    title=text(f"title_{loc}")[: TITLE_MAX * 4],
                    summary=text(f"summary_{loc}")[: SUMMARY_MAX * 4],
                    body=text(f"body_{loc}"),
                )
                for loc in LOCALES
            },
        )

    @classmethod
    def from_saved(
        cls, slug: str, project_id: int | None, version: int, texts: Mapping[str, StoryText]
    ) -> StoryInput:
        return cls(
            slug=slug,
            project=str(project_id or ""),
            version=str(version),
            texts={
                loc: TextInput(texts[loc].title, texts[loc].summary, texts[loc].body)
                if loc in texts
                else TextInput()
                for loc in LOCALES
            },
        )


@dataclass
class StoryDraft:
    """A checked story: its address (empty: make one from the title), project and texts by locale."""

    slug: str
    project_id: int | None
    texts: dict[str, TextInput]


def check_texts(
    raw: StoryInput, images: Mapping[str, Any] | None, problems: Problems
) -> dict[str, TextInput]:
    texts: dict[str, TextInput] = {}
    for loc in LOCALES:
        typed = raw.texts.get(loc) or TextInput()
        clean = TextInput(
            title=clean_text(typed.title),
            summary=clean_text(typed.summary, multiline=True),
            body=clean_text(typed.body, multiline=True),
        )
        if clean.empty and loc != "zh_Hans":
            continue
        if not clean.title:
            problems.add(f"title_{loc}", TITLE_NEEDED if loc == "zh_Hans" else TITLE_FOR_TEXT)
        elif len(clean.title) > TITLE_MAX:
            problems.add(f"title_{loc}", TOO_LONG, max=TITLE_MAX)
        elif markdown.looks_like_markup(clean.title):
            problems.add(f"title_{loc}", markdown.NO_MARKUP)
        if len(clean.summary) > SUMMARY_MAX:
            problems.add(f"summary_{loc}", TOO_LONG, max=SUMMARY_MAX)
        elif markdown.looks_like_markup(clean.summary):
            problems.add(f"summary_{loc}", markdown.NO_MARKUP)
        if len(clean.body) > BODY_MAX:
            problems.add(f"body_{loc}", TOO_LONG, max=BODY_MAX)
        else:
            for message, values in markdown.problems(clean.body, images)[:1]:
                problems.add(f"body_{loc}", message, **values)
        texts[loc] = clean
    return texts


def check_slug(typed: str, problems: Problems) -> str:
    slug = typed.strip().lower()
    if slug and (not SLUG_MIN <= len(slug) <= SLUG_MAX or not SLUG_RE.fullmatch(slug)):
        problems.add("slug", BAD_SLUG, min=SLUG_MIN, max=SLUG_MAX)
    return slug


def validate_story(
    raw: StoryInput, *, project_ids: set[int], images: Mapping[str, Any] | None, problems: Problems
) -> StoryDraft | None:
    """The story as typed, checked; None (and ``problems`` says why) when something is wrong.
    ``project_ids`` are those a story may belong to; ``images`` the story's own uploads."""
    slug = check_slug(raw.slug, problems)
    project_id: int | None = None
    if raw.project:
        project_id = whole_number(raw.project, 1)
        if project_id is None or project_id not in project_ids:
            problems.add("project", NO_PROJECT)
    texts = check_texts(raw, images, problems)
    if problems:
        return None
    return StoryDraft(slug=slug, project_id=project_id, texts=texts)


def slug_from(title: str) -> str:
    """An address from a title's Latin letters and digits (an English title makes a good one)."""
    words = re.findall(r"[a-z0-9]+", title.lower())
    slug = "-".join(words)[:SLUG_MAX].strip("-")
    return slug if len(slug) >= SLUG_MIN else ""


_LOCAL_TIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::\d{2})?")


def parse_publish_at(typed: str, now: datetime, problems: Problems, field_id: str = "publish_at") -> datetime:
    """The moment a story goes live: the district's local time typed (YYYY-MM-DD HH:MM), in UTC;
    ``now`` when nothing was typed."""
    typed = clean_text(typed)[:40]
    if not typed:
        return now
    found = _LOCAL_TIME.fullmatch(typed)
    moment: datetime | None = None
    if found:
        year, month, day, hour, minute = (int(part) for part in found.groups())
        try:
            moment = datetime(year, month, day, hour, minute, tzinfo=DISTRICT_TZ).astimezone(UTC)
        except ValueError:
            moment = None
    if moment is None:
        problems.add(field_id, BAD_TIME)
        return now
    if moment < now - SCHEDULE_GRACE:
        problems.add(field_id, PAST_TIME)
    elif moment > now + SCHEDULE_AHEAD:
        problems.add(field_id, FAR_TIME)
    return max(moment, now)


def check_note(typed: str, problems: Problems) -> str:
    note = clean_text(typed, multiline=True)
    if not note:
        problems.add("note", NOTE_NEEDED)
    elif len(note) > NOTE_MAX:
        problems.add("note", TOO_LONG, max=NOTE_MAX)
    return note
