"""What instances share through the database: the stamp that tells each one that an administrator
changed the reference rows on another. (Processes behind nginx: tests/cluster.)"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from sqlmodel import Session, col, select

from portal import cluster
from portal.accounts.models import StaffRole
from portal.app import create_app
from portal.db import make_engine
from portal.directory.models import Category
from portal.directory.service import ReferenceCache
from portal.pagecache import PageCache
from portal.places.service import GridLocator
from portal.services import Services
from portal.settings import Settings
from tests.pages import PageClient
from tests.unit.dispatch.test_views import signed_in


@pytest.fixture
def other_instance(settings: Settings) -> Iterator[Any]:
    """Another instance of the app, with its own engines and caches, on the same database."""
    services = Services.build(settings, make_engine(settings.database_url))
    yield create_app(settings, services)
    services.engine.dispose()
    services.reader.dispose()


def category_form(category: Category, client: PageClient, **changes: str) -> dict[str, str]:
    """The administrator's form for ``category`` as it stands, with ``changes``."""
    form = {
        "_csrf_token": client.csrf(),
        "name_zh_hans": category.name_zh_hans,
        "name_zh_hant": category.name_zh_hant,
        "name_en": category.name_en,
        "group": str(category.group_id),
        "department": str(category.default_department_id),
        "response_hours": str(category.response_hours),
        "resolution_days": str(category.resolution_days),
        "active": "on" if category.active else "",
    }
    form.update(changes)
    return form


def test_a_name_changed_on_another_instance_is_seen_at_the_next_look(
    db: Session, services: Services, other_instance: Any
) -> None:
    # This instance's copy reads the stamp on every look; the app's reads it once a second.
    here = ReferenceCache(services.engine, check_every=0)
    category = db.exec(select(Category).order_by(col(Category.id))).first()
    assert category is not None
    before = here.get()
    loaded = here.stamp
    assert here.get() is before and here.stamp == loaded  # nothing changed: kept in memory
    old_name = category.name_en
    try:
        with ExitStack() as stack:
            admin = signed_in(stack, other_instance, db, "boss", StaffRole.ADMIN)
            saved = admin.post(
                f"/staff/admin/categories/{category.id}",
                data=category_form(category, admin, name_en="Broken paving"),
                follow_redirects=False,
            )
            assert saved.status_code == 303
        after = here.get()
        assert after is not before and here.stamp != loaded
        assert after.category_by_slug[category.slug].name_en == "Broken paving"
    finally:
        db.refresh(category)
        category.name_en = old_name
        db.add(category)
        db.commit()


def test_the_grid_is_rebuilt_when_the_stamp_moves(db: Session, services: Services) -> None:
    locator = GridLocator(services.engine, check_every=0)
    index = locator.index()
    assert locator.index() is index  # nothing changed
    cluster.bump(db, cluster.REFERENCE)
    assert locator.index() is index  # not committed yet: other instances cannot see it
    db.commit()
    assert locator.index() is not index


def test_a_stamp_is_read_at_most_every_so_often(db: Session, services: Services) -> None:
    """The check costs one small read per interval (a second in the app), not one per request."""
    watch = cluster.StampWatch(services.engine, "a-test-stamp", every=3600)
    assert watch.moved()  # the first look
    cluster.bump(db, "a-test-stamp")
    db.commit()
    assert not watch.moved()  # looked less than an hour ago: not read again yet
    assert cluster.read_stamp(services.engine, "a-test-stamp") >= 1


def test_pages_forgotten_on_another_instance_are_forgotten_here_too(services: Services) -> None:
    """After a change the pages' versions do not cover (a survey's settings, shown on its project's
    page), the instance that made it empties its page cache, and the others theirs."""
    here = PageCache(services.engine, check_every=0)
    there = PageCache(services.engine, check_every=0)
    for cache in (here, there):
        assert cache.get("project") is None  # the first look at the stamp
        cache.put("project", "<p>rendered</p>")
    assert here.get("project") == "<p>rendered</p>"  # nothing changed: kept
    there.forget_everywhere()
    assert there.get("project") is None and here.get("project") is None
