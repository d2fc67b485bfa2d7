"""The background jobs as cron runs them: ``run_jobs`` on the real database and media folder."""

from __future__ import annotations

import io
import os
import time

from PIL import Image
from sqlmodel import Session, select

from portal.jobs import run_jobs
from portal.media import process_photo
from portal.services import Services
from portal.tickets.models import Photo
from tests.pages import PageClient
from tests.unit.factories import a_community, jpeg_bytes, report_fields, submit_report


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
