"""The district-scale run of ``scripts/bench --scale``: a year of 300,000 tickets on PostgreSQL.

It bulk-loads the synthetic year of ``tests/perf/history.py`` (COPY on PostgreSQL), brings the
board's counters and the figures' facts up to date as a migration would, starts one
``portal serve --workers 1`` and measures with wrk at 10 connections the board's first page, a
street+category filter, the 500th page of closed tickets and a ticket page: once with no writes,
once while another process adds one ticket event per second through the service layer (new
reports and closings, as the day brings them). It samples the server's memory throughout and times
``/stats`` for a year computed from nothing (by department and by street).
"""

from __future__ import annotations

import argparse
import contextlib
import random
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from tests.perf.bench import (
    CONNECTIONS,
    GET_MAX_P99_MS,
    GET_MIN_RPS,
    PROJECT_ROOT,
    WARMUP_SECONDS,
    BenchError,
    DbRun,
    Server,
    wrk,
)

MEMORY_MAX_MB = 300.0
STATS_MAX_S = {"postgresql": 1.0, "sqlite": 3.0}  # a year at 100,000 tickets, computed from nothing
CLOSED_PAGE = 500
WRITES_PER_SECOND = 1.0


# --- the bulk load -------------------------------------------------------------------------------


def bulk_load(engine: Any, tickets: int, end: datetime, seed: int = 2026) -> int:
    """The synthetic year of ``history.seed_history``, written with COPY on PostgreSQL (executemany
    on SQLite), then the board's counters and the figures' facts rebuilt. Returns the events written."""
    from tests.perf.history import seed_history

    if engine.dialect.name != "postgresql":
        written = seed_history(engine, tickets, end, seed, facts=False)
    else:
        written = _copy_history(engine, tickets, end, seed)
    after_bulk_load(engine)
    return written


def after_bulk_load(engine: Any) -> None:
    """What a bulk load that bypassed the ORM must bring up to date: counters, facts, planner statistics."""
    from portal.stats.facts_table import rebuild_facts
    from portal.tickets.counts import rebuild_counts

    with engine.begin() as connection:
        rebuild_counts(connection)
    rebuild_facts(engine)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")


