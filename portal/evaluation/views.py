"""/t/{code}/rate: the resident's rating, with big simple controls, with and without JavaScript;
/r/{code}/{token}: the follower's own link from the resolution SMS, which leads there."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect
from sqlmodel import Session

from portal import access
from portal.evaluation.links import (
    earlier_round_of_token,
    follower_for_token,
    remember_rater,
    remembered_follower,
    remembered_rating,
)
from portal.evaluation.models import LEVELS, SOLVED, Rating
from portal.evaluation.service import RatingError, latest_rating_by, rater_for_digits, submit_rating
from portal.i18n import N_
from portal.numbers import digits
from portal.services import (
    DigitsClosed,
    Services,
    limit_guessing,
    public_base_url,
    services_of,
)
from portal.templating import render
from portal.tickets.lifecycle import Status
from portal.tickets.models import Ticket
from portal.tickets.views import ticket_or_404
from portal.web import in_thread, page_of

TOKEN_MAX = 40


def _page(
    request: Request[Any, Any, Any],
    ticket: Ticket,
    *,
    known: bool,
    form: dict[str, str],
    given: Rating | None = None,
    error: str = "",
    status: int = 200,
) -> Response[str]:
    context = {
        "ticket": ticket,
        "given": given,
        "resolved": Status(ticket.status) == Status.RESOLVED,
        "known": known,
        "link_invalid": request.query_params.get("link") == "invalid",
        "form": form,
        "errors": {"rating": error} if error else {},
        "LEVELS": LEVELS,
        "SOLVED": SOLVED,
    }
    return render(request, "tickets/rate.html", context, status_code=status)


@get("/t/{code:str}/rate")
async def rate_form(request: Request[Any, Any, Any], code: FromPath[str]) -> Response[str]:
    return await in_thread(_rate_form, request, code)


def _known_rater(
    request: Request[Any, Any, Any], services: Services, session: Session, ticket: Ticket
) -> str | None:
    """The phone this browser rates as without digits: the follower who came by their own link for
    this round, else the reporter whose browser sent the report (or was unlocked)."""
    follower = remembered_follower(request, session, services.settings.secret_key, ticket)
    if follower is not None:
        return follower.phone
    if ticket.reporter_phone and access.has_access(request, services.settings.secret_key, ticket.code):
        return ticket.reporter_phone
    return None


def _rating_given(
    request: Request[Any, Any, Any], services: Services, session: Session, ticket: Ticket
) -> Rating | None:
    """This browser's rating, to show instead of the form while no new round waits for one."""
    secret = services.settings.secret_key
    rating = remembered_rating(request, session, secret, ticket)
    if rating is None and ticket.reporter_phone and access.has_access(request, secret, ticket.code):
        rating = latest_rating_by(session, ticket, ticket.reporter_phone)
    awaiting_new = Status(ticket.status) == Status.RESOLVED and (
        rating is None or rating.round != ticket.round
    )
    return None if awaiting_new else rating


def _rate_form(request: Request[Any, Any, Any], code: str) -> Response[str]:
    services = services_of(request)
    with Session(services.engine, expire_on_commit=False) as session:
        ticket = ticket_or_404(session, code)
        known = _known_rater(request, services, session, ticket) is not None
        given = _rating_given(request, services, session, ticket)
    return _page(request, ticket, known=known, form={}, given=given)


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
        rater = _known_rater(request, services, session, ticket)
        known = rater is not None
        given = _rating_given(request, services, session, ticket)
        if given is not None:  # sent twice, or from a page left open: show what is in
            return _page(request, ticket, known=known, form={}, given=given)
        if rater is None:
            try:
                limit_guessing(request, services, ticket.code)
            except DigitsClosed:
                message = t.gettext(
                    N_("This ticket's digits were tried too many times today. Use the rating link in "
                       "our SMS, or open the ticket's page to have a code texted to you.")
                )  # fmt: skip
                return _page(request, ticket, known=False, form=form, error=message, status=429)
            typed = digits(str(form.get("digits", "")).strip(), 4)
            rater = rater_for_digits(session, ticket, typed) if typed else None
            if rater is None:
                message = t.gettext(N_("Those digits do not match this ticket. Check them and try again."))
                return _page(request, ticket, known=False, form=form, error=message, status=422)
        try:
            submit_rating(session, ticket, rater, form.get("level", ""), form.get("solved", ""), form.get("comment", ""),
                          sms=services.sms, base_url=base_url, rule=services.settings.supervision)  # fmt: skip
        except RatingError as refused:
            session.rollback()
            return _page(
                request, ticket, known=known, form=form, error=t.gettext(refused.message), status=422
            )
        session.commit()
    return Redirect(f"/t/{ticket.code}?rated=1", status_code=303)


@get("/r/{code:str}/{token:str}")
async def rating_link(
    request: Request[Any, Any, Any], code: FromPath[str], token: FromPath[str]
) -> Response[Any]:
    return await in_thread(_follow_rating_link, request, code, token)


def _follow_rating_link(request: Request[Any, Any, Any], code: str, token: str) -> Response[Any]:
    """A good token names its follower in a cookie; either way the resident lands on the rating page,
    so the token stays neither in the address bar nor in a Referer."""
    services = services_of(request)
    with Session(services.engine, expire_on_commit=False) as session:
        ticket = ticket_or_404(session, code)
        # Only wrong tokens count, per address: a ticket's code is public, and a limit per ticket
        # would let a few bad requests lock every resident's genuine link out; a resident's own link
        # is never refused because others behind the same address (a carrier's NAT, a community
        # centre's Wi-Fi) tried too much. 8 characters of base32 are 2^40 tokens; at 5 wrong tries
        # per address per 15 minutes, guessing one takes lifetimes.
        follower = follower_for_token(session, services.settings.secret_key, ticket, token[:TOKEN_MAX])
        earlier = (
            None
            if follower
            else earlier_round_of_token(session, services.settings.secret_key, ticket, token[:TOKEN_MAX])
        )
    headers = {"Cache-Control": "no-store"}
    response: Response[Any]
    if earlier is not None:  # the rating it asked for may be in: the page shows it, or asks anew
        response = Redirect(f"/t/{ticket.code}/rate?link=invalid", status_code=303, headers=headers)
        remember_rater(request, response, services.settings, ticket, earlier[0], earlier[1])
        return response
    if follower is None:  # mistyped or forged
        limit_guessing(request, services, ticket.code, per_ticket=False)
        return Redirect(f"/t/{ticket.code}/rate?link=invalid", status_code=303, headers=headers)
    response = Redirect(f"/t/{ticket.code}/rate", status_code=303, headers=headers)
    remember_rater(request, response, services.settings, ticket, follower)
    return response


route_handlers = [rate_form, rate_submit, rating_link]
