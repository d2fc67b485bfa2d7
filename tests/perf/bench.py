"""The portal's performance benchmark: ``scripts/bench`` (``python -m tests.perf.bench``).

For each database (SQLite, PostgreSQL) it builds a fresh data folder and database, migrates it, loads
the demonstration data, starts ``portal serve --workers 1`` on a free port of 127.0.0.1 and measures:

* ``get``: requests per second and p50/p99 latency of ``GET /t/{code}`` and ``GET /tickets`` with
  wrk at 10 connections (after a short warm-up);
* ``surge``: 200 concurrent ``POST /report`` submissions (each with its own CSRF cookie and token and
  its own one-time form key, a few sent twice to simulate double taps), then checks every key made
  exactly one ticket;
* ``size``: the gzip bytes of each public page's first visit (HTML + the CSS and JS it references).
* ``lighthouse``: Lighthouse's mobile performance score (simulated slow 4G, a mid-range phone) of
  each public page, and of two in elder mode, with Debian's Chromium; Lighthouse itself is installed
  on first use into ``.bench-tools/`` from npm (it is not needed to run or test the portal).
* ``stats``: adds a year of synthetic history (``--stats-tickets``, default 20,000 tickets) and
  times ``/stats`` for a whole year computed from nothing (cold), then its cached throughput with wrk.
* ``surveys``: a survey of 50,000 responses (``--survey-responses``) whose results are computed from
  nothing in under 1 s on PostgreSQL, a surge of 200 concurrent survey responses stored once each,
  and the results page's weight (``tests/perf/surveys.py``).

It prints a table with PASS/FAIL per budget, writes ``bench-results/latest.json`` and exits 1 when a
budget fails (unless ``--no-fail``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

PROJECT_ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = PROJECT_ROOT / ".venv" / "bin"
RESULTS_DIR = PROJECT_ROOT / "bench-results"
HOST = "127.0.0.1"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"

# Budgets.
GET_MIN_RPS = 1000.0
GET_MAX_P99_MS = 50.0
PAGE_MAX_BYTES = 60 * 1024
STATS_COLD_MAX_S = 5.0
LIGHTHOUSE_VERSION = "12.8.2"
LIGHTHOUSE_MIN_SCORE = 95
CHROMIUM_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update "
    "--disable-sync --disable-quic --no-first-run"
)  # a year of figures, computed from nothing, on one worker

CONNECTIONS = 10
WARMUP_SECONDS = 2
SURGE_SIZE = 200
DOUBLE_TAPS = 10
SURGE_TIMEOUT_SECONDS = 120.0
# The demonstration data's project and story (portal/demo_progress.py) stand for their kinds of page.
DEMO_PROJECT = "/progress/shili-changdi"
DEMO_STORY = "/stories/shili-changdi-railings-late"
DEMO_SURVEY = "/surveys/shili-changdi-manyidu"
PUBLIC_PAGES = [
    "/", "/report", "/tickets", "/track", "/t/{code}", "/stats", "/progress", DEMO_PROJECT, DEMO_STORY,
    "/surveys", DEMO_SURVEY, f"{DEMO_SURVEY}/results",
]  # fmt: skip
CODE_LINK = re.compile(r'href="/t/([A-Z0-9]{4}-[A-Z0-9]{4})"')


class BenchError(RuntimeError):
    """The benchmark itself could not run (not a budget failure)."""


@dataclass
class Check:
    """One measured figure against its budget."""

    db: str
    test: str
    metric: str
    value: float
    unit: str
    budget: str
    passed: bool
    detail: str = ""


@dataclass
class DbRun:
    db: str
    checks: list[Check] = field(default_factory=list)
    skipped: str = ""
    error: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def add(self, *args: Any, **kwargs: Any) -> None:
        self.checks.append(Check(self.db, *args, **kwargs))


# --- environment ---------------------------------------------------------------------------------


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise BenchError("wrk is missing; install it with: sudo apt-get install -y wrk")
    print("== installing wrk (apt-get)", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update"], check=True, env=env, timeout=300)
    subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, env=env, timeout=300)
    found = shutil.which("wrk")
    if not found:
        raise BenchError("apt-get installed wrk but it is not on PATH")
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def pg_admin_url() -> str:
    return os.environ.get("PORTAL_BENCH_PG_URL", DEFAULT_PG_URL)


def _sqlalchemy_url(url: str) -> str:
    return (
        url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url
    )


def _check_local(url: str) -> None:
    host = urlsplit(url).hostname
    if host not in {"127.0.0.1", "localhost", None, ""}:
        raise BenchError(f"only 127.0.0.1 targets are allowed, not {host}")


def pg_answers(url: str) -> str | None:
    """None when the server answers, else why not."""
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=3).close()
    except Exception as problem:
        return str(problem).strip().splitlines()[0] if str(problem).strip() else type(problem).__name__
    return None


@contextlib.contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A fresh ``portal_bench_<random>`` database on the admin URL's server, dropped afterwards."""
    import psycopg
    from psycopg import sql

    _check_local(admin_url)
    name = f"portal_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    parts = urlsplit(admin_url)
    try:
        yield parts._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def portal_env(database_url: str, data_dir: Path, secret: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(
        PORTAL_DATABASE_URL=database_url,
        PORTAL_DATA_DIR=str(data_dir),
        PORTAL_SECRET_KEY=secret,
        PORTAL_RATE_REPORT="100000/hour",
        PORTAL_REDIS_URL="",
        PORTAL_SMS_ADAPTER="console",
        PORTAL_DEBUG="0",
    )
    return env


def run_portal(args: list[str], env: dict[str, str], timeout: float = 300) -> None:
    done = subprocess.run(
        [str(VENV_BIN / "portal"), *args],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"portal {' '.join(args)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")


@dataclass
class Server:
    base: str
    proc: subprocess.Popen[bytes]
    log_path: Path

    def problem(self, what: str) -> BenchError:
        """A BenchError that says whether the server still runs, with the end of its log."""
        state = "still runs" if self.proc.poll() is None else f"EXITED with {self.proc.returncode}"
        tail = self.log_path.read_text(errors="replace")[-3000:]
        return BenchError(f"{what} (the server {state}); end of its log:\n{tail}")


@contextlib.contextmanager
def server(env: dict[str, str], log_path: Path) -> Iterator[Server]:
    """``portal serve --workers 1`` on a free port, once /healthz answers 200."""
    port = free_port()
    base = f"http://{HOST}:{port}"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [str(VENV_BIN / "portal"), "serve", "--host", HOST, "--port", str(port), "--workers", "1"],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        handle = Server(base, proc, log_path)
        try:
            deadline = time.monotonic() + 30
            while True:
                if proc.poll() is not None:
                    raise handle.problem("the server did not start")
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise handle.problem("/healthz did not answer in 30 s")
                time.sleep(0.2)
            yield handle
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)


