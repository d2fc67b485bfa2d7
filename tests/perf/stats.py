"""Timing ``/stats`` at scale: the facts rebuilt, and a year's figures computed from nothing.

``time_stats_year(engine)``, ``time_stats_year_kept(engine)`` and ``time_facts_rebuild(engine)`` are
what ``scripts/bench`` calls on a database that holds the synthetic year
(``tests.perf.history.seed_history``, which writes the facts of its tickets as it goes). Run alone, it builds such a database first::

    python -m tests.perf.stats --db sqlite --tickets 100000
    python -m tests.perf.stats --db postgresql://postgres@127.0.0.1:5432/postgres --tickets 100000
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from portal.directory.service import Reference, load_reference
from portal.stats import aggregate
from portal.stats.facts import load_facts
from portal.stats.facts_table import KEPT, rebuild_facts
from portal.stats.figures import Weights
from portal.stats.period import Period, today
from portal.stats.report import Report, build_report, count_facts


def year_to(last: date | None = None) -> Period:
    """The year ending ``last`` (today): the longest period a reader usually asks for."""
    last = last or today()
    return Period(last.replace(year=last.year - 1) + timedelta(days=1), last)


def stats_year(
    engine: Engine,
    grouping: str = "department",
    last: date | None = None,
    reference: Reference | None = None,
    *,
    keep: bool = False,
) -> Report:
    """The year's report as ``/stats`` computes it: counted by the database, from the kept counts of
    closed months if there are any, and (with ``keep``) keeping those it counted. The page reads the
    reference data from a cache: pass it to leave its loading out."""
    period = year_to(last)
    if reference is None:
        with Session(engine) as session:
            reference = load_reference(session)
    with engine.begin() if keep else engine.connect() as connection:  # not committed: nothing kept
        counted = aggregate.count(connection, period, grouping)
    return build_report(counted, period, grouping, reference, locale="zh_Hans", weights=Weights(),
                        district_name="集美区")  # fmt: skip


def time_stats_year(
    engine: Engine, grouping: str = "department", last: date | None = None, runs: int = 3
) -> float:
    """Seconds to compute a year of ``/stats`` (by ``grouping``: department or street) from nothing
    (no month's counts kept), the best of ``runs``."""
    with engine.begin() as connection:
        connection.execute(delete(KEPT))
    with Session(engine) as session:
        reference = load_reference(session)
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        stats_year(engine, grouping, last, reference)
        best = min(best, time.perf_counter() - started)
    return best


def time_stats_year_kept(
    engine: Engine, grouping: str = "department", last: date | None = None, runs: int = 3
) -> float:
    """Seconds to compute a year of ``/stats`` once its closed months are kept (every request after
    the first): only the month still running and the whole year's medians are counted."""
    with Session(engine) as session:
        reference = load_reference(session)
    stats_year(engine, grouping, last, reference, keep=True)
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        stats_year(engine, grouping, last, reference, keep=True)
        best = min(best, time.perf_counter() - started)
    return best


def time_stats_year_by_replay(
    engine: Engine, grouping: str = "department", last: date | None = None
) -> float:
    """The same year by the old way, every step of the year replayed in Python: for comparison."""
    period = year_to(last)
    with Session(engine) as session:
        reference = load_reference(session)
    started = time.perf_counter()
    with engine.connect() as connection:
        counted = count_facts(load_facts(connection, period), period, grouping)
    build_report(
        counted, period, grouping, reference, locale="zh_Hans", weights=Weights(), district_name="集美区"
    )
    return time.perf_counter() - started


def time_facts_rebuild(engine: Engine) -> float:
    """Seconds to rebuild every ticket's facts (``portal stats rebuild``)."""
    started = time.perf_counter()
    rebuild_facts(engine)
    return time.perf_counter() - started


def main() -> None:
    from portal.cli import db_upgrade
    from portal.db import make_engine
    from portal.demo import load_reference_data
    from tests.perf.history import seed_history

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--db", default="sqlite", help="sqlite, or a PostgreSQL server's URL (a database is made)"
    )
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--replay", action="store_true", help="also time the old way (slow)")
    args = parser.parse_args()
    scratch = tempfile.TemporaryDirectory()
    admin: Engine | None = None
    if args.db == "sqlite":
        url = f"sqlite:///{Path(scratch.name) / 'stats.db'}"
    else:
        name = f"portal_stats_{uuid.uuid4().hex[:8]}"
        admin = create_engine(
            args.db.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(args.db).set(database=name).render_as_string(hide_password=False)
    try:
        db_upgrade(url)
        engine = make_engine(url)
        with Session(engine) as session:
            load_reference_data(session)
            session.commit()
        started = time.perf_counter()
        events = seed_history(engine, args.tickets, datetime.now(UTC), facts=False)
        print(f"seeded {args.tickets:,} tickets, {events:,} events in {time.perf_counter() - started:.1f} s")
        print(f"facts rebuilt in {time_facts_rebuild(engine):.2f} s (load average {os.getloadavg()[0]:.1f})")
        for grouping in ("department", "street"):
            seconds = time_stats_year(engine, grouping)
            print(f"/stats for a year by {grouping}, from nothing: {seconds:.3f} s (best of 3; "
                  f"load average {os.getloadavg()[0]:.1f})")  # fmt: skip
            seconds = time_stats_year_kept(engine, grouping)
            print(f"  with the closed months kept: {seconds:.3f} s")
            if args.replay:
                print(
                    f"  the old way (replaying every step): {time_stats_year_by_replay(engine, grouping):.2f} s"
                )
        engine.dispose()
    finally:
        if admin is not None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
        scratch.cleanup()


if __name__ == "__main__":
    main()
