"""Every route with odd values in every parameter it reads: whatever a request carries, the answer is
never a server error.

The parameters come from the app itself: each route's path parameters, the query parameters of its
handler's signature, the names the code reads from forms and queries, and the names of every form
field in the templates. Odd values are what broke pages before: digits Python reads but people do
not type ('²', '٣', full-width), numbers too big for the database, signs, exponents, NUL, long text.
A fixed sweep sends each odd value everywhere, signed out, as an administrator and as a department;
Hypothesis then tries generated text on the routes that take numbers.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient
from sqlmodel import Session, col, select

from portal.accounts.models import StaffRole
from portal.accounts.service import create_user
from portal.directory.models import Department
from portal.services import Services
from tests.pages import PageClient
from tests.unit.factories import a_community, code_on, jpeg_bytes, report_fields, submit_report

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a long enough password"

ODD = ["²", "٣", "１２", "1" * 30, "2147483648", "-1", "", "1e5", "nan", "\x00", "2026-02-30", "x" * 600]
NUMERIC_ODD = ["²", "1" * 30, "-1", "\x00", "x" * 600]
PATH_ODD = ["²", "٣", "1" * 30, "-1", "0", "%00", "x" * 300, "..%2F..%2Fsecret_key"]
NOT_THESE = {"/static/{file_path:path}"}
STAY_SIGNED_IN = {"/staff/logout"}  # it would end the walk's session


def _template_fields() -> set[str]:
    names: set[str] = set()
    for page in (ROOT / "templates").rglob("*.html"):
        names |= set(re.findall(r'\bname="([a-z_]+)"', page.read_text()))
    return names


def _code_fields() -> set[str]:
    """Names the code reads from a form or a query."""
    patterns = [
        r'(?:form|raw|query_params)(?:\.get|\.getall)?[\[(]"([a-z_]+)"',
        r'\b(?:text|number)\("([a-z_]+)"\)',
    ]
    names: set[str] = set()
    for module in (ROOT / "portal").rglob("*.py"):
        source = module.read_text()
        for pattern in patterns:
            names |= set(re.findall(pattern, source))
    return names


def _actions() -> list[str]:
    """Every step a staff form can name: the buttons in the templates and the steps the code knows."""
    found = set()
    for page in (ROOT / "templates").rglob("*.html"):
        found |= set(re.findall(r'name="action" value="([a-z-]+)"', page.read_text()))
    for module in (ROOT / "portal").rglob("*views.py"):
        source = module.read_text()
        found |= set(re.findall(r'action == "([a-z-]+)"', source))
        for group in re.findall(r"action in \{([^}]*)\}", source):
            found |= set(re.findall(r'"([a-z-]+)"', group))
    return sorted(found)


def _query_names(handler: Any, path_names: set[str]) -> set[str]:
    skip = {"request", "db_session", *path_names}
    named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    parameters = inspect.signature(handler.fn).parameters.values()
    return {p.name for p in parameters if p.kind in named and p.name not in skip}


def _routes(app: Any) -> Iterator[tuple[str, str, list[str], set[str]]]:
    """(method, path template, path parameter names, query parameter names) for every route."""
    for route in app.routes:
        if route.path in NOT_THESE:
            continue
        path_names = [str(name) for name in route.path_parameters]
        for handler in route.route_handlers:
            for method in sorted(set(handler.http_methods) - {"HEAD", "OPTIONS"}):
                yield method, route.path, path_names, _query_names(handler, set(path_names))


# The page the load balancer shows in place of its 502: it says 503 itself, on purpose.
SAYS_UNAVAILABLE = {"/errors/unavailable"}


class Walker:
    """Sends odd values to every route and keeps what answered with a server error."""

    def __init__(self, app: Any, client: TestClient[Any], services: Services, valid: dict[str, str]) -> None:
        self.routes = list(_routes(app))
        self.fields = sorted(_template_fields() | _code_fields())
        self.actions = _actions()
        self.client, self.services, self.valid = client, services, valid
        self.failures: list[str] = []
        self.sent = 0

    def path(self, template: str, values: dict[str, str]) -> str:
        return re.sub(r"\{(\w+):\w+\}", lambda m: quote(values[m.group(1)], safe=""), template)

    def send(self, method: str, path: str, query: dict[str, str], form: dict[str, str]) -> None:
        if method == "POST":
            form = {**form, "_csrf_token": self.client.cookies.get("csrftoken", "")}
            response = self.client.post(path, params=query, data=form, follow_redirects=False)
        else:
            response = self.client.get(path, params=query, follow_redirects=False)
        self.sent += 1
        if response.status_code >= 500 and not (path in SAYS_UNAVAILABLE and response.status_code == 503):
            sample = {k: v[:20] for k, v in list(form.items())[:3]}
            self.failures.append(f"{method} {path} {query} {sample} -> {response.status_code}")

    def sweep(self, value: str, *, staff: bool) -> None:
        """``value`` in every query parameter and form field of every public (or staff) route,
        its path made of real values."""
        self.services.limiter.reset()
        for method, template, path_names, query_names in self.routes:
            if template.startswith("/staff") != staff or template in STAY_SIGNED_IN:
                continue
            path = self.path(template, {name: self.valid.get(name, "1") for name in path_names})
            query = dict.fromkeys(query_names | {"page"}, value) if method == "GET" else {}
            form = dict.fromkeys(self.fields, value) if method == "POST" else {}
            self.send(method, path, query, form)

    def odd_paths(self, value: str) -> None:
        """``value`` in every path parameter."""
        for method, template, path_names, _ in self.routes:
            if path_names and template not in STAY_SIGNED_IN:
                self.send(method, self.path(template, dict.fromkeys(path_names, value)), {}, {})

    def steps(self, template: str, value: str) -> None:
        """Every step a staff form can name, with ``value`` in each of the form's other fields."""
        self.services.limiter.reset()
        path = self.path(template, self.valid)
        for action in self.actions:
            self.send("POST", path, {}, {**dict.fromkeys(self.fields, value), "action": action})


