"""Markdown for stories and project bodies: CommonMark with tables, raw HTML off, sanitised after.

Two layers, so that a mistake in one is caught by the other:

1. markdown-it-py renders CommonMark with tables, raw HTML shown as text, no linkify. Headings go
   one level down (the page's title is its only ``<h1>``); table alignment becomes a class (the
   CSP forbids inline styles); an image is kept only when it is one of this portal's processed
   photos (``/media/<digest>/full|thumb``), and an image alone in its paragraph with alt text
   becomes a figure with that text as its caption.
2. nh3 keeps only the tags and attributes that renderer makes, only http, https, mailto and
   relative links (each gets ``rel="noopener noreferrer"``), and images only from ``/media/``.

``problems(text)`` tells the editor, before anything is saved, what the renderer would drop or
show as text (raw HTML, a ``javascript:`` link, an image from elsewhere), so that bad input gets a
clear message rather than a silent change.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from markupsafe import Markup, escape

from portal.i18n import N_

MEDIA_SRC = re.compile(r"/media/(?P<digest>[0-9a-f]{64})/(?P<size>full|thumb)")
THUMB_LONG_SIDE = 400  # portal.media.THUMB_LONG_SIDE, without importing Pillow's module here
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
ALIGN_CLASSES = {
    "text-align:left": "align-left",
    "text-align:center": "align-center",
    "text-align:right": "align-right",
}

TAGS = frozenset(
    {
        "p", "h2", "h3", "h4", "ul", "ol", "li", "blockquote", "code", "pre", "em", "strong", "a", "img",
        "table", "thead", "tbody", "tr", "th", "td", "figure", "figcaption", "hr", "br",
    }
)  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "ol": {"start"},
}
CLASSES = {"th": set(ALIGN_CLASSES.values()), "td": set(ALIGN_CLASSES.values())}
# Their content goes too, not only the tag (nh3 already drops <script> and <style> whole).
DROPPED_WITH_CONTENT = frozenset(
    {"script", "style", "svg", "math", "iframe", "object", "noscript", "template"}
)

RAW_HTML = N_(
    "Remove the HTML code (such as <br> or <b>): a story is written in Markdown only. A blank line "
    "starts a new paragraph; **two stars** make bold."
)
UNSAFE_LINK = N_(
    "A link may only lead to a web page (http:// or https://), an email address (mailto:) or a page of "
    "this portal. Remove or correct: %(link)s"
)
FOREIGN_IMAGE = N_(
    "Images must be uploaded on this page; pictures from elsewhere are not shown. Upload it and paste "
    "the line given for it instead of: %(link)s"
)
NO_MARKUP = N_("Titles and summaries are plain words: remove the code between < and >.")
_TAG = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>")


def looks_like_markup(text: str) -> bool:
    """Whether a title or summary (plain words, shown as typed) holds something like an HTML tag."""
    return bool(_TAG.search(text))


OTHER_STORY_IMAGE = N_("This image was not uploaded for this story: %(link)s")


def media_digest(src: str) -> str | None:
    """The digest of a ``/media/<digest>/<size>`` address of this portal, else None."""
    match = MEDIA_SRC.fullmatch(src)
    return match.group("digest") if match else None


def safe_href(href: str) -> bool:
    """http, https, mailto or relative, after removing what browsers ignore inside a scheme."""
    squeezed = re.sub(r"[\x00-\x20\x7f]+", "", href)
    if ":" not in squeezed.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]:
        return True  # relative: no scheme before the first slash, query or fragment
    try:
        scheme = urlsplit(squeezed).scheme.lower()
    except ValueError:
        return False
    return scheme in SAFE_SCHEMES


def _shift_headings(tokens: list[Token]) -> None:
    for token in tokens:
        if token.type in {"heading_open", "heading_close"}:
            level = min(int(token.tag[1]) + 1, 4)
            token.tag = f"h{level}"


def _align_to_class(tokens: list[Token]) -> None:
    for token in tokens:
        if token.type in {"th_open", "td_open"}:
            style = str(token.attrs.pop("style", "") or "")
            if style in ALIGN_CLASSES:
                token.attrSet("class", ALIGN_CLASSES[style])


def _figures(tokens: list[Token]) -> None:
    """A paragraph holding one image with alt text, and nothing else, becomes a figure."""
    for index in range(len(tokens) - 2):
        opening, inline, closing = tokens[index : index + 3]
        if opening.type != "paragraph_open" or opening.hidden or inline.type != "inline":
            continue
        children = [c for c in inline.children or [] if not (c.type == "text" and not c.content.strip())]
        if len(children) != 1 or children[0].type != "image" or not children[0].content.strip():
            continue
        opening.tag = closing.tag = "figure"
        children[0].meta["figure"] = True


class _StoryRenderer(RendererHTML):
    def image(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        token = tokens[idx]
        src = str(token.attrGet("src") or "")
        digest = media_digest(src)
        sizes: Mapping[str, tuple[int, int]] | None = env.get("images")
        if digest is None or (sizes is not None and digest not in sizes):
            return ""  # only this portal's processed photos (and, for a story, its own)
        alt = self.renderInlineAsText(token.children or [], options, env)
        size = ""
        if sizes is not None:
            width, height = sizes[digest]
            if src.endswith("/thumb") and max(width, height) > THUMB_LONG_SIDE:
                scale = THUMB_LONG_SIDE / max(width, height)
                width, height = round(width * scale), round(height * scale)
            size = f' width="{width}" height="{height}"'
        img = f'<img src="{escape(src)}" alt="{escape(alt)}"{size}>'
        if token.meta.get("figure"):
            return f"{img}<figcaption>{escape(alt)}</figcaption>"
        return img


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt(
        "commonmark", {"html": False, "linkify": False, "typographer": False}, renderer_cls=_StoryRenderer
    )
    return md.enable("table")


@lru_cache(maxsize=1)
def _html_parser() -> MarkdownIt:
    """Only to find what an author typed as raw HTML or as a link the renderer refuses."""
    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    return md


def _keep_attribute(tag: str, name: str, value: str) -> str | None:
    if tag == "img" and name == "src":
        return value if media_digest(value) else None
    if tag == "a" and name == "href":
        return value if safe_href(value) else None
    return value


@lru_cache(maxsize=1)
def _cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        attribute_filter=_keep_attribute,
        allowed_classes={tag: set(names) for tag, names in CLASSES.items()},
        url_schemes=set(SAFE_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def sanitise(html: str) -> str:
    return str(_cleaner().clean(html))


def render(text: str, images: Mapping[str, tuple[int, int]] | None = None) -> Markup:
    """``text`` (Markdown) as safe HTML. ``images`` (digest → width, height), when given, are the
    only images shown (a story's own uploads), with their sizes so the page does not jump."""
    md = _parser()
    env: dict[str, Any] = {"images": images}
    tokens = md.parse(text or "", env)
    _shift_headings(tokens)
    _align_to_class(tokens)
    _figures(tokens)
    return Markup(sanitise(md.renderer.render(tokens, md.options, env)))  # noqa: S704 — sanitised just now


def _inline_tokens(tokens: list[Token]) -> list[Token]:
    found: list[Token] = []
    for token in tokens:
        found.append(token)
        if token.children:
            found.extend(_inline_tokens(token.children))
    return found


def problems(text: str, images: Mapping[str, Any] | None = None) -> list[tuple[str, dict[str, str]]]:
    """What in ``text`` the renderer would show as text or drop: (message id, values) for each."""
    found: list[tuple[str, dict[str, str]]] = []
    seen: set[str] = set()

    def add(message: str, **values: str) -> None:
        key = message + repr(sorted(values.items()))
        if key not in seen:
            seen.add(key)
            found.append((message, values))

    for token in _inline_tokens(_html_parser().parse(text or "")):
        if token.type in {"html_block", "html_inline"}:
            add(RAW_HTML)
        elif token.type == "link_open":
            href = str(token.attrGet("href") or "")
            if not safe_href(href) or not _parser().validateLink(href):
                add(UNSAFE_LINK, link=href[:80])
        elif token.type == "image":
            src = str(token.attrGet("src") or "")
            digest = media_digest(src)
            if digest is None:
                add(FOREIGN_IMAGE, link=src[:80])
            elif images is not None and digest not in images:
                add(OTHER_STORY_IMAGE, link=src[:80])
    return found
