"""The background jobs as cron runs them: ``run_jobs`` on the real database and media folder, and as
several instances run them: once at a time, and once per interval between them."""

from __future__ import annotations

import dataclasses
import io
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from PIL import Image
from sqlmodel import Session, select

from portal.cluster import JobRun
from portal.db import make_engine, utcnow
from portal.jobs import BUSY, run_jobs
from portal.media import process_photo
from portal.services import Services
from portal.settings import Settings
from portal.sms import ConsoleSms
from portal.tickets.models import Photo
from tests.pages import PageClient
from tests.unit.factories import a_community, jpeg_bytes, report_fields, submit_report
from tests.unit.progress.follow_data import (
    _clean_progress,  # noqa: F401  (autouse)
    make_milestone,
    make_project,
)
from tests.unit.progress.test_follow import follower_row


def test_the_jobs_remove_unused_photos_and_keep_the_tickets_own(
    client: PageClient, db: Session, services: Services
) -> None:
    photo = ("street.jpg", jpeg_bytes(), "image/jpeg")
    assert submit_report(client, report_fields(client, a_community(db).slug), [photo]).status_code == 303
    [kept] = db.exec(select(Photo)).all()
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), (1, 2, 3)).save(buffer, "JPEG")
    orphan = services.media.save(process_photo(buffer.getvalue()))  # from a form that was never sent
    three_days_ago = time.time() - 3 * 24 * 3600
    for digest in (kept.digest, orphan):
        for size in ("full", "thumb"):
            os.utime(services.media.path(digest, size), (three_days_ago, three_days_ago))
    assert "1 unused photo(s) removed" in run_jobs(services)
    assert services.media.open_bytes(orphan, "full") is None
    assert services.media.open_bytes(kept.digest, "full") and services.media.open_bytes(kept.digest, "thumb")


def test_the_jobs_remove_audit_entries_past_retention(db: Session, services: Services) -> None:
    from datetime import timedelta

    from portal.accounts.models import AuditEntry
    from portal.accounts.service import AUDIT_KEEP_DAYS
    from portal.db import utcnow

    db.add(AuditEntry(action="login", username="old", at=utcnow() - timedelta(days=AUDIT_KEEP_DAYS + 1)))
    db.add(AuditEntry(action="login", username="recent", at=utcnow() - timedelta(days=10)))
    db.commit()
    assert "audit log: 1 entries past retention removed" in run_jobs(services, photos=False)
    db.expire_all()
    assert [e.username for e in db.exec(select(AuditEntry))] == ["recent"]


# --- several instances ---------------------------------------------------------------------------


@pytest.fixture
def other_instance(settings: Settings) -> Iterator[Services]:
    """A second instance's collaborators: its own engines, on the same database."""
    other = Services.build(settings, make_engine(settings.database_url))
    yield other
    other.engine.dispose()
    other.reader.dispose()


class HeldSms(ConsoleSms):
    """A gateway that answers when the test lets it (a real one takes its time too)."""

    def __init__(self) -> None:
        super().__init__()
        self.sending = threading.Event()
        self.go_on = threading.Event()

    def send(self, phone: str, text: str) -> None:
        self.sending.set()
        assert self.go_on.wait(30), "the test never let the SMS go"
        super().send(phone, text)


def test_two_instances_running_the_jobs_at_once_send_each_sms_once(
    db: Session, services: Services, other_instance: Services
) -> None:
    project = make_project(db)
    follower_row(db, project, created_at=utcnow() - timedelta(days=2))
    make_milestone(db, project)  # news for its follower
    held = HeldSms()
    first = dataclasses.replace(services, sms=held)
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(run_jobs, first, photos=False)
        assert held.sending.wait(30)  # the first instance is in the middle of the jobs
        assert run_jobs(other_instance, photos=False) == BUSY
        held.go_on.set()
        assert "project news: 1 SMS to followers" in running.result(30)
    # Once the first run is over, the jobs run again where asked, and find the news sent.
    assert "project news: 0 SMS to followers" in run_jobs(other_instance, photos=False)
    assert len(held.sent) == 1 and len(other_instance.sms.sent) == 0  # type: ignore[attr-defined]


def test_the_runners_of_several_instances_run_the_jobs_once_per_interval(
    db: Session, services: Services, other_instance: Services
) -> None:
    assert run_jobs(services, photos=False, every=60).startswith("deadline sweep:")
    skipped = run_jobs(other_instance, photos=False, every=60)
    assert skipped.startswith("background jobs skipped: they started 0."), skipped
    # ``portal jobs run`` (cron, an operator) runs them now whatever the runners did.
    assert run_jobs(other_instance, photos=False).startswith("deadline sweep:")
    run = db.get(JobRun, "jobs")
    assert run is not None and run.finished_at is not None and run.summary.startswith("deadline sweep:")
    # Once the interval has passed, whichever instance's timer fires first runs them.
    run.started_at = utcnow() - timedelta(seconds=61)
    db.add(run)
    db.commit()
    assert run_jobs(other_instance, photos=False, every=60).startswith("deadline sweep:")