class PlainClient(TestClient):  # type: ignore[type-arg]
    """Odd requests get odd pages: only the status matters here, so pages are not checked."""

    csrf = PageClient.csrf


@pytest.fixture
def world(app: Any, db: Session, services: Services) -> Iterator[Walker]:
    """A ticket with a photo, an administrator, a department worker, and a client for them."""
    with PlainClient(app=app, base_url="http://portal.test", raise_server_exceptions=False) as client:
        client.headers["Accept-Language"] = "en"
        client.get("/")
        fields = report_fields(client, a_community(db).slug)  # type: ignore[arg-type]
        done = submit_report(client, fields, [("a.jpg", jpeg_bytes(), "image/jpeg")])  # type: ignore[arg-type]
        code = code_on(client.get(done.headers["location"]).text)
        department = db.exec(select(Department).order_by(col(Department.id))).first()
        assert department is not None
        create_user(db, username="fuzz-admin", password=PASSWORD, role=StaffRole.ADMIN)
        other = create_user(db, username="fuzz-other", password=PASSWORD, role=StaffRole.DISPATCHER)
        create_user(db, username="fuzz-dept", password=PASSWORD, role=StaffRole.DEPARTMENT,
                    department_id=department.id)  # fmt: skip
        db.commit()
        valid = {"code": code, "page": "users", "row_id": str(other.id), "digest": "0" * 64,
                 "size": "thumb", "token": "x", "name": "figures.csv"}  # fmt: skip
        yield Walker(app, client, services, valid)


def sign_in(walker: Walker, username: str) -> None:
    client = walker.client
    client.post("/staff/logout", data={"_csrf_token": client.cookies.get("csrftoken", "")})
    client.get("/staff/login")
    answer = client.post(
        "/staff/login",
        data={
            "username": username,
            "password": PASSWORD,
            "next": "/staff",
            "_csrf_token": client.cookies["csrftoken"],
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text[:500]


def test_no_odd_value_anywhere_gives_a_server_error(world: Walker) -> None:
    for value in ODD:
        world.sweep(value, staff=False)  # signed out, staff pages only send strangers to sign in
    for value in PATH_ODD:
        world.odd_paths(value)

    sign_in(world, "fuzz-admin")
    for value in ODD:
        world.sweep(value, staff=True)
    for value in PATH_ODD:
        world.odd_paths(value)
    for value in NUMERIC_ODD:
        world.steps("/staff/t/{code:str}/act", value)
        world.steps("/staff/admin/{page:str}/{row_id:str}", value)

    sign_in(world, "fuzz-dept")
    for value in NUMERIC_ODD:
        world.steps("/staff/t/{code:str}/act", value)

    print(f"{world.sent} requests")
    assert world.sent > 800
    assert not world.failures, "\n".join(world.failures[:40])


NUMBERS = st.one_of(
    st.lists(st.sampled_from(["²", "①", "٣", "१", "１", "Ⅻ", "0", "9"]), min_size=1, max_size=12).map(
        "".join
    ),
    st.text(st.characters(categories=["Nd", "No", "Nl"]), min_size=1, max_size=40),  # digits of any script
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.text(max_size=60),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=NUMBERS)
def test_generated_numbers_never_give_a_server_error(world: Walker, value: str) -> None:
    """Pages and forms that read numbers, with generated values, as an administrator."""
    if world.sent == 0:
        sign_in(world, "fuzz-admin")
    code = world.valid["code"]
    for path in ("/tickets", "/staff/audit", "/stats"):
        world.send("GET", path, {"page": value, "month": value, "from": value, "to": value}, {})
    world.send("POST", f"/t/{code}/rate", {}, {"level": value, "solved": "yes", "digits": value})
    for action in ("dispatch", "update", "approve-photo", "evaluate-mutual"):
        fields = {"department": value, "category": value, "community": value, "photo": value, "rating": value}
        world.send("POST", f"/staff/t/{code}/act", {}, {"action": action, "level": value, **fields})
    world.send("POST", f"/staff/admin/users/{quote(value, safe='')}", {}, {"action": "activate"})
    world.send(
        "POST", "/staff/admin/categories", {}, {"group": value, "department": value, "response_hours": value}
    )
    assert not world.failures, "\n".join(world.failures)
