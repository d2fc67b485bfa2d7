"""``portal serve`` as an operator runs it, in a process of its own, with its log kept in a file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from portal.settings import Settings
from tests.live import ROOT, _free_port


@dataclass
class Served:
    base: str
    log: Path
    tmp: Path  # the server's TMPDIR, where it makes its metrics folder
    process: subprocess.Popen[bytes]

    def lines(self) -> list[str]:
        return self.log.read_text().splitlines()

    def records(self) -> list[dict[str, Any]]:
        """Every log line, each a JSON object (json.loads fails on any line that is not)."""
        return [json.loads(line) for line in self.lines()]

    def requests(self) -> list[dict[str, Any]]:
        return [r for r in self.records() if r["logger"] == "portal.requests"]


def portal_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "PROMETHEUS_"))}
    env.update(
        PYTHONPATH=str(ROOT), PORTAL_DATABASE_URL=settings.database_url, PORTAL_DATA_DIR=str(settings.data_dir),
        PORTAL_MEDIA_DIR=str(settings.media_dir), PORTAL_SECRET_KEY=settings.secret_key, PORTAL_REDIS_URL="",
        PORTAL_JOBS_INTERVAL="0", PORTAL_SMS_ADAPTER="console",
    )  # fmt: skip
    env.update(extra)
    return env


def wait_for_log(served: Served, condition: Any, seconds: float = 10) -> None:
    """Log lines are written by a queue listener a moment after the answer is sent."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the log line did not come"
        time.sleep(0.05)


@contextmanager
def portal_serve(settings: Settings, tmp_path: Path, *, workers: int = 1, **extra: str) -> Iterator[Served]:
    port = _free_port()
    tmp = tmp_path / "server-tmp"
    tmp.mkdir()
    log_path = tmp_path / "serve.log"
    command = [sys.executable, "-m", "portal.cli", "serve", "--port", str(port), "--workers", str(workers)]
    env = portal_env(settings, TMPDIR=str(tmp), **extra)
    base = f"http://127.0.0.1:{port}"
    with (
        open(log_path, "wb") as log,
        subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=log) as proc,
    ):
        try:
            deadline = time.monotonic() + 60
            while True:
                assert proc.poll() is None, f"the server exited: {log_path.read_text()[-2000:]}"
                try:
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
            yield Served(base, log_path, tmp, proc)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
