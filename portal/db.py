"""Database engine, session dependency and the column types every feature shares."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, SQLModel, create_engine

metadata = SQLModel.metadata


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Store timestamps in UTC and always hand back timezone-aware values (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the single writer; busy_timeout queues writers instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str, *, pool: bool = True, autocommit: bool = False) -> Engine:
    """The engine for ``url``. ``autocommit`` makes a reader for single-statement reads: no BEGIN,
    no ROLLBACK when the connection goes back to the pool, so one round trip per read."""
    options: dict[str, Any] = (
        {"isolation_level": "AUTOCOMMIT", "pool_reset_on_return": None} if autocommit else {}
    )
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10}, **options)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    url = url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url
    if not pool:
        return create_engine(url, poolclass=NullPool, **options)
    # No pre-ping: it costs a round trip on every request; recycled connections cover server restarts.
    return create_engine(url, pool_size=10, max_overflow=20, pool_recycle=1800, **options)


def session_scope(engine: Engine) -> Iterator[Session]:
    """One session per request: committed when the handler returns, rolled back when it raises."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise


# The search index of projects is made per database by hand in its migration (a trigram index on
# PostgreSQL, an FTS5 table and its shadow tables on SQLite); the models do not describe it.
SEARCH_INDEX = frozenset({"ix_project_search_trgm", "project_search"})


def migration_include(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Alembic's filter: leave out what the models do not describe on purpose (the search index)."""
    return not (reflected and (name in SEARCH_INDEX or (name or "").startswith("project_search_")))
