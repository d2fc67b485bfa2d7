"""Background jobs: the deadline sweep. Run by ``portal jobs run`` (cron) or, on the single-machine
default, every few minutes inside the app. Safe on several instances at once."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from sqlmodel import Session, select

from portal.accounts.service import prune_audit_log, prune_sessions
from portal.dispatch.service import sweep
from portal.evaluation.service import close_unrated
from portal.ops.metrics import JOBS_RUN
from portal.progress.follow import announce
from portal.progress.models import ProjectPhoto, StoryImage
from portal.services import Services
from portal.surveys.answering import delete_old_drafts
from portal.tickets.models import Photo
from portal.web import in_thread

log = logging.getLogger("portal.jobs")
# Photos no ticket refers to (forms never sent, refused staff steps) are removed after two days:
# long enough for a resident to come back to a form that kept them.
ORPHAN_PHOTO_SECONDS = 2 * 24 * 3600
PHOTO_CLEANUP_EVERY = 24 * 3600


def run_jobs(services: Services, *, photos: bool = True) -> str:
    """Every job once. ``photos`` includes the unused-photo cleanup, which reads the whole media
    folder: the in-process runner does that once a day, ``portal jobs run`` every time."""
    with Session(services.engine, expire_on_commit=False) as session:
        orders = sweep(session, sms=services.sms, base_url=services.settings.base_url)
        session.commit()
        closed = close_unrated(session, services.settings.rating_window_days)
        session.commit()
        pruned = prune_audit_log(session)
        sessions = prune_sessions(session)
        session.commit()
        settings = services.settings
        news = announce(session, services.sms, settings.base_url, config=settings.hant_conversion)
        session.commit()
        drafts = delete_old_drafts(session)
        session.commit()
        referenced = set(session.exec(select(Photo.digest))) if photos else set()
        if photos:  # a project's cover and before/after photos are in use too
            referenced |= set(session.exec(select(ProjectPhoto.digest)))
            referenced |= set(session.exec(select(StoryImage.digest)))
    summary = (
        f"deadline sweep: {len(orders)} supervision order(s) issued; {closed} ticket(s) closed unrated; "
        f"audit log: {pruned} entries past retention removed; {sessions} old staff session(s) removed; "
        f"project news: {news} SMS to followers; {drafts} survey draft(s) past a month removed"
    )
    if photos:
        summary += f"; {services.media.prune(referenced, ORPHAN_PHOTO_SECONDS)} unused photo(s) removed"
    JOBS_RUN.inc()
    return summary


@contextlib.asynccontextmanager
async def periodic_jobs(app: Any) -> AsyncIterator[None]:
    """Litestar lifespan: runs the jobs every ``PORTAL_JOBS_INTERVAL`` seconds (0 turns it off)."""
    services: Services = app.state.services
    interval = services.settings.jobs_interval
    task = asyncio.create_task(_loop(services, interval)) if interval > 0 else None
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _loop(services: Services, interval: int) -> None:
    photos_done: float = -PHOTO_CLEANUP_EVERY
    while True:
        await asyncio.sleep(interval)
        photos = time.monotonic() - photos_done >= PHOTO_CLEANUP_EVERY
        try:
            log.info(await in_thread(functools.partial(run_jobs, services, photos=photos)))
            if photos:
                photos_done = time.monotonic()
        except Exception:  # a failed sweep must not stop the next one
            log.exception("background jobs failed")
