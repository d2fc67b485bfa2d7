"""For feed readers and search engines: ``/feed.atom`` (public stories and milestones reached, per locale),
``/progress/{slug}/feed.atom`` (one project's), ``/sitemap.xml`` and ``/robots.txt``.

Only what ``visibility`` calls public goes in: never a draft, a scheduled or unpublished story, nor
anything of an unpublished project. Links are absolute only from a trusted base address
(``public_base_url``); without one the feeds carry links relative to themselves (which Atom allows)
and there is no sitemap, whose protocol needs absolute addresses.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from sqlmodel import Session, col, select

from portal.db import utcnow
from portal.i18n import DEFAULT_LOCALE, DISTRICT_TZ, LOCALES, N_, TAGS, locale_from_tag, translator
from portal.progress.models import Milestone, MilestoneStatus, Project, Story
from portal.progress.texts import field
from portal.progress.visibility import public_project, public_stories, story_field, story_texts
from portal.services import public_base_url, services_of
from portal.surveys.answering import listed_surveys
from portal.surveys.results import public as results_public
from portal.web import in_thread

ATOM = "http://www.w3.org/2005/Atom"
SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML = "http://www.w3.org/1999/xhtml"
FEED_ENTRIES = 50
# A story taken back or a project unpublished leaves shared caches within minutes, as photos do.
FEED_CACHE = "public, max-age=300"
SITEMAP_CACHE = "public, max-age=3600"
EMPTY_FEED_UPDATED = datetime(2026, 1, 1, tzinfo=UTC)  # a feed with no entry yet still needs a stable date
TAG_YEAR = "2026"
# Characters XML 1.0 cannot carry at all (control characters someone pasted into a text).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

FEED_TITLE = N_("Jimei District progress")
PROJECT_FEED_TITLE = N_("%(project)s: progress")
MILESTONE_REACHED = N_("Milestone reached: %(milestone)s")
CONVERTED = N_("Converted automatically from Simplified Chinese.")


@dataclass(frozen=True)
class Entry:
    key: str  # unique and stable: story/<id>, milestone/<id>
    title: str
    summary: str
    path: str
    published: datetime
    updated: datetime


def feed_locale(request: Request[Any, Any, Any]) -> str:
    """A feed's language comes from its address alone (``?lang=``), never a cookie: one URL, one feed."""
    return locale_from_tag(request.query_params.get("lang")) or DEFAULT_LOCALE


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text).strip()


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=DISTRICT_TZ)


def tag_authority(base: str) -> str:
    """The tag: URI authority (RFC 4151): the portal's host name when it is known."""
    host = urlsplit(base).hostname if base else None
    return host or "jimei-portal.invalid"


def story_entries(
    session: Session, locale: str, config: str, now: datetime, project_id: int | None
) -> list[Entry]:
    stories = public_stories(session, now, project_id=project_id, limit=FEED_ENTRIES)
    texts = story_texts(session, [s.id for s in stories if s.id is not None])
    t = translator(locale)
    entries = []
    for story in stories:
        assert story.id is not None and story.publish_at is not None
        mine = texts.get(story.id, {})
        title = story_field(mine, "title", locale, config)
        summary = story_field(mine, "summary", locale, config)
        words = summary.text or title.text
        if title.converted or summary.converted:
            words = f"{words} {t.gettext(CONVERTED)}"
        changed = max([story.publish_at, *(text.updated_at for text in mine.values())])
        entries.append(
            Entry(
                key=f"story/{story.id}",
                title=title.text,
                summary=words,
                path=f"/stories/{story.slug}",
                published=story.publish_at,
                updated=min(changed, now),
            )
        )
    return entries