def ticket_code(base: str) -> str:
    """A public ticket's code, from the first page of the board."""
    html = httpx.get(f"{base}/tickets", timeout=10).text
    found = CODE_LINK.search(html)
    if not found:
        raise BenchError("no ticket link on /tickets: did `portal demo` load any tickets?")
    return found.group(1)


# --- GET throughput and latency (wrk) ------------------------------------------------------------

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not found:
        raise BenchError(f"cannot read wrk latency {text!r}")
    return float(found.group(1)) * _UNITS_MS[found.group(2)]


@dataclass
class WrkResult:
    rps: float
    p50_ms: float
    p75_ms: float
    p90_ms: float
    p99_ms: float
    requests: int
    non_2xx_3xx: int
    socket_errors: int


def parse_wrk(output: str) -> WrkResult:
    def percentile(p: int) -> float:
        found = re.search(rf"^\s+{p}%\s+(\S+)", output, re.MULTILINE)
        if not found:
            raise BenchError(f"wrk printed no {p}% latency:\n{output}")
        return _ms(found.group(1))

    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    non_ok = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if not rps or not total:
        raise BenchError(f"cannot read wrk's output:\n{output}")
    return WrkResult(
        rps=float(rps.group(1)),
        p50_ms=percentile(50),
        p75_ms=percentile(75),
        p90_ms=percentile(90),
        p99_ms=percentile(99),
        requests=int(total.group(1)),
        non_2xx_3xx=int(non_ok.group(1)) if non_ok else 0,
        socket_errors=sum(int(n) for n in sock.groups()) if sock else 0,
    )


