"""/metrics: what Prometheus reads, from every worker of ``portal serve``, and who may read it."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import Engine
from sqlmodel import Session

from portal.app import create_app
from portal.cli import main
from portal.jobs import run_jobs
from portal.services import Services
from portal.settings import Settings, get_settings
from tests.live import ROOT, _free_port, live_server
from tests.pages import PageClient
from tests.unit.factories import a_community, report_fields, submit_report
from tests.unit.ops.serving import Served, portal_env, portal_serve, wait_for_log

TOKEN = "a-long-random-metrics-token-0123"


def sample(text: str, name: str, **labels: str) -> float:
    """One sample's value in the exposition (0 when it is not there yet)."""
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                return float(found.value)
    return 0.0


@contextmanager
def token_client(settings: Settings, engine: Engine) -> Iterator[PageClient]:
    """The portal with PORTAL_METRICS_TOKEN set."""
    with_token = settings.with_overrides(metrics_token=TOKEN)
    app = create_app(with_token, Services.build(with_token, engine))
    with PageClient(app=app, base_url="http://portal.test") as client:
        yield client


def scrape(client: PageClient) -> str:
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    return answer.text


def test_requests_cache_sms_and_jobs_are_counted(
    settings: Settings, engine: Engine, services: Services, db: Session
) -> None:
    with token_client(settings, engine) as client:
        before = scrape(client)
        client.get("/tickets")
        client.get("/tickets")  # the same page again: from the page cache
        client.get("/no/such/page")
        submit_report(client, report_fields(client, a_community(db).slug))  # texts the reporter
        run_jobs(services, photos=False)
        after = scrape(client)

    def grew(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert grew("portal_http_requests_total", method="GET", route="/tickets", status="200") == 2
    assert grew("portal_http_requests_total", method="GET", route="unmatched", status="404") == 1
    assert grew("portal_http_requests_total", method="POST", route="/report", status="303") == 1
    assert grew("portal_http_request_duration_seconds_count", method="GET", route="/tickets") == 2
    assert grew("portal_http_request_duration_seconds_bucket", method="GET", route="/tickets", le="+Inf") == 2
    assert grew("portal_page_cache_lookups_total", template="tickets/board.html", result="miss") == 1
    assert grew("portal_page_cache_lookups_total", template="tickets/board.html", result="hit") == 1
    assert grew("portal_sms_sent_total") == 1
    assert grew("portal_jobs_runs_total") == 1


def test_closed_without_the_token_when_one_is_set(settings: Settings, engine: Engine) -> None:
    with token_client(settings, engine) as client:
        assert client.get("/metrics").status_code == 404
        assert (
            client.get("/metrics", headers={"Authorization": "Bearer wrong-token-of-some-length"}).status_code
            == 404
        )
        assert client.get("/metrics", headers={"Authorization": TOKEN}).status_code == 404
        page = client.get("/metrics")
        assert "We could not find this page" in page.text  # the same 404 as any unknown address
        assert scrape(client)


def test_without_a_token_only_this_machine_may_read_it_not_through_a_proxy(
    settings: Settings, services: Services, tmp_path: Path
) -> None:
    """uvicorn takes the client's address from X-Forwarded-For when nginx (on loopback) sends it:
    a request through nginx is then refused, even one from this machine."""
    without = settings.with_overrides(metrics_token="")
    app = create_app(without, Services.build(without, services.engine))
    with live_server(app) as base:
        assert httpx.get(f"{base}/metrics").status_code == 200
        for header in ("X-Forwarded-For", "X-Real-IP", "Forwarded"):
            spoofed = httpx.get(f"{base}/metrics", headers={header: "127.0.0.1"})
            assert spoofed.status_code == 404, header
        with nginx_in_front_of(base, tmp_path) as proxy:
            assert httpx.get(f"{proxy}/privacy").status_code == 200  # the proxy works
            assert httpx.get(f"{proxy}/metrics").status_code == 404
            assert httpx.get(f"{proxy}/metrics", headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 404
    with PageClient(app=app, base_url="http://portal.test") as client:  # not a loopback peer
        assert client.get("/metrics").status_code == 404


NGINX_CONF = """
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass {upstream};
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""


@contextmanager
def nginx_in_front_of(upstream: str, tmp_path: Path) -> Iterator[str]:
    """Debian's nginx, with a proxy configuration of the usual kind, on a free port."""
    folder = tmp_path / "nginx"
    folder.mkdir()
    port = _free_port()
    conf = folder / "nginx.conf"
    conf.write_text(NGINX_CONF.format(dir=folder, port=port, upstream=upstream))
    command = ["/usr/sbin/nginx", "-p", str(folder), "-c", str(conf), "-g", "daemon off;"]
    with subprocess.Popen(command, stderr=subprocess.PIPE) as proc:
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 10
            while True:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else "nginx exited"
                try:
                    httpx.get(f"{base}/healthz", timeout=1)
                    break
                except httpx.HTTPError:
                    assert time.monotonic() < deadline, "nginx did not start"
                    time.sleep(0.05)
            yield base
        finally:
            proc.terminate()
            proc.wait(10)


def _answered(served: Served) -> int:
    return len([r for r in served.requests() if r["route"] == "/privacy"])


def test_two_workers_add_up_in_one_exposition(settings: Settings, engine: Engine, tmp_path: Path) -> None:
    """``portal serve --workers 2``: requests answered by both workers, all counted in /metrics,
    whichever worker answers it; the metrics folder is removed when the server stops."""
    sent = 0
    with portal_serve(settings, tmp_path, workers=2) as served:
        with httpx.Client(base_url=served.base, limits=httpx.Limits(max_keepalive_connections=0)) as http:
            pids: set[int] = set()
            with ThreadPoolExecutor(8) as pool:
                for _batch in range(50):  # the kernel hands connections to either worker
                    answers = list(pool.map(lambda _n: http.get("/privacy"), range(16)))
                    assert {a.status_code for a in answers} == {200}
                    sent += len(answers)
                    wait_for_log(served, lambda total=sent: _answered(served) == total)
                    pids = {r["pid"] for r in served.requests() if r["route"] == "/privacy"}
                    if len(pids) == 2:
                        break
            assert len(pids) == 2, "one worker answered every request"
            exposition = http.get("/metrics").text
        assert (
            sample(exposition, "portal_http_requests_total", method="GET", route="/privacy", status="200")
            == sent
        )
        assert (
            sample(exposition, "portal_http_request_duration_seconds_count", method="GET", route="/privacy")
            == sent
        )
        [metrics_dir] = list(served.tmp.iterdir())
        assert metrics_dir.name.startswith("portal-metrics-") and len(list(metrics_dir.glob("*.db"))) >= 2
    assert list(served.tmp.iterdir()) == []


def test_a_short_token_stops_the_start_and_the_token_is_never_printed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PORTAL_SECRET_KEY", "metrics-test")
    get_settings.cache_clear()
    try:
        monkeypatch.setenv("PORTAL_METRICS_TOKEN", "guessable")
        assert main(["settings"]) == 2
        assert "PORTAL_METRICS_TOKEN must be at least 16 characters" in capsys.readouterr().err
        monkeypatch.setenv("PORTAL_METRICS_TOKEN", TOKEN)
        get_settings.cache_clear()
        assert main(["settings"]) == 0
        printed = capsys.readouterr().out
        assert "PORTAL_METRICS_TOKEN = (set)" in printed and TOKEN not in printed
    finally:
        get_settings.cache_clear()


def test_the_metrics_folder_goes_even_when_the_server_is_stopped_at_once(
    settings: Settings, tmp_path: Path
) -> None:
    """A SIGTERM while ``portal serve`` is still starting, and a folder left by a killed run
    (its process gone), leave nothing behind in the temporary folder."""
    dead_pid = subprocess.Popen(["true"])
    dead_pid.wait()
    left_over = tmp_path / f"portal-metrics-{dead_pid.pid}-x1y2z3"
    left_over.mkdir()
    (left_over / "counter_1.db").write_bytes(b"\0" * 16)
    command = [sys.executable, "-m", "portal.cli", "serve", "--port", str(_free_port())]
    env = portal_env(settings, TMPDIR=str(tmp_path))
    with subprocess.Popen(command, env=env, cwd=ROOT, stderr=subprocess.DEVNULL) as proc:
        deadline = time.monotonic() + 30
        while not [p for p in tmp_path.iterdir() if f"-{proc.pid}-" in p.name]:
            assert time.monotonic() < deadline and proc.poll() is None, "no metrics folder was made"
            time.sleep(0.005)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    assert list(tmp_path.iterdir()) == []
