"""No HTML validation errors (DESIGN §9): the Nu Html Checker (vnu.jar, from npm) reads every kind of
page, public and staff, with real data in it, in one run."""

from __future__ import annotations

import json
import shutil
import subprocess
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from portal.accounts.models import StaffRole
from portal.directory.models import Department
from portal.services import Services
from portal.tickets.models import Ticket
from tests.pages import PageClient
from tests.unit.dispatch.test_views import signed_in
from tests.unit.factories import a_community, report_fields, resolve_ticket, submit_report

ROOT = Path(__file__).resolve().parents[2]
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def validate(pages: dict[str, str], folder: Path) -> list[str]:
    """vnu's errors for each page, as "page: line: message"."""
    java = shutil.which("java")
    assert java, "Java runs the HTML checker: scripts/ensure-chromium installs it"
    assert VNU.exists(), "vnu.jar comes from npm: run scripts/setup"
    files = {}
    for number, (name, html) in enumerate(pages.items()):
        path = folder / f"page{number:02d}.html"
        path.write_text(html, encoding="utf-8")
        files[path.name] = name
    done = subprocess.run(
        [java, "-jar", str(VNU), "--errors-only", "--format", "json", "--exit-zero-always", *map(str, folder.glob("*.html"))],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    messages = json.loads(done.stderr or done.stdout)["messages"]
    return [
        f"{files.get(m.get('url', '').rsplit('/', 1)[-1], m.get('url'))}:{m.get('lastLine')}: {m['message']}"
        for m in messages
    ]


def page(client: PageClient, url: str, status: int = 200, **kwargs: Any) -> str:
    response = client.post(url, **kwargs) if kwargs else client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return str(response.text)


def test_every_kind_of_page_is_valid_html(
    client: PageClient, db: Session, services: Services, app: Any, tmp_path: Path
) -> None:
    community = a_community(db)
    done = submit_report(client, report_fields(client, community.slug))
    receipt = client.get(done.headers["location"]).text
    ticket = db.exec(select(Ticket)).one()
    resolve_ticket(db, services, ticket, tag="html")
    rate = client.post(f"/t/{ticket.code}/rate", data={"_csrf_token": client.csrf(), "level": "2", "solved": "no",
                                                      "comment": "还是不行"}, follow_redirects=False)  # fmt: skip
    assert rate.status_code == 303  # a poor rating: the ticket goes round again under supervision
    code = ticket.code
    department = db.exec(select(Department).where(Department.id == ticket.department_id)).one()
    pages = {
        "home": page(client, "/"),
        "home zh-Hans": page(client, "/?lang=zh-Hans"),
        "report": page(client, "/?lang=en") and page(client, "/report"),
        "report with errors": page(
            client, "/report", 422, data={"_csrf_token": client.csrf(), "description": "x"}
        ),
        "receipt": receipt,
        "ticket": page(client, f"/t/{code}"),
        "rate": page(client, f"/t/{code}/rate"),
        "track": page(client, "/track"),
        "track wrong code": page(
            client, "/track", 422, data={"_csrf_token": client.csrf(), "code": "ZZZZ-ZZZZ"}
        ),
        "board": page(client, "/tickets"),
        "board filtered": page(client, "/tickets?status=dispatched&street=jimei"),
        "privacy": page(client, "/privacy"),
        "stats": page(client, "/stats"),
        "stats by street": page(client, "/stats?by=street&from=2026-01-01&to=2026-11-30"),
        "stats columns": page(client, "/stats/columns"),
        "stats bad period": page(client, "/stats?from=2026-10-31&to=2026-10-01", 400),
        "not found": page(client, "/t/ZZZZ-ZZZZ", 404),
        "staff sign-in": page(client, "/staff/login"),
    }
    with ExitStack() as stack:
        elder = stack.enter_context(
            PageClient(app=app, base_url="http://portal.test", cookies={"elder": "1"})
        )
        pages["home, elder mode"] = page(elder, "/")
        pages["report, elder mode"] = page(elder, "/report")
        admin = signed_in(stack, app, db, "html-admin", StaffRole.ADMIN)
        for url in ("/staff", "/staff/queue", f"/staff/t/{code}", "/staff/supervision", "/staff/audit",
                    "/staff/password", "/staff/admin/users", "/staff/admin/departments", "/staff/admin/categories",
                    "/staff/admin/streets", "/staff/admin/communities", "/staff/admin/grids"):  # fmt: skip
            pages[f"staff {url}"] = page(admin, url)
        handler = signed_in(stack, app, db, "html-dept", StaffRole.DEPARTMENT, department)
        pages["department's orders"] = page(handler, "/staff/department")
        pages["department's ticket"] = page(handler, f"/staff/t/{code}")
    errors = validate(pages, tmp_path)
    assert not errors, "\n".join(errors)