def wrk(wrk_bin: str, url: str, seconds: int) -> WrkResult:
    _check_local(url)
    command = [
        wrk_bin,
        "--threads",
        "1",
        "--connections",
        str(CONNECTIONS),
        "--duration",
        f"{seconds}s",
        "--timeout",
        "5s",
        "--latency",
        "--header",
        "Accept-Encoding: gzip",
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30, check=False)
    if done.returncode != 0:
        raise BenchError(f"wrk failed: {done.stderr}")
    return parse_wrk(done.stdout)


def bench_get(run: DbRun, wrk_bin: str, base: str, code: str, duration: int) -> None:
    for label, path in (
        ("GET /t/{code}", f"/t/{code}"),
        ("GET /tickets", "/tickets"),
        ("GET /progress", "/progress"),
        (f"GET {DEMO_PROJECT}", DEMO_PROJECT),
    ):
        check = httpx.get(base + path, timeout=10)
        if check.status_code != 200:
            raise BenchError(f"{path} answered {check.status_code} before the run")
        wrk(wrk_bin, base + path, WARMUP_SECONDS)
        result = wrk(wrk_bin, base + path, duration)
        run.extra.setdefault("get", {})[label] = asdict(result)
        errors = result.non_2xx_3xx + result.socket_errors
        detail = f"p50 {result.p50_ms:.1f} ms, p90 {result.p90_ms:.1f} ms, {result.requests} requests"
        run.add(
            label, "req/s", result.rps, "req/s", f">= {GET_MIN_RPS:.0f}", result.rps >= GET_MIN_RPS, detail
        )
        run.add(
            label,
            "p99",
            result.p99_ms,
            "ms",
            f"< {GET_MAX_P99_MS:.0f}",
            result.p99_ms < GET_MAX_P99_MS,
            detail,
        )
        run.add(label, "errors", errors, "", "== 0", errors == 0, "non-2xx/3xx + socket errors")


# --- the public figures --------------------------------------------------------------------------


def bench_stats(run: DbRun, wrk_bin: str, base: str, database_url: str, args: argparse.Namespace) -> None:
    from portal.db import make_engine
    from portal.stats.period import today
    from tests.perf.history import seed_history

    engine = make_engine(database_url)
    started = time.perf_counter()
    events = seed_history(engine, args.stats_tickets, datetime.now(UTC))
    engine.dispose()
    run.extra["stats_seed"] = {"tickets": args.stats_tickets, "events": events,
                               "seconds": round(time.perf_counter() - started, 1)}  # fmt: skip
    last = today()
    first = last.replace(year=last.year - 1) + timedelta(days=1)
    for label, query in (
        ("GET /stats (year, cold)", f"from={first}&to={last}"),
        ("GET /stats (year by street, cold)", f"from={first}&to={last}&by=street"),
    ):
        started = time.perf_counter()
        response = httpx.get(f"{base}/stats?{query}", timeout=120)
        seconds = time.perf_counter() - started
        if response.status_code != 200:
            raise BenchError(f"/stats?{query} answered {response.status_code}")
        run.add(label, "time", seconds, "s", f"< {STATS_COLD_MAX_S:.0f}", seconds < STATS_COLD_MAX_S,
                f"{args.stats_tickets:,} tickets, {events:,} events")  # fmt: skip
    url = f"{base}/stats?from={first}&to={last}"
    wrk(wrk_bin, url, WARMUP_SECONDS)
    result = wrk(wrk_bin, url, args.duration)
    run.extra.setdefault("get", {})["GET /stats (year, cached)"] = asdict(result)
    detail = f"p50 {result.p50_ms:.1f} ms, {result.requests} requests"
    run.add("GET /stats (year, cached)", "req/s", result.rps, "req/s", f">= {GET_MIN_RPS:.0f}",
            result.rps >= GET_MIN_RPS, detail)  # fmt: skip
    run.add("GET /stats (year, cached)", "p99", result.p99_ms, "ms", f"< {GET_MAX_P99_MS:.0f}",
            result.p99_ms < GET_MAX_P99_MS, detail)  # fmt: skip