def milestone_entries(
    session: Session, locale: str, config: str, now: datetime, project_id: int | None
) -> list[Entry]:
    """Milestones reached (status done, on or before today) of public projects."""
    today = now.astimezone(DISTRICT_TZ).date()
    query: Any = (
        select(Milestone, Project)
        .join(Project, col(Project.id) == Milestone.project_id)
        .where(public_project(), Milestone.status == MilestoneStatus.DONE)
        .order_by(col(Milestone.actual_date).desc(), col(Milestone.id).desc())
        .limit(FEED_ENTRIES)
    )
    if project_id is not None:
        query = query.where(Milestone.project_id == project_id)
    t = translator(locale)
    entries = []
    for milestone, project in session.exec(query):
        day = milestone.actual_date or milestone.planned_date
        if day > today:
            continue
        title = field(milestone, "title", locale, config)
        project_title = field(project, "title", locale, config)
        note = field(milestone, "note", locale, config)
        summary = (
            t.gettext("%(who)s: %(what)s", who=project_title.text, what=note.text)
            if note.text
            else project_title.text
        )
        if title.converted or note.converted or project_title.converted:
            summary = f"{summary} {t.gettext(CONVERTED)}"
        moment = _day_start(day)
        entries.append(
            Entry(
                key=f"milestone/{milestone.id}",
                title=t.gettext(MILESTONE_REACHED, milestone=title.text),
                summary=summary,
                path=f"/progress/{project.slug}",
                published=moment,
                updated=moment,
            )
        )
    return entries


