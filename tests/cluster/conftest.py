"""Every test here starts real processes: ``portal serve`` instances and nginx (see harness.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import Session

from portal.accounts.models import StaffRole
from portal.accounts.service import create_user

PASSWORD = "cluster-test-password"


@pytest.fixture
def staff(db: Session) -> Iterator[str]:
    """A dispatcher's account (removed with the other staff rows after the test)."""
    create_user(db, username="centre.li", password=PASSWORD, role=StaffRole.DISPATCHER)
    db.commit()
    yield "centre.li"


@pytest.fixture
def admin(db: Session) -> Iterator[str]:
    create_user(db, username="admin.wu", password=PASSWORD, role=StaffRole.ADMIN)
    db.commit()
    yield "admin.wu"
