"""Links in SMS and QR codes come from the configured address, never from a request's Host header."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from portal.app import create_app
from portal.services import Services
from portal.settings import Settings
from portal.tickets.models import Ticket
from tests.pages import PageClient
from tests.unit.factories import a_community, code_on, report_fields, resolve_ticket, submit_report

EVIL = "jimei-gov.evil.example"
REPORTER = "13859201234"


@contextmanager
def portal_with(
    settings: Settings, engine: Engine, base: str, **changes: Any
) -> Iterator[tuple[PageClient, Services]]:
    """The portal as it runs with other settings, visited at ``base``."""
    changed = settings.with_overrides(**changes)
    services = Services.build(changed, engine)
    with PageClient(app=create_app(changed, services), base_url=base) as client:
        yield client, services


def sent_to(services: Services, phone: str) -> list[str]:
    return services.sms.to(phone)  # type: ignore[attr-defined]


def test_a_forged_host_header_never_reaches_an_sms_or_qr_code(
    settings: Settings, engine: Engine, db: Session
) -> None:
    with portal_with(settings, engine, f"http://{EVIL}", base_url="") as (client, services):
        sent = submit_report(client, report_fields(client, a_community(db).slug))
        receipt = client.get(sent.headers["location"])
        code = code_on(receipt.text)
        assert EVIL not in receipt.text and 'class="qr"' not in receipt.text
        assert client.get(f"/t/{code}/qr.svg").status_code == 404
        [received] = sent_to(services, REPORTER)
        assert code in received and EVIL not in received and "http" not in received
        ticket = db.exec(select(Ticket)).one()
        resolve_ticket(db, services, ticket)
        texts = sent_to(services, REPORTER)
        assert len(texts) == 3 and not any(EVIL in t or "/t/" in t or "/r/" in t for t in texts)
        assert "rate it on the portal" in texts[-1]


def test_the_configured_address_is_used_whatever_the_host_header(
    settings: Settings, engine: Engine, db: Session
) -> None:
    with portal_with(settings, engine, f"http://{EVIL}", base_url="https://jimei.example.cn") as (
        client,
        services,
    ):
        sent = submit_report(client, report_fields(client, a_community(db).slug))
        receipt = client.get(sent.headers["location"])
        code = code_on(receipt.text)
        assert f"https://jimei.example.cn/t/{code}" in receipt.text and EVIL not in receipt.text
        assert sent_to(services, REPORTER)[0].endswith(f"https://jimei.example.cn/t/{code}")


def test_allowed_hosts_refuse_other_host_headers_and_give_links_for_their_own(
    settings: Settings, engine: Engine, db: Session
) -> None:
    hosts = ("jimei.example.cn", "*.jimei.example.cn")
    with portal_with(settings, engine, f"http://{EVIL}", base_url="", allowed_hosts=hosts) as (client, _):
        assert client.get("/report").status_code == 400
    with portal_with(settings, engine, "http://m.jimei.example.cn", base_url="", allowed_hosts=hosts) as (
        client,
        services,
    ):
        sent = submit_report(client, report_fields(client, a_community(db).slug))
        code = code_on(client.get(sent.headers["location"]).text)
        assert sent_to(services, REPORTER)[0].endswith(f"http://m.jimei.example.cn/t/{code}")


def test_in_development_links_follow_a_loopback_address_only(
    settings: Settings, engine: Engine, db: Session
) -> None:
    with portal_with(settings, engine, "http://127.0.0.1:8000", base_url="") as (client, services):
        sent = submit_report(client, report_fields(client, a_community(db).slug))
        receipt = client.get(sent.headers["location"])
        code = code_on(receipt.text)
        assert f"http://127.0.0.1:8000/t/{code}" in receipt.text and 'class="qr"' in receipt.text
        assert sent_to(services, REPORTER)[0].endswith(f"http://127.0.0.1:8000/t/{code}")


def _first_words_of_serve(data_dir: Path, host: str, **variables: str) -> str:
    """What ``portal serve`` prints first (uvicorn's own log lines come after the check)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(
        PORTAL_DATA_DIR=str(data_dir), PORTAL_DATABASE_URL="sqlite://", PORTAL_SECRET_KEY="x", **variables
    )
    serve = [sys.executable, "-c", "import sys; from portal.cli import main; sys.exit(main(sys.argv[1:]))"]
    process = subprocess.Popen(
        [*serve, "serve", "--host", host, "--port", "0"], env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stderr is not None
        return process.stderr.readline()
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_start_beyond_this_machine_without_an_address_says_links_are_off(tmp_path: Path) -> None:
    warning = _first_words_of_serve(tmp_path, "0.0.0.0")
    assert '"level": "WARNING"' in warning and "PORTAL_BASE_URL" in warning and "without links" in warning
    configured = _first_words_of_serve(tmp_path, "0.0.0.0", PORTAL_BASE_URL="https://jimei.example.cn")
    assert "PORTAL_BASE_URL" not in configured
    allowed = _first_words_of_serve(tmp_path, "0.0.0.0", PORTAL_ALLOWED_HOSTS="jimei.example.cn")
    assert "PORTAL_BASE_URL" not in allowed
    assert "PORTAL_BASE_URL" not in _first_words_of_serve(tmp_path, "127.0.0.1")
