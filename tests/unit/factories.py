"""Small builders for test data and form posts, with sensible defaults."""

from __future__ import annotations

import io
import re
from typing import Any

from PIL import Image
from sqlmodel import Session, select

from portal.places.models import Community
from tests.pages import PageClient

KEY_PATTERN = re.compile(r'name="form_key" value="([^"]+)"')
CODE_PATTERN = re.compile(r'class="tracking-code"[^>]*><strong[^>]*>([A-Z0-9-]+)</strong>')


def jpeg_bytes(width: int = 800, height: int = 600, color: tuple[int, int, int] = (200, 80, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def a_community(db: Session) -> Community:
    community = db.exec(select(Community).order_by(Community.id)).first()  # type: ignore[arg-type]
    assert community is not None, "reference data missing"
    return community


def report_form(client: PageClient) -> dict[str, str]:
    page = client.get("/report")
    match = KEY_PATTERN.search(page.text)
    assert match, "the report form carries a one-time key"
    return {"form_key": match.group(1), "_csrf_token": client.csrf()}


def report_fields(client: PageClient, community_slug: str, **overrides: Any) -> dict[str, str]:
    fields = {
        **report_form(client),
        "category": "road-damage",
        "description": "乐海路人行道有一块地砖松动，老人经过容易绊倒。",
        "community": community_slug,
        "address": "乐海路12号门口",
        "name": "陈美玲",
        "phone": "13859201234",
        "visibility": "public",
    }
    fields.update({k: str(v) for k, v in overrides.items()})
    return fields


def submit_report(
    client: PageClient, fields: dict[str, str], photos: list[tuple[str, bytes, str]] | None = None
) -> Any:
    files = [("photos", photo) for photo in photos or []]
    return client.post("/report", data=fields, files=files or None, follow_redirects=False)


def code_on(html: str) -> str:
    match = CODE_PATTERN.search(html)
    assert match, "the confirmation page shows the tracking code"
    return match.group(1)


def resolve_ticket(db: Any, services: Any, ticket: Any, tag: str = "") -> None:
    """Take a reported ticket through dispatch, accept and resolve, as staff would (committed)."""
    from sqlmodel import col

    from portal.accounts.models import StaffRole
    from portal.accounts.service import create_user
    from portal.directory.models import Department
    from portal.dispatch import service as steps
    from portal.tickets.service import StoredPhoto

    department = db.exec(select(Department).order_by(col(Department.id))).first()
    centre = create_user(
        db, username=f"centre{tag}", password="a long enough password", role=StaffRole.DISPATCHER
    )
    worker = create_user(
        db,
        username=f"worker{tag}",
        password="a long enough password",
        role=StaffRole.DEPARTMENT,
        department_id=department.id,
    )
    steps.dispatch(
        steps.Context.make(
            db, centre, "test", services.sms, services.settings.base_url, secret=services.settings.secret_key
        ),
        ticket,
        department.id,
    )
    ctx = steps.Context.make(
        db, worker, "test", services.sms, services.settings.base_url, secret=services.settings.secret_key
    )
    steps.accept(ctx, ticket)
    steps.resolve(ctx, ticket, "已修好", "", [StoredPhoto("c" * 64, 10, 10)])
    db.commit()
