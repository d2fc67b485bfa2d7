"""Shared fixtures: a real database (SQLite or PostgreSQL, chosen by PORTAL_TEST_DATABASE), migrated
once per test process; the app; and a test client that checks every page it fetches."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from portal.app import create_app
from portal.cli import db_upgrade
from portal.db import make_engine
from portal.demo import load_reference_data
from portal.services import Services
from portal.settings import Settings
from tests.pages import PageClient

TEST_SECRET = "test-secret-key-not-for-production"


def _on_postgresql() -> bool:
    return os.environ.get("PORTAL_TEST_DATABASE", "sqlite").startswith("postgresql")


CLUSTER_DESELECTED = (
    "tests/cluster (several portal instances behind nginx) need PostgreSQL and Redis: "
    "deselected on SQLite (they run in scripts/test's PostgreSQL pass)"
)


CLUSTER_DIR = Path(__file__).resolve().parent / "cluster"


def _asks_for_cluster(config: pytest.Config) -> bool:
    """Whether the paths given (or the test paths) include tests/cluster."""
    for arg in config.args or ["."]:
        path = Path(str(arg).split("::")[0]).resolve()
        if path == CLUSTER_DIR or CLUSTER_DIR in path.parents or path in CLUSTER_DIR.parents:
            return True
    return False


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Said at the end of the run, also with -q and on every worker's behalf under xdist."""
    if not _on_postgresql() and _asks_for_cluster(config):
        terminalreporter.write_line(f"NOTE: {CLUSTER_DESELECTED}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Several instances share PostgreSQL (SQLite is one file on one machine): on SQLite the tests of
    tests/cluster are deselected, and the header of the run says so."""
    if _on_postgresql():
        return
    cluster = [item for item in items if item.nodeid.startswith("tests/cluster/")]
    if cluster:
        config.hook.pytest_deselected(items=cluster)
        items[:] = [item for item in items if not item.nodeid.startswith("tests/cluster/")]


def _pg_admin_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    choice = os.environ.get("PORTAL_TEST_DATABASE", "sqlite")
    if choice == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'portal.db'}"
        return
    name = f"portal_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(_pg_admin_url(choice), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(_pg_admin_url(choice)).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data_dir = tmp_path_factory.mktemp("data")
    return Settings.from_env().with_overrides(
        data_dir=data_dir,
        database_url=database_url,
        redis_url="",
        secret_key=TEST_SECRET,
        media_dir=data_dir / "media",
        base_url="http://portal.test",
        sms_adapter="console",
        jobs_interval=0,
        stats_max_age=0,  # the figures follow every step at once
    )


_ENGINE: list[Engine] = []


def current_engine() -> Engine | None:
    """The session's engine, for module-level teardown functions."""
    return _ENGINE[0] if _ENGINE else None


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    db_upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        load_reference_data(session)
        session.commit()
    _ENGINE.append(engine)
    yield engine
    _ENGINE.clear()
    engine.dispose()


@pytest.fixture(scope="session")
def services(settings: Settings, engine: Engine) -> Services:
    return Services.build(settings, engine)


@pytest.fixture(scope="session")
def app(settings: Settings, services: Services):  # type: ignore[no-untyped-def]
    return create_app(settings, services)


PROGRESS_TABLES = (
    "survey_answer",
    "survey_response",
    "survey_draft",
    "survey_version",
    "survey",
    "project_follower",
    "project_ticket",
    "campaign_category",
    "story_image",
    "story_text",
    "story",
    "milestone",
    "project_photo",
    "project_area",
    "project_department",
)


def clear_projects_and_stories(engine: Engine) -> None:
    """Every survey, project and story, and what hangs on them (they refer to tickets and staff accounts)."""
    with engine.begin() as conn:
        for table in PROGRESS_TABLES:
            conn.execute(text(f"DELETE FROM {table}"))
        conn.execute(text("UPDATE project SET parent_id = NULL"))
        conn.execute(text("DELETE FROM project"))
        if engine.dialect.name == "sqlite":
            conn.execute(text("DELETE FROM project_search"))


TICKET_TABLES = (
    "board_count",
    "stat_month",  # the kept counts of closed months: raw deletes below do not stamp them
    "stat_month_stamp",
    "audit_log",
    "rating",
    "evaluation",
    "peer_request",
    "supervision_order",
    "staff_session",
    "staff_user",
    "follower",
    "photo",
    "ticket_event",
    "ticket",
    "used_code",
    "job_run",
)


@pytest.fixture(autouse=True)
def _clean_slate(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test starts with no tickets, fresh rate limits, an empty SMS outbox and page cache."""
    if "engine" not in request.fixturenames:
        yield
        return
    engine: Engine = request.getfixturevalue("engine")
    services: Services = request.getfixturevalue("services")
    app = request.getfixturevalue("app")
    yield
    clear_projects_and_stories(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE ticket SET merged_into_id = NULL"))
        conn.execute(text("UPDATE department SET duty_phone = ''"))
        for table in TICKET_TABLES:
            conn.execute(text(f"DELETE FROM {table}"))
    services.limiter.reset()
    services.reference.invalidate()
    services.sms.sent.clear()  # type: ignore[attr-defined]
    app.state.page_cache.clear()
    app.state.stats_reports.clear()
    app.state.stats_tickets.clear()


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def client(app) -> Iterator[PageClient]:  # type: ignore[no-untyped-def]
    with PageClient(app=app, base_url="http://portal.test") as test_client:
        yield test_client


@pytest.fixture
def photo_dir(tmp_path: Path) -> Path:
    return tmp_path
