"""The surveys' budgets for ``scripts/bench --only surveys``:

* a survey of 50,000 responses (``--survey-responses``), bulk-inserted (COPY on PostgreSQL), whose
  results are computed from nothing in under 1 s on PostgreSQL (all of them, and a filtered view);
* a surge of 200 concurrent responses (threads, each with its own session, through
  ``service.submit``, with some respondents sending twice) stores each respondent exactly once;
* the results page's first visit under 60 KB compressed.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

RESULTS_MAX_S = 1.0
SURGE = 200
TWICE = 20
THREADS = 48
BENCH_SLUG = "bench-survey"
SURGE_SLUG = "bench-surge"


def _owner(session: Session) -> int:
    from portal.accounts.models import StaffRole, StaffUser

    user = session.exec(select(StaffUser).where(StaffUser.username == "bench-surveys")).first()
    if user is None:
        user = StaffUser(
            username="bench-surveys", display_name="bench", password_hash="-", role=StaffRole.PRESS.value
        )
        session.add(user)
        session.flush()
    return int(user.id or 0)


def make_survey(engine: Engine, slug: str) -> tuple[int, int]:
    """An open survey with public results and the test survey's questions: (survey id, version id)."""
    from portal.surveys.models import Survey
    from portal.surveys.service import create_survey, version_row
    from tests.unit.surveys.survey_data import sample_definition

    now = datetime.now(UTC)
    with Session(engine, expire_on_commit=False) as session:
        survey = create_survey(
            session,
            Survey(slug=slug, owner_id=_owner(session), title_zh_hans="十里长堤工程满意度调查（测速）",
                   opens_at=now - timedelta(days=30), closes_at=now + timedelta(days=30), results_public=True,
                   salt=""),
            sample_definition(),
        )  # fmt: skip
        version = version_row(session, survey)
        session.commit()
        return int(survey.id or 0), int(version.id or 0)


def _answers_of(rng: random.Random) -> list[tuple[str, str, str, float | None, str]]:
    """One believable response as (question, row, option, number, text) rows, conditions applied."""
    rows: list[tuple[str, str, str, float | None, str]] = []
    where = rng.choices(["o1", "o2", "o3"], weights=[6, 3, 1])[0]
    rows.append(("q1", "", where, None, "杏林" if where == "o3" else ""))
    if where == "o1":
        rating = rng.choices([1, 2, 3, 4, 5], weights=[1, 1, 2, 4, 3])[0]
        rows.append(("q2", "", "", float(rating), ""))
        if rating <= 2:
            for option in rng.sample(["o1", "o2", "o3"], rng.randint(1, 2)):
                rows.append(("q3", "", option, None, ""))
            if rng.random() < 0.3:
                rows.append(("q4", "", "", None, "晚上十点后还在打桩"))
    rows.append(
        ("q5", "", "", float(rng.choices(range(11), weights=[1, 1, 1, 1, 1, 2, 2, 4, 6, 5, 4])[0]), "")
    )
    rows.append(("q6", "", "", float(rng.randint(16, 90)), ""))
    day = datetime(2026, 6, 1) + timedelta(days=rng.randint(0, 170))
    rows.append(("q7", "", "", None, day.date().isoformat()))
    rows.append(("q8", "r1", rng.choice(["o1", "o2", "o3"]), None, ""))
    rows.append(("q8", "r2", rng.choice(["o1", "o2", "o3"]), None, ""))
    rows.append(("q10", "", rng.choice(["o1", "o2", "o3"]), None, ""))
    return rows