def _copy_history(engine: Any, tickets: int, end: datetime, seed: int) -> int:
    from sqlalchemy import select

    from portal.directory.models import Category
    from portal.places.models import Community
    from portal.tickets.models import Ticket
    from tests.perf.history import BATCH, _one

    rng = random.Random(seed)
    with engine.begin() as connection:
        categories = connection.execute(
            select(Category.__table__.c.id, Category.__table__.c.default_department_id)  # type: ignore[attr-defined]
        ).all()
        communities = connection.execute(
            select(Community.__table__.c.id, Community.__table__.c.street_id)  # type: ignore[attr-defined]
        ).all()
        first_id = (connection.execute(select(Ticket.__table__.c.id).order_by(Ticket.__table__.c.id.desc()).limit(1)).scalar() or 0) + 1  # type: ignore[attr-defined]  # fmt: skip
    written = 0
    tables = {"ticket": "ticket", "event": "ticket_event", "rating": "rating", "order": "supervision_order"}
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for start in range(0, tickets, BATCH * 5):
            rows: dict[str, list[dict[str, Any]]] = {"ticket": [], "event": [], "rating": [], "order": []}
            for n in range(start, min(start + BATCH * 5, tickets)):
                _one(rng, first_id + n, end, categories, communities, rows)
            for kind, table in tables.items():
                if not rows[kind]:
                    continue
                columns = list(rows[kind][0])
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows[kind]:
                        copy.write_row([row[c] for c in columns])
            written += len(rows["event"])
        for table in ("ticket", "ticket_event", "rating", "supervision_order"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        raw.commit()
    finally:
        raw.close()
    return written


# --- the write stream ----------------------------------------------------------------------------


def write_stream(database_url: str, per_second: float, seconds: float) -> int:
    """One ticket event every 1/per_second seconds for ``seconds``, through the service layer: a new
    report, then a resolved ticket closed, in turn. Returns the events written."""
    from sqlmodel import Session, col, select

    from portal.db import make_engine
    from portal.directory.models import Category
    from portal.places.models import Community
    from portal.tickets.forms import CleanReport
    from portal.tickets.lifecycle import Action, Role, Status
    from portal.tickets.models import Ticket
    from portal.tickets.service import record_event, submit_report

    engine = make_engine(database_url)
    rng = random.Random(11)
    written = 0
    started = time.monotonic()
    with Session(engine, expire_on_commit=False) as session:
        categories = list(session.exec(select(Category).where(col(Category.active).is_(True))))
        communities = list(session.exec(select(Community)))
        resolved = list(
            session.exec(select(Ticket.id).where(Ticket.status == Status.RESOLVED.value).limit(20_000))
        )
    rng.shuffle(resolved)
    print("ready", flush=True)
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        due = started + written / per_second
        time.sleep(max(0.0, due - time.monotonic()))
        with Session(engine, expire_on_commit=False) as session:
            if written % 2 == 0:
                report = CleanReport(
                    category=rng.choice(categories), description="路灯不亮，晚上走路看不清。（压力测试）",
                    is_public=True, address="", name="", phone="", community=rng.choice(communities),
                )  # fmt: skip
                submit_report(session, report, [], key=f"scale-{time.time_ns()}-{written}")
            else:
                ticket = session.get(Ticket, resolved.pop())
                assert ticket is not None
                record_event(session, ticket, Action.CLOSE, Role.SYSTEM)
            session.commit()
        written += 1
    engine.dispose()
    return written


# --- memory --------------------------------------------------------------------------------------


class MemoryWatch:
    """The resident memory of a process and its children, sampled every half second: the peak."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def sample(self) -> float:
        total = 0
        for pid in [self.pid, *_children(self.pid)]:
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        return total / 1024

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, self.sample())
            self._stop.wait(0.5)


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            found += [int(child), *_children(int(child))]
    return found


# --- the run -------------------------------------------------------------------------------------


@dataclass
class ScaleRow:
    label: str
    path: str
    quiet: dict[str, float]
    writing: dict[str, float]


def scale_paths(database_url: str) -> list[tuple[str, str]]:
    """The four pages of the table: the board, a street+category filter, the 500th page of closed
    tickets (by its position, as the "older" links write it) and a ticket page."""
    from sqlalchemy import func, select

    from portal.db import make_engine
    from portal.directory.models import Category
    from portal.places.models import Street
    from portal.tickets.models import Ticket
    from portal.tickets.service import PAGE_SIZE, Position

    engine = make_engine(database_url)
    ticket = Ticket.__table__.c  # type: ignore[attr-defined]
    with engine.connect() as connection:
        street_id, category_id = connection.execute(
            select(ticket.street_id, ticket.category_id)
            .group_by(ticket.street_id, ticket.category_id)
            .order_by(func.count().desc())
            .limit(1)
        ).one()
        street = connection.execute(select(Street.__table__.c.slug).where(Street.__table__.c.id == street_id)).scalar()  # type: ignore[attr-defined]  # fmt: skip
        category = connection.execute(select(Category.__table__.c.slug).where(Category.__table__.c.id == category_id)).scalar()  # type: ignore[attr-defined]  # fmt: skip
        deep = connection.execute(
            select(ticket.created_at, ticket.id)
            .where(ticket.is_public.is_(True), ticket.status == "closed")
            .order_by(ticket.created_at.desc(), ticket.id.desc())
            .offset((CLOSED_PAGE - 1) * PAGE_SIZE - 1)
            .limit(1)
        ).one_or_none()
        if deep is None:
            raise BenchError(f"fewer than {CLOSED_PAGE} pages of closed tickets: load more tickets")
        code = connection.execute(select(ticket.code).where(ticket.status == "closed").limit(1)).scalar()
    engine.dispose()
    at = deep.created_at if deep.created_at.tzinfo else deep.created_at.replace(tzinfo=UTC)
    return [
        ("board, first page", "/tickets"),
        ("board, street+category", f"/tickets?street={street}&category={category}"),
        (f"board, page {CLOSED_PAGE} of closed", f"/tickets?status=closed&before={Position(at, deep.id)}"),
        ("ticket page", f"/t/{code}"),
    ]


def measure(wrk_bin: str, base: str, path: str, duration: int) -> dict[str, float]:
    wrk(wrk_bin, base + path, WARMUP_SECONDS)
    result = wrk(wrk_bin, base + path, duration)
    if result.non_2xx_3xx or result.socket_errors:
        raise BenchError(
            f"{path}: {result.non_2xx_3xx} answers not 2xx/3xx, {result.socket_errors} socket errors"
        )
    return {"rps": result.rps, "p50_ms": result.p50_ms, "p99_ms": result.p99_ms}


@contextlib.contextmanager
def writer(database_url: str, seconds: float) -> Iterator[subprocess.Popen[str]]:
    """The write stream in a process of its own (as another instance or a staff member would be)."""
    command = [
        sys.executable,
        "-m",
        "tests.perf.scale",
        "write",
        database_url,
        str(WRITES_PER_SECOND),
        str(seconds),
    ]
    with subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True) as proc:
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.terminate()
            proc.wait(30)


def run_scale(
    run: DbRun, wrk_bin: str, handle: Server, database_url: str, duration: int, tickets: int
) -> None:
    """The district table, with and without the write stream, the memory peak and /stats cold."""
    paths = scale_paths(database_url)
    rows: list[ScaleRow] = []
    with MemoryWatch(handle.proc.pid) as memory:
        quiet = {label: measure(wrk_bin, handle.base, path, duration) for label, path in paths}
        total = len(paths) * (duration + WARMUP_SECONDS) + 10
        with writer(database_url, total) as proc:
            if proc.stdout is None or proc.stdout.readline().strip() != "ready":
                raise BenchError("the write stream did not start")
            time.sleep(2)
            writing = {label: measure(wrk_bin, handle.base, path, duration) for label, path in paths}
            proc.terminate()
        rows = [ScaleRow(label, path, quiet[label], writing[label]) for label, path in paths]
        stats = stats_cold(handle.base)
        crawled = crawl(handle.base, database_url, CRAWL_PAGES)
        peak = memory.peak_mb
    for row in rows:
        for when, figures in (("no writes", row.quiet), ("1 event/s", row.writing)):
            detail = f"{row.path}; p50 {figures['p50_ms']:.1f} ms; {tickets:,} tickets"
            run.add(f"{row.label} ({when})", "p99", figures["p99_ms"], "ms", f"< {GET_MAX_P99_MS:.0f}",
                    figures["p99_ms"] < GET_MAX_P99_MS, detail)  # fmt: skip
            run.add(f"{row.label} ({when})", "req/s", figures["rps"], "req/s", f">= {GET_MIN_RPS:.0f}",
                    figures["rps"] >= GET_MIN_RPS, detail)  # fmt: skip
    for label, seconds in stats.items():
        run.add(label, "time", seconds, "s", "(see the 100,000-ticket run)", True, f"{tickets:,} tickets")
    run.add("memory of the instance", "peak RSS", peak, "MB", f"< {MEMORY_MAX_MB:.0f}", peak < MEMORY_MAX_MB,
            f"sampled every 0.5 s through the whole run, {crawled:,} distinct pages crawled at the end")  # fmt: skip
    run.extra["scale"] = {
        "tickets": tickets,
        "rows": [asdict(r) for r in rows],
        "stats": stats,
        "peak_mb": peak,
    }


CRAWL_PAGES = 6_000


def crawl(base: str, database_url: str, pages: int) -> int:
    """Read ``pages`` distinct ticket pages and older board pages, as a search engine's crawler
    would, so that the page cache fills to its bound while the memory is watched."""
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import select

    from portal.db import make_engine
    from portal.tickets.models import Ticket
    from portal.tickets.service import Position

    engine = make_engine(database_url)
    ticket = Ticket.__table__.c  # type: ignore[attr-defined]
    with engine.connect() as connection:
        rows = connection.execute(
            select(ticket.code, ticket.created_at, ticket.id)
            .where(ticket.is_public.is_(True), ticket.status != "merged")
            .order_by(ticket.id)
            .limit(pages)
        ).all()
    engine.dispose()
    paths = [f"/t/{row.code}" for row in rows[: pages * 5 // 6]]
    paths += [
        f"/tickets?before={Position(r.created_at if r.created_at.tzinfo else r.created_at.replace(tzinfo=UTC), r.id)}"
        for r in rows[pages * 5 // 6 :]
    ]

    def read(chunk: list[str]) -> int:
        with httpx.Client(base_url=base, timeout=30) as client:
            return sum(client.get(path).status_code == 200 for path in chunk)

    with ThreadPoolExecutor(4) as pool:
        read_ok = sum(pool.map(read, [paths[n::4] for n in range(4)]))
    if read_ok != len(paths):
        raise BenchError(f"the crawl read {read_ok} of {len(paths)} pages")
    return read_ok


def stats_cold(base: str) -> dict[str, float]:
    """``/stats`` for the year to today, computed from nothing (each asked once, by department and by street)."""
    from portal.stats.period import today

    last = today()
    first = last.replace(year=last.year - 1) + timedelta(days=1)
    found = {}
    for label, query in (
        ("GET /stats (year, cold)", f"from={first}&to={last}"),
        ("GET /stats (year by street, cold)", f"from={first}&to={last}&by=street"),
    ):
        started = time.perf_counter()
        response = httpx.get(f"{base}/stats?{query}", timeout=600)
        found[label] = time.perf_counter() - started
        if response.status_code != 200:
            raise BenchError(f"/stats?{query} answered {response.status_code}")
    return found


def print_scale_table(run: DbRun) -> None:
    """The issue's table: p99 and req/s per page, without and with the write stream."""
    scale = run.extra.get("scale")
    if not scale:
        return
    print(f"\n{run.db}, {scale['tickets']:,} tickets, one worker, wrk at {CONNECTIONS} connections:")
    print(f"  {'':32} {'no writes':>24} {'one ticket event per second':>30}")
    for row in scale["rows"]:
        quiet, writing = row["quiet"], row["writing"]
        print(f"  {row['label']:32} {quiet['p99_ms']:8.1f} ms {quiet['rps']:8,.0f} req/s "
              f"{writing['p99_ms']:12.1f} ms {writing['rps']:8,.0f} req/s")  # fmt: skip
    for label, seconds in scale["stats"].items():
        print(f"  {label:32} {seconds:8.2f} s")
    print(f"  {'peak memory of the instance':32} {scale['peak_mb']:8.0f} MB")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf.scale")
    sub = parser.add_subparsers(dest="command", required=True)
    write = sub.add_parser("write", help="the write stream (run by the bench)")
    write.add_argument("database_url")
    write.add_argument("per_second", type=float)
    write.add_argument("seconds", type=float)
    args = parser.parse_args(argv)
    written = write_stream(args.database_url, args.per_second, args.seconds)
    print(f"{written} events written", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


# --- the whole --scale run (called by tests/perf/bench.py) ---------------------------------------


def scale_database(
    kind: str, database_url: str, workdir: Path, args: argparse.Namespace, wrk_bin: str
) -> DbRun:
    """On a fresh database: /stats for a year at ``--stats-scale-tickets`` tickets, then (PostgreSQL)
    the district table at ``--scale-tickets``."""
    import secrets

    from portal.db import make_engine
    from tests.perf.bench import portal_env, run_portal, server

    run = DbRun(kind)
    env = portal_env(database_url, workdir / "data", secrets.token_urlsafe(32))
    env["PORTAL_JOBS_INTERVAL"] = "0"  # the deadline sweep would otherwise write into the measurement
    print(f"== {kind}: migrating and loading demonstration data", flush=True)
    run_portal(["db", "upgrade"], env)
    run_portal(["demo"], env)
    engine = make_engine(database_url)
    end = datetime.now(UTC)
    loaded = 0

    def load(up_to: int) -> None:
        nonlocal loaded
        started = time.perf_counter()
        events = bulk_load(engine, up_to - loaded, end, seed=up_to)
        seconds = time.perf_counter() - started
        print(f"   loaded {up_to - loaded:,} tickets ({events:,} events) in {seconds:.0f} s", flush=True)
        run.extra.setdefault("loads", []).append(
            {"tickets": up_to - loaded, "events": events, "seconds": seconds}
        )
        loaded = up_to

    print(f"== {kind}: a year of {args.stats_scale_tickets:,} tickets for /stats", flush=True)
    load(args.stats_scale_tickets)
    with server(env, workdir / "server-stats.log") as handle:
        for label, seconds in stats_cold(handle.base).items():
            budget = STATS_MAX_S[kind]
            run.add(label, "time", seconds, "s", f"< {budget:.0f}", seconds < budget,
                    f"{loaded:,} tickets, computed from nothing")  # fmt: skip
    if kind == "postgresql":
        print(f"== {kind}: the district table at {args.scale_tickets:,} tickets", flush=True)
        load(args.scale_tickets)
        with server(env, workdir / "server-scale.log") as handle:
            run_scale(run, wrk_bin, handle, database_url, args.duration, loaded)
    engine.dispose()
    return run
