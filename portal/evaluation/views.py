"""/t/{code}/rate: the resident's rating, with big simple controls, with and without JavaScript."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect
from sqlmodel import Session

from portal import access
from portal.evaluation.models import LEVELS, SOLVED
from portal.evaluation.service import RatingError, rater_for_digits, submit_rating
from portal.i18n import N_
from portal.services import public_base_url, services_of
from portal.templating import render
from portal.tickets.lifecycle import Status
from portal.tickets.models import Ticket
from portal.tickets.views import limit_guessing, ticket_or_404
from portal.web import in_thread, page_of


def _page(
    request: Request[Any, Any, Any],
    ticket: Ticket,
    *,
    known: bool,
    form: dict[str, str],
    error: str = "",
    status: int = 200,
) -> Response[str]:
    context = {
        "ticket": ticket,
        "resolved": Status(ticket.status) == Status.RESOLVED,
        "known": known,
        "form": form,
        "errors": {"rating": error} if error else {},
        "LEVELS": LEVELS,
        "SOLVED": SOLVED,
    }
    return render(request, "tickets/rate.html", context, status_code=status)


@get("/t/{code:str}/rate")
async def rate_form(request: Request[Any, Any, Any], code: FromPath[str]) -> Response[str]:
    return await in_thread(_rate_form, request, code)


def _rate_form(request: Request[Any, Any, Any], code: str) -> Response[str]:
    services = services_of(request)
    with Session(services.engine, expire_on_commit=False) as session:
        ticket = ticket_or_404(session, code)
    known = access.has_access(request, services.settings.secret_key, ticket.code) and bool(
        ticket.reporter_phone
    )
    return _page(request, ticket, known=known, form={})


@post("/t/{code:str}/rate")
async def rate_submit(request: Request[Any, Any, Any], code: FromPath[str]) -> Response[Any]:
    form = await request.form()
    return await in_thread(
        _rate, request, code, {k: str(v)[:1000] for k, v in form.items() if isinstance(v, str)}
    )


def _rate(request: Request[Any, Any, Any], code: str, form: dict[str, str]) -> Response[Any]:
    services = services_of(request)
    t = page_of(request).t
    base_url = public_base_url(request)
    with Session(services.engine, expire_on_commit=False) as session:
        ticket = ticket_or_404(session, code)
        known = access.has_access(request, services.settings.secret_key, ticket.code) and bool(
            ticket.reporter_phone
        )
        rater = ticket.reporter_phone if known else None
        if rater is None:
            limit_guessing(request, services, ticket)
            digits = form.get("digits", "").strip()
            rater = (
                rater_for_digits(session, ticket, digits) if len(digits) == 4 and digits.isdigit() else None
            )
            if rater is None:
                message = t.gettext(N_("Those digits do not match this ticket. Check them and try again."))
                return _page(request, ticket, known=False, form=form, error=message, status=422)
        try:
            submit_rating(session, ticket, rater, form.get("level", ""), form.get("solved", ""), form.get("comment", ""),
                          sms=services.sms, base_url=base_url)  # fmt: skip
        except RatingError as refused:
            session.rollback()
            return _page(
                request, ticket, known=known, form=form, error=t.gettext(refused.message), status=422
            )
        session.commit()
    return Redirect(f"/t/{ticket.code}?rated=1", status_code=303)


route_handlers = [rate_form, rate_submit]
