"""Several ``portal serve`` processes behind Debian's nginx, as production runs them.

Each instance is ``portal serve --workers 1`` on a free port, on the same PostgreSQL database, Redis
database, secret key and media folder. nginx runs as a process of the test with a configuration
written into the test's folder (pid file, logs and temporary files there too), on a free port, with
both instances as its upstream. ``scripts/ensure-nginx`` installs nginx (``scripts/test`` runs it).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import redis

ROOT = Path(__file__).resolve().parent.parent.parent
NGINX = Path("/usr/sbin/nginx")
# This suite's Redis databases (other test runs on the machine use others): one per test process.
REDIS_DATABASES = (8, 9)
MAX_UPLOAD_MB = 45

# The parts of the configuration that production shares (docs/deploy.md explains each).
NGINX_CONF = """\
{user}worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{
    worker_connections 1024;
}}
http {{
    client_body_temp_path {folder}/client_body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    # Which instance answered each request, and every instance nginx tried for it.
    log_format upstreams '"$request" $status "$upstream_addr" "$upstream_status"';
    access_log {folder}/access.log upstreams;

    upstream portal {{
{servers}
    }}

    server {{
        listen 127.0.0.1:{port};
        # Four photos of up to 10 MB and the form around them: PORTAL_MAX_UPLOAD_MB.
        client_max_body_size {max_upload_mb}m;
        client_body_timeout 60s;

        location / {{
            proxy_pass http://portal;
            # The test's clients use a port of their own, which links must keep ($host drops it).
            proxy_set_header Host $http_host;
            # nginx is the first hop: it states the client's address, whatever the client claimed.
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $http_host;
            proxy_connect_timeout 5s;
            proxy_send_timeout 60s;
            proxy_read_timeout 60s;
            # Another instance is tried only when this one could not be reached or did not answer
            # in time, and never for a POST that was already sent to one (nginx's default without
            # "non_idempotent"): that instance may have stored it, and a retry belongs to the
            # resident's browser, with the form's one-time key.
            proxy_next_upstream error timeout;
            proxy_next_upstream_tries 2;
            # In place of nginx's own 502 page: the portal's, from an instance that answers.
            error_page 502 504 /errors/unavailable;
        }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_redis_url() -> str:
    """This test process's own Redis database (``PORTAL_TEST_REDIS_URL`` names the server)."""
    server = os.environ.get("PORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    number = int(worker.removeprefix("gw") or 0)
    return f"{server}/{REDIS_DATABASES[number % len(REDIS_DATABASES)]}"


def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@dataclass
class Instance:
    name: str
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def address(self) -> str:
        """As nginx's log names it."""
        return f"127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class Cluster:
    database_url: str
    folder: Path
    secret_key: str
    size: int = 2
    settings: dict[str, str] = field(default_factory=dict)
    instances: list[Instance] = field(default_factory=list)
    port: int = 0
    redis_url: str = field(default_factory=test_redis_url)
    _nginx: subprocess.Popen[bytes] | None = None

    @property
    def front(self) -> str:
        """nginx: where residents and staff come in."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def media_dir(self) -> Path:
        return self.folder / "media"

    # --- starting and stopping ------------------------------------------------------------------

    def start(self) -> None:
        assert NGINX.exists(), "nginx is not installed: run scripts/ensure-nginx (scripts/test does)"
        redis.Redis.from_url(self.redis_url).flushdb()  # rate limits left by an earlier run
        self.instances = [
            Instance(chr(ord("a") + i), free_port(), self.folder / f"instance-{chr(ord('a') + i)}.log")
            for i in range(self.size)
        ]
        for instance in self.instances:
            self.start_instance(instance)
        with ThreadPoolExecutor(self.size) as pool:
            list(pool.map(self.wait_ready, self.instances))
        self._start_nginx()

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
        env.update(
            PYTHONPATH=str(ROOT), PORTAL_DATABASE_URL=self.database_url, PORTAL_REDIS_URL=self.redis_url,
            PORTAL_SECRET_KEY=self.secret_key, PORTAL_DATA_DIR=str(self.folder / "data"),
            PORTAL_MEDIA_DIR=str(self.media_dir), PORTAL_MAX_UPLOAD_MB=str(MAX_UPLOAD_MB),
            PORTAL_SMS_ADAPTER="console", PORTAL_JOBS_INTERVAL="0", PORTAL_STATS_MAX_AGE="0",
        )  # fmt: skip
        env.update(self.settings)
        return env

    def start_instance(self, instance: Instance) -> None:
        command = [
            sys.executable, "-m", "portal.cli", "serve", "--host", "127.0.0.1", "--port", str(instance.port),
            "--workers", "1", "--forwarded-allow-ips", "127.0.0.1",
        ]  # fmt: skip
        with open(instance.log_path, "ab") as log:
            instance.process = subprocess.Popen(
                command, env=self.environment(), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
            )

    def wait_ready(self, instance: Instance) -> None:
        def ready() -> bool:
            assert instance.running(), f"instance {instance.name} exited:\n{instance.log()[-3000:]}"
            return answers(f"{instance.base}/")

        wait_until(ready, 60, f"instance {instance.name} to answer")

    def _start_nginx(self) -> None:
        folder = self.folder / "nginx"
        folder.mkdir(exist_ok=True)
        self.port = free_port()
        servers = "\n".join(
            f"        server {i.address} max_fails=1 fail_timeout=10s;" for i in self.instances
        )
        conf = folder / "nginx.conf"
        conf.write_text(
            NGINX_CONF.format(
                # nginx started by root hands its workers to "nobody", who may not enter the test's
                # folder; the test's own user keeps them (nginx ignores "user" when not root).
                user="user root;\n" if os.geteuid() == 0 else "",
                folder=folder,
                servers=servers,
                port=self.port,
                max_upload_mb=MAX_UPLOAD_MB,
            )
        )
        command = [str(NGINX), "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log")]
        self._nginx = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

        def ready() -> bool:
            if self._nginx is not None and self._nginx.poll() is not None:
                problem = self._nginx.stderr.read().decode() if self._nginx.stderr else ""
                raise AssertionError(f"nginx exited: {problem}")
            return answers(f"{self.front}/")

        wait_until(ready, 20, "nginx to answer")

    def stop(self) -> None:
        if self._nginx is not None and self._nginx.poll() is None:
            self._nginx.send_signal(signal.SIGQUIT)  # finish what is in flight, then stop
            try:
                self._nginx.wait(15)
            except subprocess.TimeoutExpired:
                self._nginx.kill()
                self._nginx.wait(5)
        for instance in self.instances:
            if instance.running():
                assert instance.process is not None
                instance.process.terminate()
        for instance in self.instances:
            if instance.process is not None:
                try:
                    instance.process.wait(20)
                except subprocess.TimeoutExpired:
                    instance.process.kill()
                    instance.process.wait(5)

    # --- what tests do to instances ---------------------------------------------------------------

    def kill(self, instance: Instance) -> None:
        """SIGKILL: the process dies mid-request, as on a crash or an out-of-memory kill."""
        assert instance.process is not None
        instance.process.send_signal(signal.SIGKILL)
        instance.process.wait(10)

    def terminate(self, instance: Instance) -> None:
        """SIGTERM, as systemd or an operator stops an instance; does not wait for it to exit."""
        assert instance.process is not None
        instance.process.send_signal(signal.SIGTERM)

    # --- what nginx saw ------------------------------------------------------------------------

    def access_log(self) -> list[Passage]:
        path = self.folder / "nginx" / "access.log"
        return [Passage.parse(line) for line in path.read_text().splitlines() if line.strip()]


# "$request" is the request as the client sent it (an error_page's internal GET does not change it).
LOG_LINE = re.compile(r'^"(\S+) (\S+) [^"]*" (\d{3}) "([^"]*)" "([^"]*)"$')


@dataclass(frozen=True)
class Passage:
    """One request as nginx logged it: which instances it tried, in order, and what they answered."""

    method: str
    uri: str
    status: int
    upstreams: tuple[str, ...]
    upstream_statuses: tuple[str, ...]

    @classmethod
    def parse(cls, line: str) -> Passage:
        match = LOG_LINE.match(line)
        assert match, f"an nginx log line not in the test's format: {line!r}"
        method, uri, status, addresses, statuses = match.groups()
        return cls(method, uri, int(status), _split(addresses), _split(statuses))


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in re.split(r"[,:]\s", value) if part.strip() and part != "-")


@contextmanager
def running_cluster(database_url: str, folder: Path, secret_key: str, **settings: str) -> Iterator[Cluster]:
    cluster = Cluster(database_url, folder, secret_key, settings=settings)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


# --- a browser ---------------------------------------------------------------------------------

CSRF_COOKIE = "csrftoken"


def browser(**options: Any) -> httpx.Client:
    """One resident's or staff member's browser: cookies kept (for every port of 127.0.0.1, as a
    browser keeps them for a host), English pages, redirects not followed."""
    return httpx.Client(headers={"Accept-Language": "en"}, timeout=30, follow_redirects=False, **options)


def csrf(client: httpx.Client, base: str) -> str:
    if CSRF_COOKIE not in client.cookies:
        client.get(f"{base}/")
    return str(client.cookies[CSRF_COOKIE])


# --- a resident's report --------------------------------------------------------------------------


class ReportForm(HTMLParser):
    """The report form's hidden inputs, its first category and its first community."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.hidden: dict[str, str] = {}
        self.category = ""
        self.community = ""
        self._in_community = False
        self.feed(html)

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

    def fields(self, description: str) -> dict[str, str]:
        assert self.hidden.get("form_key") and self.hidden.get("_csrf_token"), "the form has its keys"
        return {
            **self.hidden,
            "category": self.category,
            "community": self.community,
            "description": description,
            "address": "集美大道 1 号旁",
            "name": "",
            "phone": "",
            "lat": "",
            "lng": "",
            "visibility": "public",
        }


NO_PHOTO = {"photos": ("", b"", "application/octet-stream")}  # as a browser sends an empty file input
TRACKING_CODE = re.compile(r'class="tracking-code"[^>]*><strong[^>]*>([A-Z0-9-]+)</strong>')


def report(client: httpx.Client, base: str, description: str = "路灯不亮了，晚上很黑，请尽快修理。") -> str:
    """Report a problem through ``base`` as a resident does; the ticket's tracking code."""
    fields = ReportForm(client.get(f"{base}/report").text).fields(description)
    sent = client.post(f"{base}/report", data=fields, files=NO_PHOTO)
    assert sent.status_code == 303, sent.text[:500]
    done = client.get(f"{base}{sent.headers['location']}")
    match = TRACKING_CODE.search(done.text)
    assert match, "the confirmation page shows the tracking code"
    return match.group(1)
