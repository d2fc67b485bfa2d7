"""Background jobs: the deadline sweep and the rest. Run by ``portal jobs run`` (cron) or every few
minutes inside the app. On several instances they run once at a time and, from the in-process
runners, once per interval across them all (``portal.cluster``)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator
from typing import Any

from sqlmodel import Session, select

from portal import cluster
from portal.accounts.service import prune_audit_log, prune_sessions
from portal.db import utcnow
from portal.dispatch.service import sweep
from portal.evaluation.service import close_unrated
from portal.ops.metrics import JOBS_RUN
from portal.progress.follow import announce
from portal.progress.models import ProjectPhoto, StoryImage
from portal.services import Services
from portal.surveys.answering import delete_old_drafts
from portal.tickets.confirm import forget_used_codes
from portal.tickets.models import Photo
from portal.web import in_thread

log = logging.getLogger("portal.jobs")
# Photos no ticket refers to (forms never sent, refused staff steps) are removed after two days:
# long enough for a resident to come back to a form that kept them.
ORPHAN_PHOTO_SECONDS = 2 * 24 * 3600
PHOTO_CLEANUP_EVERY = 24 * 3600


BUSY = "background jobs skipped: another process is running them"
RECENT = (
    "background jobs skipped: they started {seconds:.1f} s ago (on another instance, or from portal jobs run)"
)


def run_jobs(services: Services, *, photos: bool = True, every: float = 0) -> str:
    """Every job once, unless another instance or process is running them at this moment.
    ``photos`` includes the unused-photo cleanup, which reads the whole media folder. With ``every``
    (the in-process runners) they are skipped when any instance started them less than ``every``
    seconds ago, and the photos are cleaned up at most once a day; ``portal jobs run`` runs them now."""
    engine = services.engine
    with cluster.exclusive(engine) as mine:
        if not mine:
            return BUSY
        now = utcnow()
        if every and not cluster.due(engine, "jobs", every, now):
            last = cluster.last_start(engine, "jobs")
            return RECENT.format(seconds=(now - last).total_seconds() if last else 0)
        photos = photos and (not every or cluster.due(engine, "photos", PHOTO_CLEANUP_EVERY, now))
        cluster.started(engine, "jobs", now)
        if photos:
            cluster.started(engine, "photos", now)
        summary = _every_job(services, photos=photos)
        cluster.finished(engine, "jobs", summary)
    return summary


def _every_job(services: Services, *, photos: bool) -> str:
    with Session(services.engine, expire_on_commit=False) as session:
        orders = sweep(session, sms=services.sms, base_url=services.settings.base_url)
        session.commit()
        closed = close_unrated(session, services.settings.rating_window_days)
        session.commit()
        pruned = prune_audit_log(session)
        sessions = prune_sessions(session)
        codes = forget_used_codes(session)
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
        f"{codes} used code(s) past their time removed; "
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
    # A run is skipped when any instance started one less than nine tenths of the interval ago: so
    # the runners of several instances, each on its own timer, run the jobs once per interval
    # between them, and a timer that fires a moment early does not lose its turn.
    every = interval * 0.9
    while True:
        await asyncio.sleep(interval)
        try:
            log.info(await in_thread(functools.partial(run_jobs, services, every=every)))
        except Exception:  # a failed sweep must not stop the next one
            log.exception("background jobs failed")
