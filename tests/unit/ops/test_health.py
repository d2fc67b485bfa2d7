"""/healthz says the process answers; /readyz says whether it can serve, and if not, what is missing."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import create_engine

from portal.app import create_app
from portal.db import make_engine
from portal.ops.views import code_revisions
from portal.services import Services
from portal.settings import Settings
from tests.live import _free_port
from tests.pages import PageClient

REDIS = "redis://127.0.0.1:6379/5"


@contextmanager
def portal_on(settings: Settings, **changes: object) -> Iterator[PageClient]:
    changed = settings.with_overrides(**changes)
    app = create_app(changed, Services.build(changed, make_engine(changed.database_url)))
    with PageClient(app=app, base_url="http://portal.test") as client:
        yield client


@contextmanager
def empty_database(database_url: str) -> Iterator[str]:
    """A new database of the same kind as the tests', with nothing in it."""
    if database_url.startswith("sqlite"):
        path = make_url(database_url).database
        yield f"sqlite:///{path}.{uuid.uuid4().hex[:8]}.empty"
        return
    admin_url = os.environ["PORTAL_TEST_DATABASE"].replace("postgresql://", "postgresql+psycopg://", 1)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"portal_empty_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def unreachable_database(settings: Settings) -> str:
    if settings.database_url.startswith("sqlite"):
        return f"sqlite:///{settings.data_dir}"  # a folder: SQLite cannot open it
    return make_url(settings.database_url).set(port=_free_port()).render_as_string(hide_password=False)


def test_ready_when_the_database_answers_and_is_migrated(client: PageClient) -> None:
    answer = client.get("/readyz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "database": "ok", "migrations": "ok"}
    assert answer.headers["cache-control"] == "no-store"
    alive = client.get("/healthz")
    assert alive.status_code == 200 and alive.json() == {"status": "ok"}


def test_alive_but_not_ready_without_a_database(settings: Settings) -> None:
    """/healthz never touches the database: it answers while the database is gone."""
    with portal_on(settings, database_url=unreachable_database(settings)) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        answer = client.get("/readyz")
        assert answer.status_code == 503
        assert answer.json() == {"status": "error", "database": "unreachable", "migrations": "not checked"}


def test_not_ready_before_the_migrations_ran(settings: Settings) -> None:
    with empty_database(settings.database_url) as url, portal_on(settings, database_url=url) as client:
        answer = client.get("/readyz")
        assert answer.status_code == 503
        assert answer.json() == {"status": "error", "database": "ok", "migrations": "missing"}


@contextmanager
def database_revision(engine: Engine, revision: str) -> Iterator[None]:
    """The database says it is at ``revision`` (as after a deploy of other code), then is put back."""
    with engine.begin() as conn:
        current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    try:
        yield
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": current})


def test_not_ready_when_the_database_is_behind_or_ahead_of_the_code(
    client: PageClient, engine: Engine
) -> None:
    heads, known = code_revisions()
    older = sorted(known - heads)[0]
    with database_revision(engine, older):
        answer = client.get("/readyz")
        assert answer.status_code == 503 and answer.json()["migrations"] == "pending"
    with database_revision(engine, "0123456789ab"):  # newer code migrated it
        answer = client.get("/readyz")
        assert answer.status_code == 503 and answer.json()["migrations"] == "unknown"
    assert client.get("/readyz").status_code == 200


def test_redis_is_checked_when_it_is_configured(settings: Settings, engine: Engine) -> None:
    with portal_on(settings, redis_url=REDIS) as client:
        answer = client.get("/readyz")
        assert answer.status_code == 200 and answer.json()["redis"] == "ok"
    with portal_on(settings, redis_url=f"redis://127.0.0.1:{_free_port()}/5") as client:
        answer = client.get("/readyz")
        assert answer.status_code == 503
        assert answer.json() == {
            "status": "error",
            "database": "ok",
            "migrations": "ok",
            "redis": "unreachable",
        }
        assert client.get("/healthz").status_code == 200
