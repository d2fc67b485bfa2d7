"""What instances share through the database: the stamp that tells each one that an administrator
changed the reference rows on another. (Processes behind nginx: tests/cluster.)"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
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


def first_words_of_serve(tmp_path: Path, *arguments: str, **variables: str) -> str:
    """What ``portal serve`` prints first (uvicorn's own log lines come after its checks)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(
        PORTAL_DATA_DIR=str(tmp_path), PORTAL_DATABASE_URL="sqlite://", PORTAL_SECRET_KEY="x", **variables
    )
    command = [sys.executable, "-m", "portal.cli", "serve", "--port", "0", *arguments]
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        return process.stderr.readline()
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_several_workers_without_redis_are_warned_that_each_counts_the_limits_alone(tmp_path: Path) -> None:
    warning = first_words_of_serve(tmp_path, "--workers", "2")
    assert '"level": "WARNING"' in warning and "PORTAL_REDIS_URL is not set" in warning
    shared = first_words_of_serve(tmp_path, "--workers", "2", PORTAL_REDIS_URL="redis://127.0.0.1:6379/8")
    assert "PORTAL_REDIS_URL" not in shared
    assert "PORTAL_REDIS_URL" not in first_words_of_serve(tmp_path)  # one process on SQLite: the default


def test_the_load_balancers_error_page_tells_a_resident_to_send_the_form_again(client: PageClient) -> None:
    for language, words in (
        ("zh-Hans", "请返回上一页再提交一次"),
        ("zh-Hant", "請返回上一頁再提交一次"),
        ("en", "send it again"),
    ):
        page = client.get(f"/errors/unavailable?lang={language}")
        assert page.status_code == 503 and words in page.text and page.headers["cache-control"] == "no-store"