# --- the surge of reports ------------------------------------------------------------------------


class FormReader(HTMLParser):
    """The report form's hidden inputs, first category and first community."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden: dict[str, str] = {}
        self.category = ""
        self.community = ""
        self._in_community = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "input" and a.get("type") == "hidden" and a.get("name"):
            self.hidden[a["name"]] = a.get("value", "")
        elif tag == "input" and a.get("name") == "category" and not self.category:
            self.category = a.get("value", "")
        elif tag == "select":
            self._in_community = a.get("name") == "community"
        elif tag == "option" and self._in_community and a.get("value") and not self.community:
            self.community = a["value"]


@dataclass
class Submission:
    key: str
    statuses: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)


async def _prepare(client: httpx.AsyncClient, base: str) -> dict[str, str]:
    page = await client.get(f"{base}/report")
    page.raise_for_status()
    form = FormReader()
    form.feed(page.text)
    if (
        not client.cookies.get("csrftoken")
        or "_csrf_token" not in form.hidden
        or not form.hidden.get("form_key")
    ):
        raise BenchError("GET /report gave no CSRF cookie, CSRF token or form key")
    if not form.category or not form.community:
        raise BenchError("the report form lists no category or no community")
    return {
        **form.hidden,
        "category": form.category,
        "community": form.community,
        "description": f"Benchmark report {secrets.token_hex(4)}: the street light is out since Monday.",
        "address": "Bench test, east side",
        "name": "",
        "phone": "",
        "lat": "",
        "lng": "",
        "visibility": "public",
    }


async def _post(client: httpx.AsyncClient, base: str, fields: dict[str, str], sub: Submission) -> None:
    # An empty file part, as a browser sends when no photo is chosen: keeps the body multipart.
    files = {"photos": ("", b"", "application/octet-stream")}
    started = time.perf_counter()
    try:
        response = await client.post(f"{base}/report", data=fields, files=files)
        sub.statuses.append(response.status_code)
    except httpx.HTTPError as problem:
        sub.errors.append(f"{type(problem).__name__}: {problem}")
    sub.seconds.append(time.perf_counter() - started)


async def _one_resident(base: str, double_tap: bool, go: asyncio.Event, ready: list[int]) -> Submission:
    timeout = httpx.Timeout(60.0)
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
        try:
            fields = await _prepare(client, base)
        except (httpx.HTTPError, BenchError) as problem:
            sub = Submission(key="")
            sub.errors.append(f"preparing: {problem}")
            ready.append(1)
            return sub
        sub = Submission(key=fields["form_key"])
        ready.append(1)
        await go.wait()
        if double_tap:
            await asyncio.gather(_post(client, base, fields, sub), _post(client, base, fields, sub))
        else:
            await _post(client, base, fields, sub)
        return sub


async def _surge(base: str) -> tuple[list[Submission], float]:
    go = asyncio.Event()
    ready: list[int] = []
    tasks = [
        asyncio.create_task(_one_resident(base, i % (SURGE_SIZE // DOUBLE_TAPS) == 0, go, ready))
        for i in range(SURGE_SIZE)
    ]
    deadline = time.monotonic() + SURGE_TIMEOUT_SECONDS
    while len(ready) < SURGE_SIZE and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    started = time.perf_counter()
    go.set()
    done, pending = await asyncio.wait(tasks, timeout=max(1.0, deadline - time.monotonic()))
    elapsed = time.perf_counter() - started
    for task in pending:
        task.cancel()
    subs = [task.result() for task in done if not task.cancelled() and task.exception() is None]
    for task in done:
        if task.exception() is not None:
            subs.append(Submission(key="", errors=[f"task failed: {task.exception()!r}"]))
    subs.extend(Submission(key="", errors=["timed out"]) for _ in pending)
    return subs, elapsed


def tickets_by_key(database_url: str, keys: list[str]) -> Counter[str]:
    from sqlalchemy import bindparam, create_engine, text

    engine = create_engine(_sqlalchemy_url(database_url))
    try:
        query = text("SELECT submission_key, COUNT(*) FROM ticket WHERE submission_key IN :keys GROUP BY 1")
        query = query.bindparams(bindparam("keys", expanding=True))
        with engine.connect() as conn:
            return Counter({str(k): int(n) for k, n in conn.execute(query, {"keys": keys}) if k})
    finally:
        engine.dispose()


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def bench_surge(run: DbRun, base: str, database_url: str) -> None:
    subs, elapsed = asyncio.run(_surge(base))
    statuses = Counter(s for sub in subs for s in sub.statuses)
    errors = [e for sub in subs for e in sub.errors]
    posts = sum(len(sub.statuses) for sub in subs) + sum(1 for sub in subs for e in sub.errors)
    failed = sum(n for status, n in statuses.items() if status != 303) + len(errors)
    ok_keys = sorted({sub.key for sub in subs if sub.key and 303 in sub.statuses})
    found = tickets_by_key(database_url, ok_keys) if ok_keys else Counter()
    missing = [k for k in ok_keys if found[k] == 0]
    duplicated = [k for k in ok_keys if found[k] > 1]
    latencies = [s for sub in subs for s in sub.seconds]
    run.extra["surge"] = {
        "residents": SURGE_SIZE,
        "double_taps": DOUBLE_TAPS,
        "posts": posts,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "errors": errors[:20],
        "seconds": round(elapsed, 3),
        "p50_ms": round(_percentile(latencies, 50) * 1000, 1),
        "p99_ms": round(_percentile(latencies, 99) * 1000, 1),
        "max_ms": round(max(latencies, default=0) * 1000, 1),
        "unique_keys_ok": len(ok_keys),
        "tickets_found": sum(found.values()),
        "missing": missing[:20],
        "duplicated": duplicated[:20],
    }
    status_text = ", ".join(f"{k}×{v}" for k, v in sorted(statuses.items())) or "none"
    detail = (
        f"{posts} POSTs in {elapsed:.1f} s (p50 {_percentile(latencies, 50) * 1000:.0f} ms, "
        f"max {max(latencies, default=0) * 1000:.0f} ms); statuses {status_text}"
    )
    if errors:
        detail += f"; first error: {errors[0][:120]}"
    run.add("POST /report surge", "failed requests", failed, "", "== 0", failed == 0, detail)
    wrong = len(missing) + len(duplicated) + (SURGE_SIZE - len(ok_keys))
    run.add(
        "POST /report surge",
        "keys not stored once",
        wrong,
        "",
        "== 0",
        wrong == 0,
        f"{len(ok_keys)}/{SURGE_SIZE} keys accepted, {sum(found.values())} tickets, "
        f"{len(missing)} missing, {len(duplicated)} duplicated",
    )


# --- page weight ---------------------------------------------------------------------------------


class AssetReader(HTMLParser):
    """The stylesheet and script URLs a page references."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "link" and "stylesheet" in a.get("rel", "").lower().split() and a.get("href"):
            self.urls.append(a["href"])
        elif tag == "script" and a.get("src"):
            self.urls.append(a["src"])


