"""Staff sign-in, sign-out, password change, the staff home and the audit log."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect
from sqlmodel import Session, col, func, select

from portal.accounts import service
from portal.accounts.auth import (
    IDLE_SECONDS,
    WARN_SECONDS,
    StaffCookieMiddleware,
    current_session,
    current_staff,
    ended_cookie,
    session_cookie,
    staff_guard,
)
from portal.accounts.models import (
    AUDIT_LABELS,
    CENTRE_ROLES,
    PRESS_ROLES,
    ROLE_LABELS,
    AuditEntry,
    StaffRole,
    StaffUser,
)
from portal.dispatch.notes import describe_audit_detail
from portal.i18n import N_
from portal.numbers import whole_number
from portal.security import sign_value, unsign_value
from portal.services import Services, client_address, rate_limit, services_of
from portal.surveys.access import SURVEY_ROLES
from portal.templating import render
from portal.tickets.forms import clean_text
from portal.tickets.models import Ticket
from portal.web import in_thread, page_of

AUDIT_PAGE = 50


CENTRE_AND_DEPARTMENT = (*CENTRE_ROLES, StaffRole.DEPARTMENT)
STAFF_LINKS: tuple[tuple[str, str, tuple[StaffRole, ...] | None], ...] = (
    ("/staff", N_("Staff home"), None),
    ("/staff/queue", N_("Dispatch queue"), tuple(CENTRE_ROLES)),
    ("/staff/department", N_("My department's orders"), (StaffRole.DEPARTMENT,)),
    ("/staff/supervision", N_("Supervision orders"), CENTRE_AND_DEPARTMENT),
    ("/staff/press", N_("Projects and stories"), tuple(PRESS_ROLES)),
    ("/staff/surveys", N_("Surveys"), tuple(sorted(SURVEY_ROLES))),
    ("/staff/admin", N_("Accounts, departments and categories"), (StaffRole.ADMIN,)),
    ("/staff/audit", N_("Audit log"), (StaffRole.ADMIN,)),
    ("/staff/password", N_("Change my password"), None),
)
"""The staff pages, and the roles that may open each (None: every role)."""


def staff_links(user: StaffUser) -> list[tuple[str, str]]:
    """The staff pages this user's role may open: (address, message id)."""
    return [
        (href, label) for href, label, roles in STAFF_LINKS if roles is None or StaffRole(user.role) in roles
    ]


