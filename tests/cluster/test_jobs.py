"""The in-process job runners of two instances run the jobs once per interval between them."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from tests.cluster.harness import running_cluster, wait_until
from tests.conftest import TEST_SECRET

RAN = "deadline sweep: "  # the summary of a run
SKIPPED = "background jobs skipped: "


def fired(log: str) -> tuple[int, int]:
    """How often a runner's timer fired, and how often it ran the jobs (else it skipped them)."""
    ran, skipped = log.count(RAN), log.count(SKIPPED)
    return ran + skipped, ran


def test_the_runners_of_two_instances_run_the_jobs_once_per_interval(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    with running_cluster(database_url, tmp_path, TEST_SECRET, PORTAL_JOBS_INTERVAL="1") as cluster:
        a, b = cluster.instances
        wait_until(lambda: min(fired(a.log())[0], fired(b.log())[0]) >= 6, 30, "six timers on each")
        (fired_a, ran_a), (fired_b, ran_b) = fired(a.log()), fired(b.log())
    print(f"A's timer fired {fired_a} times and ran the jobs {ran_a} times; B's {fired_b} and {ran_b}")
    # Each instance's timer fires once a second: on its own, each would run the jobs every time.
    # Between them they ran about once a second, and the other timer of each second skipped them.
    timers, runs = fired_a + fired_b, ran_a + ran_b
    assert runs <= timers // 2 + 2