def wire_bytes(client: httpx.Client, url: str) -> tuple[int, str, int]:
    """Body bytes as sent (compressed), the content encoding, and the status."""
    with client.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as response:
        raw = sum(len(chunk) for chunk in response.iter_raw())
        return raw, response.headers.get("content-encoding", "identity"), response.status_code


def ensure_lighthouse() -> Path:
    tools = PROJECT_ROOT / ".bench-tools"
    binary = tools / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        print(f"== installing lighthouse {LIGHTHOUSE_VERSION} into .bench-tools/", flush=True)
        done = subprocess.run(
            ["npm", "install", "--prefix", str(tools), "--no-audit", "--no-fund", "--loglevel=error",
             f"lighthouse@{LIGHTHOUSE_VERSION}"],
            capture_output=True, text=True, timeout=900, check=False,
        )  # fmt: skip
        if done.returncode != 0 or not binary.exists():
            raise BenchError(f"could not install lighthouse: {done.stderr[-1000:]}")
    return binary


def bench_lighthouse(run: DbRun, base: str, code: str) -> None:
    binary = ensure_lighthouse()
    pages = [(template, template.format(code=code), "") for template in PUBLIC_PAGES]
    pages += [(f"{path} (elder)", path, '{"Cookie": "elder=1"}') for path in ("/", "/report")]
    with tempfile.TemporaryDirectory(prefix="portal-lighthouse-") as tmp:
        for label, path, headers in pages:
            out = Path(tmp) / "report.json"
            command = [
                str(binary), base + path, "--quiet", f"--chrome-flags={CHROMIUM_FLAGS}",
                "--only-categories=performance", "--form-factor=mobile", "--output=json", f"--output-path={out}",
            ]  # fmt: skip
            if headers:
                command.append(f"--extra-headers={headers}")
            # Lighthouse sometimes loses the trace of a load (NO_NAVSTART): that page is measured again.
            for _attempt in range(3):
                out.unlink(missing_ok=True)
                done = subprocess.run(
                    command, env={**os.environ, "CHROME_PATH": "/usr/bin/chromium"},
                    capture_output=True, text=True, timeout=300, check=False,
                )  # fmt: skip
                if "NO_NAVSTART" not in done.stderr:
                    break
            if done.returncode != 0 or not out.exists():
                raise BenchError(f"lighthouse failed on {path}: {done.stderr[-1000:]}")
            result = json.loads(out.read_text())
            score = round(result["categories"]["performance"]["score"] * 100)
            audits = result["audits"]
            detail = ", ".join(
                f"{name} {audits[key]['displayValue']}".replace("\xa0", " ")
                for name, key in (("FCP", "first-contentful-paint"), ("LCP", "largest-contentful-paint"),
                                  ("TBT", "total-blocking-time"), ("CLS", "cumulative-layout-shift"))
            )  # fmt: skip
            run.extra.setdefault("lighthouse", {})[label] = {"score": score, "detail": detail}
            run.add(f"lighthouse {label}", "performance", score, "", f">= {LIGHTHOUSE_MIN_SCORE}",
                    score >= LIGHTHOUSE_MIN_SCORE, detail)  # fmt: skip


