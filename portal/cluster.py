"""What the instances of one portal share beyond the features' own rows.

Several ``portal serve`` instances (and ``portal jobs run`` from cron) work on one database. Two
things must not be decided by each process alone:

- the background jobs: one run at a time (a PostgreSQL advisory lock; on SQLite, whose database is
  one file on one machine, a lock on a file beside it), and once per interval across the cluster (the
  start of the last run is kept in ``job_run``);
- the reference rows every page shows (categories, streets, grid cells): each instance keeps them
  in memory, and an administrator's change bumps a stamp in ``change_stamp`` that every instance
  reads at most once a second (``StampWatch``), so the change shows everywhere within a second.
"""

from __future__ import annotations

import contextlib
import fcntl
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Column, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel

from portal.db import UTCDateTime, utcnow

REFERENCE = "reference"  # categories, departments, streets, communities, grid cells
JOBS_LOCK_KEY = int.from_bytes(b"jimeijob", "big")  # the advisory lock's number: any fixed bigint


class ChangeStamp(SQLModel, table=True):
    """A counter bumped in the same transaction as a change that every instance must notice."""

    __tablename__ = "change_stamp"

    name: str = Field(primary_key=True, max_length=40)
    value: int = 0


class JobRun(SQLModel, table=True):
    """When a background job last started and finished, whichever instance ran it."""

    __tablename__ = "job_run"

    name: str = Field(primary_key=True, max_length=40)
    started_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    summary: str = Field(default="", max_length=2000)


# --- change stamps ---------------------------------------------------------------------------------


def bump(session: Session, name: str) -> None:
    """Count one change of ``name``, committed with the change itself."""
    if _increment(session, name):
        return
    try:
        with session.begin_nested():
            session.add(ChangeStamp(name=name, value=1))
    except IntegrityError:  # another transaction made the row a moment ago: count on it
        _increment(session, name)


def _increment(session: Session, name: str) -> bool:
    stamp = ChangeStamp.__table__.c  # type: ignore[attr-defined]
    done = session.connection().execute(
        update(ChangeStamp.__table__).where(stamp.name == name).values(value=stamp.value + 1)  # type: ignore[attr-defined]
    )
    return bool(done.rowcount)


def read_stamp(engine: Engine, name: str) -> int:
    stamp = ChangeStamp.__table__.c  # type: ignore[attr-defined]
    with engine.connect() as connection:
        value = connection.execute(select(stamp.value).where(stamp.name == name)).scalar()
    return int(value or 0)


class StampWatch:
    """Tells whether a stamp moved since the last look, reading it at most every ``every`` seconds."""

    def __init__(self, engine: Engine, name: str, every: float = 1.0) -> None:
        self._engine = engine
        self._name = name
        self._every = every
        self._seen: int | None = None
        self._looked = -every
        self._lock = threading.Lock()

    def moved(self) -> bool:
        """True when the stamp differs from the last look (and on the first look)."""
        now = time.monotonic()
        if now - self._looked < self._every:
            return False
        with self._lock:
            if now - self._looked < self._every:
                return False
            value = read_stamp(self._engine, self._name)
            self._looked = time.monotonic()
            moved, self._seen = value != self._seen, value
            return moved


# --- the background jobs ---------------------------------------------------------------------------


@contextlib.contextmanager
def exclusive(engine: Engine) -> Iterator[bool]:
    """Whether this process may run the jobs now: True for one holder at a time across every
    instance and process, False (at once, without waiting) for the others."""
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine) as held:
            yield held
        return
    with _file_lock(engine.url.database or "") as held:
        yield held


@contextlib.contextmanager
def _advisory_lock(engine: Engine) -> Iterator[bool]:
    """A session-level advisory lock on a connection of its own, held for the whole run (the jobs
    commit several times); PostgreSQL releases it by itself if this process dies."""
    connection = engine.connect()
    try:
        held = bool(
            connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": JOBS_LOCK_KEY}).scalar()
        )
        connection.commit()
        try:
            yield held
        finally:
            if held:
                try:
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": JOBS_LOCK_KEY})
                    connection.commit()
                except Exception:
                    connection.invalidate()  # closing the connection releases the lock
                    raise
    finally:
        connection.close()


_MEMORY_LOCK = threading.Lock()


@contextlib.contextmanager
def _file_lock(database: str) -> Iterator[bool]:
    """An exclusive lock on a file beside the SQLite database: every process on this machine that
    uses it (several workers, cron) sees it; the system drops it when its holder dies."""
    if not database or database == ":memory:":
        held = _MEMORY_LOCK.acquire(blocking=False)
        try:
            yield held
        finally:
            if held:
                _MEMORY_LOCK.release()
        return
    with open(Path(f"{database}.jobs-lock"), "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def last_start(engine: Engine, name: str) -> datetime | None:
    with Session(engine) as session:
        run = session.get(JobRun, name)
        return run.started_at if run else None


def due(engine: Engine, name: str, every: float, now: datetime) -> bool:
    """Whether ``name`` last started ``every`` seconds or more ago (or never). Ask while holding
    ``exclusive``: then nobody starts it between this answer and ``started``."""
    started = last_start(engine, name)
    return started is None or now - started >= timedelta(seconds=every)


def started(engine: Engine, name: str, now: datetime) -> None:
    with Session(engine) as session:
        run = session.get(JobRun, name) or JobRun(name=name, started_at=now)
        run.started_at, run.finished_at = now, None
        session.add(run)
        session.commit()


def finished(engine: Engine, name: str, summary: str) -> None:
    with Session(engine) as session:
        run = session.get(JobRun, name)
        if run is not None:
            run.finished_at, run.summary = utcnow(), summary[:2000]
            session.add(run)
            session.commit()