def atom_feed(
    entries: list[Entry], *, locale: str, title: str, key: str, self_path: str, page_path: str, base: str
) -> bytes:
    """An Atom 1.0 document (RFC 4287). Ids are tag: URIs that never change with the address."""
    authority = tag_authority(base)
    t = translator(locale)
    entries = sorted(entries, key=lambda e: (e.updated, e.key), reverse=True)[:FEED_ENTRIES]
    root = ET.Element("feed", {"xmlns": ATOM, "xml:lang": TAGS[locale]})

    def add(parent: ET.Element, name: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, name, attrs)
        if text is not None:
            element.text = _clean(text)
        return element

    add(root, "id", f"tag:{authority},{TAG_YEAR}:{key}/{TAGS[locale]}")
    add(root, "title", title)
    add(root, "updated", _stamp(entries[0].updated if entries else EMPTY_FEED_UPDATED))
    add(root, "link", rel="self", type="application/atom+xml", href=f"{base}{self_path}")
    add(root, "link", rel="alternate", type="text/html", href=f"{base}{page_path}")
    author = add(root, "author")
    add(author, "name", t.gettext("Jimei District Social Governance Command Centre"))
    for entry in entries:
        element = add(root, "entry")
        add(element, "id", f"tag:{authority},{TAG_YEAR}:{entry.key}")
        add(element, "title", entry.title)
        add(
            element, "link", rel="alternate", type="text/html", href=f"{base}{entry.path}?lang={TAGS[locale]}"
        )
        add(element, "published", _stamp(entry.published))
        add(element, "updated", _stamp(entry.updated))
        add(element, "summary", entry.summary, type="text")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _cached_answer(
    request: Request[Any, Any, Any], body: bytes, media_type: str, cache: str
) -> Response[bytes]:
    """The body with an ETag, or 304 when the reader already has it."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"Cache-Control": cache, "ETag": etag}
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(content=b"", status_code=304, headers=headers)
    return Response(content=body, media_type=media_type, headers=headers)


ATOM_TYPE = "application/atom+xml; charset=utf-8"


@get("/feed.atom")
async def district_feed(request: Request[Any, Any, Any]) -> Response[bytes]:
    return await in_thread(_feed, request, None)


@get("/progress/{slug:str}/feed.atom")
async def project_feed(request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[bytes]:
    return await in_thread(_feed, request, slug)


def _feed(request: Request[Any, Any, Any], slug: str | None) -> Response[bytes]:
    services = services_of(request)
    config = services.settings.hant_conversion
    locale = feed_locale(request)
    t = translator(locale)
    base = public_base_url(request)
    now = utcnow()
    tag = TAGS[locale]
    with Session(services.engine) as session:
        project = None
        if slug is not None:
            project = session.exec(select(Project).where(Project.slug == slug, public_project())).first()
            if project is None:
                raise NotFoundException()
        project_id = project.id if project else None
        entries = story_entries(session, locale, config, now, project_id)
        entries += milestone_entries(session, locale, config, now, project_id)
        if project is None:
            title, key, page = t.gettext(FEED_TITLE), "feed", "/progress"
        else:
            name = field(project, "title", locale, config).text
            title, key, page = (
                t.gettext(PROJECT_FEED_TITLE, project=name),
                f"project/{project.id}",
                f"/progress/{slug}",
            )
    body = atom_feed(
        entries, locale=locale, title=title, key=key,
        self_path=f"{page if project else ''}/feed.atom?lang={tag}", page_path=f"{page}?lang={tag}", base=base,
    )  # fmt: skip
    return _cached_answer(request, body, ATOM_TYPE, FEED_CACHE)


# --- search engines ----------------------------------------------------------------------------

# The public pages worth finding. Single tickets are left out on purpose: residents wrote them to
# get a problem fixed, not to be found by their address in a search engine years later.
SITEMAP_PAGES = (
    "/", "/report", "/track", "/tickets", "/stats", "/stats/columns", "/progress", "/surveys", "/privacy",
)  # fmt: skip


def sitemap_urls(session: Session, now: datetime) -> list[tuple[str, datetime | None]]:
    urls: list[tuple[str, datetime | None]] = [(path, None) for path in SITEMAP_PAGES]
    projects = session.exec(select(Project).where(public_project()).order_by(col(Project.slug)))
    urls += [(f"/progress/{p.slug}", p.updated_at) for p in projects]
    stories: list[Story] = public_stories(session, now, limit=50_000 - len(urls))
    urls += [(f"/stories/{s.slug}", s.publish_at) for s in stories]
    open_surveys, closed_surveys = listed_surveys(session, now)
    urls += [(f"/surveys/{s.slug}", s.updated_at) for s in open_surveys]
    urls += [
        (f"/surveys/{s.slug}/results", None)
        for s in (*open_surveys, *closed_surveys)
        if results_public(s, now)
    ]
    return urls


@get("/sitemap.xml")
async def sitemap(request: Request[Any, Any, Any]) -> Response[bytes]:
    return await in_thread(_sitemap, request)


def _sitemap(request: Request[Any, Any, Any]) -> Response[bytes]:
    base = public_base_url(request)
    if not base:  # a sitemap's addresses must be absolute, and must not come from a Host header
        raise NotFoundException()
    services = services_of(request)
    with Session(services.engine) as session:
        urls = sitemap_urls(session, utcnow())
    root = ET.Element("urlset", {"xmlns": SITEMAP, "xmlns:xhtml": XHTML})
    for path, changed in urls:
        url = ET.SubElement(root, "url")
        ET.SubElement(url, "loc").text = f"{base}{path}"
        if changed is not None:
            ET.SubElement(url, "lastmod").text = _stamp(changed)
        for locale in LOCALES:  # the same page in each language (``?lang=`` picks it)
            ET.SubElement(
                url,
                "xhtml:link",
                {"rel": "alternate", "hreflang": TAGS[locale], "href": f"{base}{path}?lang={TAGS[locale]}"},
            )
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return _cached_answer(request, body, "application/xml; charset=utf-8", SITEMAP_CACHE)


# Staff pages, personal links and answers that only make sense to the person who asked; /media/
# too, because most photos there are residents' photos of their street (a story's images are
# seen on its page, which may be crawled).
ROBOTS_DISALLOW = (
    "/staff",
    "/report/done",
    "/report/check",
    "/report/locate",
    "/t/",
    "/r/",
    "/me",
    "/media/",
    "/progress/unsubscribe/",
    "/progress/*/follow",
    "/healthz",
    "/readyz",
    "/metrics",
)


@get("/robots.txt", sync_to_thread=False)
def robots(request: Request[Any, Any, Any]) -> Response[str]:
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in ROBOTS_DISALLOW), "Allow: /"]
    base = public_base_url(request)
    if base:
        lines += ["", f"Sitemap: {base}/sitemap.xml"]
    return Response(
        content="\n".join(lines) + "\n",
        media_type="text/plain",  # Litestar adds "; charset=utf-8"
        headers={"Cache-Control": "public, max-age=86400"},
    )


route_handlers = [district_feed, project_feed, sitemap, robots]
