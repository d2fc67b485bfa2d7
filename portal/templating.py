"""The Jinja environment and the one function that renders a page or its htmx fragment."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Hashable
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Request, Response
from litestar.utils.scope.state import ScopeState
from markupsafe import Markup

from portal.contact import mask_name, mask_phone, mask_phones_in_text
from portal.dispatch.notes import system_words
from portal.i18n import LANGUAGE_NAMES, LOCALES, TAGS
from portal.ops import metrics
from portal.pagecache import CSRF_MARK, NONCE_MARK, PageCache, personalise
from portal.settings import PROJECT_ROOT
from portal.web import html, is_htmx, page_of

TEMPLATE_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = PROJECT_ROOT / "static"


@lru_cache(maxsize=256)
def static_url(path: str) -> str:
    """A cache-busting URL: the content hash changes whenever the file does."""
    file = STATIC_DIR / path
    digest = hashlib.sha256(file.read_bytes()).hexdigest()[:10] if file.exists() else "missing"
    return f"/static/{path}?v={digest}"


def _query_with(request: Request[Any, Any, Any], **changes: str | None) -> str:
    """The current path and query with some parameters replaced (None removes one)."""
    params = {k: v for k, v in request.query_params.items() if k not in changes}
    params.update({k: v for k, v in changes.items() if v is not None})
    query = urlencode(params)
    return request.url.path + (f"?{query}" if query else "")


def excerpt(text: str, length: int = 80) -> str:
    """The start of a resident's text for lists, with any phone number in it masked (before cutting,
    so that a number cut in two cannot slip past the mask)."""
    text = mask_phones_in_text(text)
    return text if len(text) <= length else text[:length].rstrip() + "…"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.policies["ext.i18n.trimmed"] = True
    env.globals.update(
        static=static_url, LOCALES=LOCALES, LANGUAGE_NAMES=LANGUAGE_NAMES, TAGS=TAGS, excerpt=excerpt
    )
    env.filters.update(mask_phone=mask_phone, mask_name=mask_name)
    return env


def csrf_token_of(request: Request[Any, Any, Any]) -> str:
    csrf = ScopeState.from_scope(request.scope).csrf_token
    return csrf if isinstance(csrf, str) else ""


def context_for(
    request: Request[Any, Any, Any], *, nonce: str | None = None, csrf_token: str | None = None
) -> dict[str, Any]:
    page = page_of(request)
    t = page.t
    token = csrf_token if csrf_token is not None else csrf_token_of(request)
    return {
        "request": request,
        "page": page,
        "t": t,
        "locale": page.locale,
        "lang": t.tag,
        "elder": page.elder,
        "nonce": nonce if nonce is not None else page.nonce,
        "csrf_token": token,
        "csrf_input": Markup('<input type="hidden" name="_csrf_token" value="%s">') % token,
        "gettext": t.gettext,
        "ngettext": t.ngettext,
        "_": t.gettext,
        "query_with": lambda **changes: _query_with(request, **changes),
        "system_words": lambda text: system_words(t, text),
        "htmx": is_htmx(request),
        "errors": {},
    }


HTML_HEADERS = {"Vary": "HX-Request, Cookie, Accept-Language"}


def _cache_key(request: Request[Any, Any, Any], key: tuple[Any, ...], template: str) -> tuple[Any, ...]:
    page = page_of(request)
    return (*key, page.locale, page.elder, request.scope.get("query_string", b""), is_htmx(request), template)


def cached_page(request: Request[Any, Any, Any], key: tuple[Any, ...], template: str) -> Response[str] | None:
    """The public page from the page cache, personalised for this request; None on a miss.

    ``key`` must name everything the page depends on besides the locale, elder mode, query and htmx.
    """
    cache: PageCache = request.app.state.page_cache
    body = cache.get(_cache_key(request, key, template))
    metrics.page_cache_lookup(template, hit=body is not None)
    if body is None:
        return None
    page = page_of(request)
    return html(personalise(body, page.nonce, csrf_token_of(request)), headers=HTML_HEADERS)


async def cached_or_rendered(
    request: Request[Any, Any, Any],
    key: tuple[Any, ...],
    template: str,
    render_page: Callable[[], Awaitable[Response[Any]]],
) -> Response[Any]:
    """The page from the cache, else rendered by ``render_page`` (which calls ``render_and_cache``)
    once per key however many requests miss together: right after a change, every reader of a busy
    page misses at the same moment, and they wait for one rendering instead of each making one."""
    found = cached_page(request, key, template)
    if found is not None:
        return found
    rendering: dict[Hashable, asyncio.Future[None]] = request.app.state.rendering
    whole = _cache_key(request, key, template)
    underway = rendering.get(whole)
    if underway is not None:
        await asyncio.shield(underway)
        found = cached_page(request, key, template)
        return found if found is not None else await render_page()
    rendering[whole] = asyncio.get_running_loop().create_future()
    try:
        return await render_page()
    finally:
        rendering.pop(whole).set_result(None)


def render_and_cache(
    request: Request[Any, Any, Any],
    key: tuple[Any, ...],
    template: str,
    context: dict[str, Any],
    *,
    fragment: str | None = None,
) -> Response[str]:
    """Render a public page with markers for the per-request values, keep it, and answer with it."""
    name = fragment if fragment and is_htmx(request) else template
    values = context_for(request, nonce=NONCE_MARK, csrf_token=CSRF_MARK)
    values.update(context)
    body = environment().get_template(name).render(values)
    request.app.state.page_cache.put(_cache_key(request, key, template), body)
    page = page_of(request)
    return html(personalise(body, page.nonce, csrf_token_of(request)), headers=HTML_HEADERS)


def render(
    request: Request[Any, Any, Any],
    template: str,
    context: dict[str, Any] | None = None,
    *,
    fragment: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response[str]:
    """The full page, or only ``fragment`` when htmx asked for it."""
    name = fragment if fragment and is_htmx(request) else template
    values = context_for(request)
    values.update(context or {})
    body = environment().get_template(name).render(values)
    merged = {**HTML_HEADERS, **(headers or {})}
    return html(body, status_code=status_code, headers=merged)