def bench_size(run: DbRun, base: str, code: str) -> None:
    pages: dict[str, Any] = {}
    with httpx.Client(timeout=15, follow_redirects=False) as client:
        for template in PUBLIC_PAGES:
            path = template.format(code=code)
            html = client.get(base + path).text
            reader = AssetReader()
            reader.feed(html)
            parts: list[dict[str, Any]] = []
            for url in [base + path, *dict.fromkeys(urljoin(base + path, u) for u in reader.urls)]:
                if urlsplit(url).netloc != urlsplit(base).netloc:
                    parts.append({"url": url, "bytes": 0, "note": "other host, not counted"})
                    continue
                size, encoding, status = wire_bytes(client, url)
                parts.append({"url": url[len(base) :], "bytes": size, "encoding": encoding, "status": status})
            total = sum(p["bytes"] for p in parts)
            pages[template] = {"bytes": total, "parts": parts}
            bad = [p["url"] for p in parts if p.get("status") not in (None, 200)]
            plain = [p["url"] for p in parts if p.get("encoding") == "identity" and p["bytes"] > 1024]
            detail = " + ".join(
                f"{p['url'].split('?')[0].rsplit('/', 1)[-1] or '/'} {p['bytes']}" for p in parts
            )
            if plain:
                detail += f"; NOT gzipped: {', '.join(plain)}"
            if bad:
                detail += f"; non-200: {', '.join(bad)}"
            run.add(
                f"page {template}",
                "gzip bytes",
                total,
                "B",
                f"< {PAGE_MAX_BYTES // 1024} KB",
                total < PAGE_MAX_BYTES and not bad,
                detail,
            )
    run.extra["size"] = pages


# --- orchestration -------------------------------------------------------------------------------


