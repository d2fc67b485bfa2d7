"""What an operator reads in the log of ``portal serve``: one JSON line per request, with its id,
route, status and duration, and nothing a resident typed."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session

from portal.ops.logs import masked_client
from portal.settings import Settings
from tests.unit.factories import KEY_PATTERN, a_community
from tests.unit.ops.serving import Served, portal_serve, wait_for_log

PHONE = "13859201234"


def _report(http: httpx.Client, community: str) -> httpx.Response:
    """A report sent as a browser sends it: the form, its key and the CSRF cookie first."""
    form = http.get("/report")
    key = KEY_PATTERN.search(form.text)
    assert key
    fields = {
        "form_key": key.group(1),
        "_csrf_token": http.cookies["csrftoken"],
        "category": "road-damage",
        "description": f"乐海路人行道地砖松动，请联系 {PHONE}",
        "community": community,
        "address": "乐海路12号门口",
        "name": "陈美玲",
        "phone": PHONE,
        "visibility": "public",
    }
    return http.post("/report", data=fields)


def _line_for(served: Served, request_id: str) -> dict:  # type: ignore[type-arg]
    wait_for_log(served, lambda: any(r.get("request_id") == request_id for r in served.requests()))
    [line] = [r for r in served.requests() if r["request_id"] == request_id]
    return line


def test_each_request_is_one_json_line_with_its_id_and_no_personal_data(
    settings: Settings, db: Session, tmp_path: Path
) -> None:
    community = a_community(db).slug
    with portal_serve(settings, tmp_path) as served, httpx.Client(base_url=served.base) as http:
        board = http.get(f"/tickets?q={PHONE}&street=x")
        ticket_page = http.get("/t/JM-NOPE-1234")
        nowhere = http.get("/no/such/page")
        rating_link = http.get("/r/JM-NOPE-1234/s3cr3t-t0ken-value")
        reported = _report(http, community)
        chosen = http.get("/privacy", headers={"X-Request-ID": "lb-7f3a9c2e51d04b8e"})
        forged = http.get("/privacy", headers={"X-Request-ID": 'x" {"level": "ERROR"}'})

        line = _line_for(served, board.headers["x-request-id"])
        assert board.status_code == 200
        assert line["level"] == "INFO" and line["logger"] == "portal.requests"
        assert (line["method"], line["route"], line["path"], line["status"]) == (
            "GET",
            "/tickets",
            "/tickets",
            200,
        )
        assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["time"])
        assert line["client"] == "127.0.0.0/24"  # the network, not the address

        assert _line_for(served, ticket_page.headers["x-request-id"])["route"] == "/t/{code}"
        unmatched = _line_for(served, nowhere.headers["x-request-id"])
        assert (unmatched["route"], unmatched["status"]) == ("unmatched", 404)
        secret = _line_for(served, rating_link.headers["x-request-id"])
        assert secret["route"] == "/r/{code}/{token}" and secret["path"] == "/r/JM-NOPE-1234/***"

        # A request id the load balancer chose is kept; one a client forged into a log line is not.
        assert chosen.headers["x-request-id"] == "lb-7f3a9c2e51d04b8e"
        assert _line_for(served, "lb-7f3a9c2e51d04b8e")["route"] == "/privacy"
        assert re.fullmatch(r"[0-9a-f]{32}", forged.headers["x-request-id"])

        # The report: its request line, and the SMS line written while it ran, share its id.
        assert reported.status_code == 303
        report_id = reported.headers["x-request-id"]
        post = _line_for(served, report_id)
        assert (post["method"], post["route"], post["status"]) == ("POST", "/report", 303)
        wait_for_log(served, lambda: any(r["logger"] == "portal.sms" for r in served.records()))
        [sms] = [r for r in served.records() if r["logger"] == "portal.sms"]
        assert sms["request_id"] == report_id and "138****1234" in sms["message"]

    log = served.log.read_text()
    assert PHONE not in log and "5920" not in log  # no phone number, from the form or the query
    assert "s3cr3t" not in log and "street=x" not in log and '{"level": "ERROR"}' not in log
    assert len(served.records()) == len(served.lines())  # every line is JSON, uvicorn's own too
    assert any(
        r["logger"] == "uvicorn.error" and "Started server process" in r["message"] for r in served.records()
    )


def test_plain_text_lines_when_asked(settings: Settings, engine: Engine, tmp_path: Path) -> None:
    with portal_serve(settings, tmp_path, PORTAL_LOG_FORMAT="text") as served:
        answer = httpx.get(f"{served.base}/privacy")
        request_id = answer.headers["x-request-id"]
        wait_for_log(served, lambda: request_id in served.log.read_text())
    [line] = [line for line in served.lines() if request_id in line]
    assert re.fullmatch(rf"\S+ \S+ INFO portal.requests \[{request_id}\] GET /privacy 200 [\d.]+ ms", line)
    assert not served.lines()[0].startswith("{")


def test_addresses_are_logged_as_their_network() -> None:
    def client(address: str) -> str | None:
        return masked_client({"client": (address, 5000)})  # type: ignore[typeddict-item]

    assert client("203.0.113.77") == "203.0.113.0/24"
    assert client("2001:db8:1234:5678::9") == "2001:db8:1234::/48"
    assert client("::ffff:198.51.100.23") == "198.51.100.0/24"
    assert client("testclient") is None