def staff_context(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """What every signed-in staff page shows: who, where they can go, when the idle session ends."""
    user = current_staff(request)
    links = staff_links(user)
    path = request.url.path.rstrip("/") or "/"
    here = max(  # the section this page belongs to; the home link only on the home page itself
        (href for href, _ in links if path == href or (href != "/staff" and path.startswith(href + "/"))),
        key=len,
        default="",
    )
    return {
        "user": user,
        "staff_links": links,
        "staff_here": here,
        "idle_seconds": IDLE_SECONDS,
        "warn_seconds": WARN_SECONDS,
    }


def _safe_next(target: str) -> str:
    """Only back into the staff pages: never to another site."""
    if target.startswith("/staff") and not target.startswith("//") and "\\" not in target:
        return target
    return "/staff"


@get("/login", sync_to_thread=False)
def login_form(request: Request[Any, Any, Any], next: FromQuery[str] = "/staff") -> Response[str]:
    return render(request, "staff/login.html", {"next": _safe_next(next), "username": "", "errors": {}})


@post("/login")
async def login(request: Request[Any, Any, Any]) -> Response[Any]:
    form = await request.form()
    return await in_thread(_login, request, form)


def _login(request: Request[Any, Any, Any], form: Any) -> Response[Any]:
    services = services_of(request)
    address = client_address(request)
    rate_limit(request, services, "login")
    username = clean_text(str(form.get("username", "")))[:60]  # no NUL or other control characters
    password = str(form.get("password", ""))[:200]
    target = _safe_next(str(form.get("next", "/staff")))
    t = page_of(request).t
    with Session(services.engine, expire_on_commit=False) as session:
        result = service.authenticate(
            session,
            username,
            password,
            address=address,
            known_devices=frozenset(_known_devices(request, services)),
        )
        token = service.start_session(session, result.user) if result.user is not None else ""
        session.commit()
    if result.user is None:
        context = {
            "next": target,
            "username": username,
            "errors": {"username": t.gettext(result.problem or "")},
        }
        return render(request, "staff/login.html", context, status_code=422)
    response: Response[Any] = Redirect(target, status_code=303)
    request.scope["state"]["staff_cookie"] = session_cookie(services.settings, token)
    _remember_device(request, response, services, result.user.id or 0)
    return response


DEVICE_COOKIE = "staff-device"
DEVICE_SECONDS = 90 * 86400


def _known_devices(request: Request[Any, Any, Any], services: Services) -> list[int]:
    """The accounts that signed in from this browser lately, oldest first (a signed cookie): when
    guessers from many addresses have spent an account's daily tries, its owner's own browser
    still gets in."""
    payload = unsign_value(services.settings.secret_key, DEVICE_COOKIE, request.cookies.get(DEVICE_COOKIE))
    return [i for i in payload if isinstance(i, int)] if isinstance(payload, list) else []


def _remember_device(
    request: Request[Any, Any, Any], response: Response[Any], services: Services, user_id: int
) -> None:
    # a shared desk: the four accounts signed in most lately besides this one
    ids = [*[i for i in _known_devices(request, services) if i != user_id][-4:], user_id]
    response.set_cookie(
        DEVICE_COOKIE,
        sign_value(services.settings.secret_key, DEVICE_COOKIE, ids),
        max_age=DEVICE_SECONDS,
        httponly=True,
        samesite="lax",
        secure=services.settings.secure_cookies,
        path="/staff",
    )


@post("/logout", guards=[staff_guard], sync_to_thread=True)
def logout(request: Request[Any, Any, Any], db_session: NamedDependency[Session]) -> Response[Any]:
    services = services_of(request)
    user = current_staff(request)
    service.end_session(db_session, current_session(request))  # every copy of this cookie, too
    service.audit(db_session, user, "logout", address=client_address(request))
    request.scope["state"]["staff_cookie"] = ended_cookie(services.settings)
    return Redirect("/staff/login", status_code=303)


@get("/", guards=[staff_guard], sync_to_thread=False)
def staff_home(request: Request[Any, Any, Any]) -> Response[str]:
    context = {**staff_context(request), "ROLE_LABELS": ROLE_LABELS}
    return render(request, "staff/home.html", context)


@post("/keepalive", guards=[staff_guard], sync_to_thread=False)
def keepalive(request: Request[Any, Any, Any]) -> Response[dict[str, int]]:
    """Staying signed in: the guard has already slid the session forward."""
    return Response({"expires_in": IDLE_SECONDS})


@get("/password", guards=[staff_guard], sync_to_thread=False)
def password_form(request: Request[Any, Any, Any]) -> Response[str]:
    return render(request, "staff/password.html", {**staff_context(request), "errors": {}, "done": False})


@post("/password", guards=[staff_guard])
async def password_change(request: Request[Any, Any, Any]) -> Response[Any]:
    form = await request.form()
    return await in_thread(_password_change, request, form)


def _password_change(request: Request[Any, Any, Any], form: Any) -> Response[Any]:
    services = services_of(request)
    user = current_staff(request)
    current = str(form.get("current", ""))[:200]
    new = str(form.get("new", ""))[:300]
    repeat = str(form.get("repeat", ""))[:300]
    t = page_of(request).t
    with Session(services.engine, expire_on_commit=False) as session:
        fresh = session.get(type(user), user.id)
        assert fresh is not None
        problem = (
            N_("The two new passwords are not the same.")
            if new != repeat
            else service.change_password(session, fresh, current, new, address=client_address(request))
        )
        token = service.start_session(session, fresh) if problem is None else ""
        session.commit()
    if problem is not None:
        field = "current" if "current" in problem.lower() else "new"
        return render(
            request,
            "staff/password.html",
            {**staff_context(request), "errors": {field: t.gettext(problem)}, "done": False},
            status_code=422,
        )
    request.scope["state"]["staff_cookie"] = session_cookie(services.settings, token)
    return render(request, "staff/password.html", {**staff_context(request), "errors": {}, "done": True})


@get("/audit", guards=[staff_guard], opt={"roles": [StaffRole.ADMIN]}, sync_to_thread=True)
def audit_log(
    request: Request[Any, Any, Any], db_session: NamedDependency[Session], page: FromQuery[str] = "1"
) -> Response[str]:
    number = whole_number(page, 1, 99_999) or 1
    total = int(db_session.exec(select(func.count()).select_from(AuditEntry)).one())
    entries = list(
        db_session.exec(
            select(AuditEntry)
            .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
            .offset((number - 1) * AUDIT_PAGE)
            .limit(AUDIT_PAGE)
        )
    )
    pages = max(1, -(-total // AUDIT_PAGE))
    ids = {e.ticket_id for e in entries if e.ticket_id}
    codes = (
        dict(db_session.exec(select(Ticket.id, Ticket.code).where(col(Ticket.id).in_(ids))).all())
        if ids
        else {}
    )
    return render(
        request,
        "staff/audit.html",
        {
            **staff_context(request),
            "entries": entries,
            "page": number,
            "pages": pages,
            "page_url": lambda n: f"/staff/audit?page={n}",
            "AUDIT_LABELS": AUDIT_LABELS,
            "ticket_codes": codes,
            "detail_of": lambda entry: describe_audit_detail(
                page_of(request).t, services_of(request).reference.get(), entry.action, entry.detail
            ),
        },
    )


staff_router = Router(
    path="/staff",
    route_handlers=[
        login_form,
        login,
        logout,
        staff_home,
        keepalive,
        password_form,
        password_change,
        audit_log,
    ],
    middleware=[StaffCookieMiddleware],
)