def bench_database(
    kind: str, database_url: str, workdir: Path, args: argparse.Namespace, wrk_bin: str
) -> DbRun:
    run = DbRun(kind)
    data_dir = workdir / "data"
    env = portal_env(database_url, data_dir, secrets.token_urlsafe(32))
    print(f"== {kind}: migrating and loading demonstration data", flush=True)
    run_portal(["db", "upgrade"], env)
    run_portal(["demo"], env)
    log_path = workdir / "server.log"
    with server(env, log_path) as handle:
        base = handle.base
        stage = "finding a ticket"
        try:
            code = ticket_code(base)
            run.extra["ticket_code"] = code
            if args.only in (None, "get"):
                stage = "the GET run"
                print(
                    f"== {kind}: GET throughput ({args.duration} s each, {CONNECTIONS} connections)",
                    flush=True,
                )
                bench_get(run, wrk_bin, base, code, args.duration)
            if args.only in (None, "surge"):
                stage = "the surge"
                print(f"== {kind}: surge of {SURGE_SIZE} reports", flush=True)
                bench_surge(run, base, database_url)
            if args.only in (None, "size"):
                stage = "the page weight run"
                print(f"== {kind}: page weight", flush=True)
                bench_size(run, base, code)
            if args.only in (None, "lighthouse"):
                stage = "the lighthouse run"
                print(f"== {kind}: lighthouse (mobile)", flush=True)
                bench_lighthouse(run, base, code)
            if args.only in (None, "stats"):
                stage = "the figures run"
                print(f"== {kind}: /stats over a year of {args.stats_tickets:,} tickets", flush=True)
                bench_stats(run, wrk_bin, base, database_url, args)
            if args.only in (None, "surveys"):
                stage = "the surveys run"
                print(
                    f"== {kind}: surveys ({args.survey_responses:,} responses, a surge, the page)", flush=True
                )
                from tests.perf.surveys import bench_surveys

                bench_surveys(run, base, database_url, args.survey_responses)
        except (httpx.HTTPError, BenchError) as problem:
            raise handle.problem(f"{kind}: {stage} failed: {problem}") from problem
    server_log = log_path.read_text(errors="replace")
    tracebacks = server_log.count("Traceback")
    if tracebacks:
        run.extra["server_log_tail"] = server_log[-4000:]
        print(f"   (the server logged {tracebacks} traceback(s); see server_log_tail in the JSON)")
    return run


def run_sqlite(args: argparse.Namespace, wrk_bin: str) -> DbRun:
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp:
        workdir = Path(tmp)
        return bench_database("sqlite", f"sqlite:///{workdir / 'portal.db'}", workdir, args, wrk_bin)


def run_postgresql(args: argparse.Namespace, wrk_bin: str) -> DbRun:
    admin = pg_admin_url()
    _check_local(admin)
    why = pg_answers(admin)
    if why is not None:
        print(f"== postgresql: SKIPPED, no server answered at {admin}: {why}", flush=True)
        return DbRun("postgresql", skipped=f"no server at {admin}: {why}")
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp, postgres_database(admin) as url:
        return bench_database("postgresql", url, Path(tmp), args, wrk_bin)


def run_scale_sqlite(args: argparse.Namespace, wrk_bin: str) -> DbRun:
    from tests.perf.scale import scale_database

    with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp:
        workdir = Path(tmp)
        return scale_database("sqlite", f"sqlite:///{workdir / 'portal.db'}", workdir, args, wrk_bin)


def run_scale_postgresql(args: argparse.Namespace, wrk_bin: str) -> DbRun:
    from tests.perf.scale import scale_database

    admin = pg_admin_url()
    _check_local(admin)
    why = pg_answers(admin)
    if why is not None:
        print(f"== postgresql: SKIPPED, no server answered at {admin}: {why}", flush=True)
        return DbRun("postgresql", skipped=f"no server at {admin}: {why}")
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp, postgres_database(admin) as url:
        return scale_database("postgresql", url, Path(tmp), args, wrk_bin)


