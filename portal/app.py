"""The application factory."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from litestar import Litestar, Request
from litestar.config.allowed_hosts import AllowedHostsConfig
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.static_files import create_static_files_router
from sqlmodel import Session

from portal import pages
from portal.accounts.views import staff_router
from portal.admin.views import admin_router
from portal.db import make_engine, session_scope
from portal.dispatch.views import dispatch_router
from portal.evaluation import views as rating_views
from portal.jobs import periodic_jobs
from portal.ops import views as ops_views
from portal.ops.logs import RequestLogMiddleware, logging_config
from portal.pagecache import PageCache
from portal.progress import feeds as progress_feeds
from portal.progress import follow as progress_follow
from portal.progress import story_views
from portal.progress import views as progress_views
from portal.progress.campaigns import campaign_router
from portal.progress.press_views import press_router
from portal.services import Services
from portal.settings import Settings, get_settings
from portal.stats import views as stats_views
from portal.stats.views import ReportCache
from portal.surveys import results_views as survey_results
from portal.surveys import views as survey_views
from portal.surveys.staff_views import survey_staff_router
from portal.templating import STATIC_DIR
from portal.tickets import views as ticket_views
from portal.web import BodyLimitMiddleware, PageContextMiddleware


def provide_db_session(request: Request[Any, Any, Any]) -> Iterator[Session]:
    yield from session_scope(request.app.state.services.engine)


def create_app(settings: Settings | None = None, services: Services | None = None) -> Litestar:
    settings = settings or get_settings()
    if services is None:
        services = Services.build(settings, make_engine(settings.database_url))

    def page_middleware(app: Any) -> PageContextMiddleware:
        return PageContextMiddleware(app, secure_cookies=settings.secure_cookies)

    def body_limit(app: Any) -> BodyLimitMiddleware:
        return BodyLimitMiddleware(app, upload_bytes=upload_bytes, refuse=pages.error_page)

    upload_bytes = settings.max_upload_mb * 1024 * 1024

    app = Litestar(
        route_handlers=[
            *pages.route_handlers,
            *ops_views.route_handlers,
            *ticket_views.route_handlers,
            *rating_views.route_handlers,
            *stats_views.route_handlers,
            *progress_views.route_handlers,
            *progress_feeds.route_handlers,
            *progress_follow.route_handlers,
            campaign_router,
            *story_views.route_handlers,
            *survey_views.route_handlers,
            survey_views.preview_router,
            staff_router,
            dispatch_router,
            admin_router,
            press_router,
            *survey_results.route_handlers,
            survey_results.texts_router,
            survey_staff_router,
            create_static_files_router(
                path="/static",
                directories=[STATIC_DIR],
                cache_control=None,
                send_as_attachment=False,
                include_in_schema=False,
            ),
        ],
        dependencies={"db_session": Provide(provide_db_session)},
        middleware=[page_middleware, body_limit],
        allowed_hosts=AllowedHostsConfig(allowed_hosts=list(settings.allowed_hosts), www_redirect=False)
        if settings.allowed_hosts
        else None,
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name="csrftoken",
            header_name="x-csrftoken",
            cookie_secure=settings.secure_cookies,
            cookie_samesite="lax",
            exclude=["/open311"],
        ),
        compression_config=CompressionConfig(backend="gzip", minimum_size=500, gzip_compress_level=6),
        exception_handlers={Exception: pages.error_page},
        # The last line of defence: body_limit refuses far smaller bodies on most routes.
        request_max_body_size=upload_bytes,
        state=State(
            {
                "services": services,
                "page_cache": PageCache(services.engine),
                "rendering": {},  # pages being rendered now: see templating.cached_or_rendered
                "stats_reports": ReportCache(),
                "stats_tickets": ReportCache(max_entries=4),
            }
        ),
        lifespan=[periodic_jobs],
        openapi_config=None,
        logging_config=logging_config(settings.log_format),
        debug=settings.debug,
    )
    # Outside Litestar's router, unlike the middleware above: requests no route matched are logged too.
    app.asgi_handler = RequestLogMiddleware(app.asgi_handler)
    return app


def app_from_env() -> Litestar:
    """The factory uvicorn calls (``portal.app:app_from_env``)."""
    return create_app()