def seed_responses(engine: Engine, survey_id: int, version_id: int, count: int) -> int:
    """``count`` responses and their answers, bulk-inserted; returns the answers stored."""
    from portal.surveys.models import SurveyResponse

    rng = random.Random(10)
    start = datetime.now(UTC) - timedelta(days=20)
    with engine.begin() as connection:
        for first in range(0, count, 10_000):
            connection.execute(
                insert(SurveyResponse),
                [
                    {"survey_id": survey_id, "version_id": version_id, "respondent": f"bench-{n}",
                     "created_at": start + timedelta(seconds=n * 30)}
                    for n in range(first, min(count, first + 10_000))
                ],
            )  # fmt: skip
        ids = [
            int(i)
            for (i,) in connection.execute(
                text("SELECT id FROM survey_response WHERE survey_id = :s ORDER BY id"), {"s": survey_id}
            )
        ]
    answers = [(survey_id, rid, *row) for rid in ids for row in _answers_of(rng)]
    columns = ("survey_id", "response_id", "question", "row", "option", "number", "text", "approved")
    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            with cursor.copy(f"COPY survey_answer ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for answer in answers:
                    copy.write_row((*answer, False))
            raw.commit()
            cursor.execute("ANALYZE survey_answer")
            cursor.execute("ANALYZE survey_response")
            raw.commit()
        finally:
            raw.close()
    else:
        from portal.surveys.models import SurveyAnswer

        with engine.begin() as connection:
            connection.execute(
                insert(SurveyAnswer),
                [dict(zip(columns, (*a, False), strict=True)) for a in answers],
            )
    return len(answers)


def time_results(engine: Engine, survey_id: int, question_filter: str = "") -> tuple[float, int]:
    """Seconds to compute every figure from nothing (a new session, no cache), and the responses."""
    from portal.surveys.models import Survey
    from portal.surveys.results import asked_in, compute, parse_filter

    with Session(engine) as session:
        survey = session.get(Survey, survey_id)
        assert survey is not None
        started = time.perf_counter()
        chosen = parse_filter(question_filter, asked_in(session, survey)[1]) if question_filter else None
        results = compute(session, survey, chosen)
        seconds = time.perf_counter() - started
    assert results.breakdown
    return seconds, results.total


def surge(engine: Engine, survey_id: int, version_id: int) -> tuple[Counter[str], int, list[str], float]:
    """SURGE respondents answer at once, TWICE of them sending twice: respondents stored, accepted
    sends, errors, seconds."""
    from portal.surveys.definition import Answer
    from portal.surveys.models import Survey, SurveyResponse, SurveyVersion
    from portal.surveys.service import submit

    sends = [f"surge-{n}" for n in range(SURGE)] + [f"surge-{n}" for n in range(TWICE)]
    random.Random(3).shuffle(sends)
    go = threading.Event()
    accepted = 0
    errors: list[str] = []
    lock = threading.Lock()

    def send(respondent: str) -> None:
        nonlocal accepted
        go.wait(timeout=30)  # before any connection is taken: the first sends leave together
        try:
            with Session(engine, expire_on_commit=False) as session:
                survey = session.get(Survey, survey_id)
                version = session.get(SurveyVersion, version_id)
                assert survey is not None and version is not None
                answers = {"q1": Answer(options=["o1"]), "q2": Answer(number=4), "q5": Answer(number=9)}
                stored = submit(session, survey, version, answers, respondent)
        except Exception as problem:  # counted: a lost response is a failure of the budget
            with lock:
                errors.append(f"{type(problem).__name__}: {problem}"[:200])
            return
        if stored is not None:
            with lock:
                accepted += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(send, respondent) for respondent in sends]
        go.set()
        for future in futures:
            future.result()
    seconds = time.perf_counter() - started
    with Session(engine) as session:
        stored = Counter(
            str(r)
            for (r,) in session.execute(
                select(SurveyResponse.respondent).where(SurveyResponse.survey_id == survey_id)
            )
        )
        assert session.exec(select(func.count()).select_from(SurveyResponse)).one() >= len(stored)
    return stored, accepted, errors, seconds


def bench_surveys(run: Any, base: str, database_url: str, responses: int) -> None:
    """The three measurements, added to the bench run's checks."""
    import httpx

    from portal.db import make_engine
    from tests.perf.bench import PAGE_MAX_BYTES, AssetReader, wire_bytes

    engine = make_engine(database_url)
    try:
        started = time.perf_counter()
        survey_id, version_id = make_survey(engine, BENCH_SLUG)
        rows = seed_responses(engine, survey_id, version_id, responses)
        run.extra["surveys_seed"] = {"responses": responses, "answers": rows,
                                     "seconds": round(time.perf_counter() - started, 1)}  # fmt: skip
        postgres = engine.dialect.name == "postgresql"
        budget = f"< {RESULTS_MAX_S:.0f}" if postgres else "(PostgreSQL only)"
        for label, question_filter in (
            ("survey results (cold)", ""),
            ("survey results, filtered (cold)", "q1:o1"),
        ):
            seconds, total = time_results(engine, survey_id, question_filter)
            print(f"   {label}: {seconds:.3f} s over {total:,} responses", flush=True)
            run.add(label, "time", seconds, "s", budget, seconds < RESULTS_MAX_S or not postgres,
                    f"{total:,} responses, {rows:,} answers")  # fmt: skip

        surge_id, surge_version = make_survey(engine, SURGE_SLUG)
        # 48 threads share the app's pool of 30 connections, as one worker's requests would
        stored, accepted, errors, seconds = surge(engine, surge_id, surge_version)
        wrong = sum(1 for n in stored.values() if n != 1) + (SURGE - len(stored))
        detail = (f"{SURGE + TWICE} sends from {SURGE} respondents in {seconds:.1f} s: {accepted} accepted, "
                  f"{len(stored)} stored, {len(errors)} errors")  # fmt: skip
        if errors:
            detail += f"; first error: {errors[0][:120]}"
        run.extra["surveys_surge"] = {"sends": SURGE + TWICE, "accepted": accepted, "stored": len(stored),
                                      "errors": errors[:20], "seconds": round(seconds, 2)}  # fmt: skip
        run.add("survey response surge", "respondents not stored once", wrong + len(errors), "", "== 0",
                wrong == 0 and not errors and accepted == SURGE, detail)  # fmt: skip

        with httpx.Client(timeout=60, follow_redirects=False) as client:
            path = f"/surveys/{BENCH_SLUG}/results"
            page = client.get(base + path)
            reader = AssetReader()
            reader.feed(page.text)
            parts = [(path, *wire_bytes(client, base + path))]
            parts += [
                (u, *wire_bytes(client, base + u)) for u in dict.fromkeys(reader.urls) if u.startswith("/")
            ]
            total_bytes = sum(size for _u, size, _e, _s in parts)
            bad = [u for u, _size, _e, status in parts if status != 200]
            run.add(f"page {path}", "gzip bytes", total_bytes, "B", f"< {PAGE_MAX_BYTES // 1024} KB",
                    total_bytes < PAGE_MAX_BYTES and not bad,
                    " + ".join(f"{u.split('?')[0].rsplit('/', 1)[-1]} {size}" for u, size, _e, _s in parts)
                    + (f"; non-200: {', '.join(bad)}" if bad else ""))  # fmt: skip
    finally:
        engine.dispose()