def print_table(runs: list[DbRun]) -> None:
    rows = [("db", "test", "metric", "value", "budget", "result", "detail")]
    for run in runs:
        if run.skipped:
            rows.append((run.db, "(all)", "", "", "", "SKIPPED", run.skipped))
        if run.error:
            rows.append((run.db, "(run)", "", "", "", "ERROR", run.error))
        for c in run.checks:
            value = f"{c.value:,.0f}" if c.unit in {"req/s", "B", ""} else f"{c.value:.1f}"
            rows.append(
                (
                    c.db,
                    c.test,
                    c.metric,
                    f"{value} {c.unit}".strip(),
                    c.budget,
                    "PASS" if c.passed else "FAIL",
                    c.detail,
                )
            )
    widths = [max(len(r[i]) for r in rows) for i in range(6)]
    for i, row in enumerate(rows):
        print("  ".join(cell.ljust(widths[n]) for n, cell in enumerate(row[:6])) + "  " + row[6])
        if i == 0:
            print("  ".join("-" * w for w in widths) + "  " + "-" * 6)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/bench", description=__doc__.split("\n\n")[0] if __doc__ else ""
    )
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    parser.add_argument(
        "--only",
        choices=["get", "surge", "size", "lighthouse", "stats", "surveys"],
        default=None,
        help="run one measurement",
    )
    parser.add_argument(
        "--stats-tickets", type=int, default=20_000, help="synthetic tickets for the stats run"
    )
    parser.add_argument(
        "--survey-responses", type=int, default=50_000, help="responses of the survey whose results are timed"
    )
    parser.add_argument(
        "--scale",
        action="store_true",
        help="the district-scale run instead (tests/perf/scale.py): /stats at --stats-scale-tickets on "
        "both databases, the board and ticket pages at --scale-tickets on PostgreSQL, with and without "
        "one ticket event per second, and the instance's memory",
    )
    parser.add_argument("--scale-tickets", type=int, default=300_000, help="tickets of the district table")
    parser.add_argument(
        "--stats-scale-tickets", type=int, default=100_000, help="tickets of the /stats budget in --scale"
    )
    parser.add_argument("--no-fail", action="store_true", help="exit 0 even when a budget fails")
    args = parser.parse_args(argv)
    if not 1 <= args.duration <= 600:
        parser.error("--duration must be between 1 and 600 seconds")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wrk_bin = ensure_wrk() if args.only in (None, "get", "stats") or args.scale else ""
    runs: list[DbRun] = []
    chosen = [("sqlite", run_sqlite), ("postgresql", run_postgresql)]
    if args.scale:
        chosen = [("sqlite", run_scale_sqlite), ("postgresql", run_scale_postgresql)]
    for kind, runner in chosen:
        if args.db not in (kind, "both"):
            continue
        try:
            runs.append(runner(args, wrk_bin))
        except BenchError as problem:
            print(f"bench: {problem}", file=sys.stderr)
            runs.append(DbRun(kind, error=str(problem).splitlines()[0]))
    print()
    print_table(runs)
    if args.scale:
        from tests.perf.scale import print_scale_table

        for run in runs:
            print_scale_table(run)
    failed = [c for run in runs for c in run.checks if not c.passed]
    RESULTS_DIR.mkdir(exist_ok=True)
    report = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "options": {
            "db": args.db,
            "duration": args.duration,
            "only": args.only,
            "connections": CONNECTIONS,
            "scale": args.scale,
        },
        "budgets": {
            "get_min_rps": GET_MIN_RPS,
            "get_max_p99_ms": GET_MAX_P99_MS,
            "page_max_bytes": PAGE_MAX_BYTES,
            "stats_cold_max_s": STATS_COLD_MAX_S,
            "lighthouse_min_score": LIGHTHOUSE_MIN_SCORE,
            "surge": SURGE_SIZE,
        },
        "passed": not failed and not any(run.error for run in runs),
        "checks": [asdict(c) for run in runs for c in run.checks],
        "errors": [f"{run.db}: {run.error}" for run in runs if run.error],
        "runs": [{"db": run.db, "skipped": run.skipped, "error": run.error, **run.extra} for run in runs],
    }
    out = RESULTS_DIR / "latest.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"\n{len(failed)} budget(s) failed; results in {out.relative_to(PROJECT_ROOT)}")
    if any(run.error for run in runs):
        print("the benchmark could not finish (ERROR above): exit 2", file=sys.stderr)
        return 2
    return 1 if failed and not args.no_fail else 0


if __name__ == "__main__":
    sys.exit(main())
