"""The personal rating link in the resolution SMS, ``/r/{code}/{token}``: one per follower and round.

The token is stateless, a short HMAC of (ticket, follower, round) under the secret key, so a new
round (after a supervision order) retires every earlier link without a table to clean up. A good
link leaves a signed cookie naming the follower, and the rating page then asks for no digits.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

from litestar import Request, Response
from sqlmodel import Session, col, select

from portal.evaluation.models import Rating
from portal.security import sign_value, unsign_value
from portal.settings import Settings
from portal.tickets.models import Follower, Ticket

TOKEN_LENGTH = 8  # 40 bits: with the guessing limit, far beyond reach; short enough for one SMS
RATER_COOKIE = "rater"
MAX_REMEMBERED = 10


def rating_token(secret: str, ticket_id: int, follower_id: int, round_: int) -> str:
    mac = hmac.new(secret.encode(), f"rate:{ticket_id}:{follower_id}:{round_}".encode(), hashlib.sha256)
    return base64.b32encode(mac.digest()).decode().rstrip("=")[:TOKEN_LENGTH]


def rating_link(base_url: str, secret: str, ticket: Ticket, follower: Follower) -> str:
    token = rating_token(secret, ticket.id or 0, follower.id or 0, ticket.round)
    return f"{base_url}/r/{ticket.code}/{token}"


def follower_for_token(
    session: Session, secret: str, ticket: Ticket, token: str, round_: int | None = None
) -> Follower | None:
    """The follower whose link for the ticket's current round (or ``round_``) carries this token."""
    given = token.strip().upper().encode()
    found = None
    for follower in session.exec(
        select(Follower).where(Follower.ticket_id == ticket.id).order_by(col(Follower.id))
    ):
        expected = rating_token(secret, ticket.id or 0, follower.id or 0, round_ or ticket.round).encode()
        if hmac.compare_digest(expected, given):  # every follower is compared: timing tells nothing
            found = follower
    return found


def earlier_round_of_token(
    session: Session, secret: str, ticket: Ticket, token: str
) -> tuple[Follower, int] | None:
    """The follower and earlier round a link from an earlier round's SMS was made for."""
    for round_ in range(ticket.round - 1, 0, -1):
        follower = follower_for_token(session, secret, ticket, token, round_)
        if follower is not None:
            return follower, round_
    return None


def _remembered(request: Request[Any, Any, Any], secret: str) -> dict[str, list[int]]:
    payload = unsign_value(secret, RATER_COOKIE, request.cookies.get(RATER_COOKIE))
    if not isinstance(payload, dict):
        return {}
    now = time.time()
    return {
        str(code): entry
        for code, entry in payload.items()
        if isinstance(entry, list) and len(entry) == 3 and all(isinstance(n, int) for n in entry)
        and entry[2] > now
    }  # fmt: skip


def remember_rater(
    request: Request[Any, Any, Any],
    response: Response[Any],
    settings: Settings,
    ticket: Ticket,
    follower: Follower,
    round_: int | None = None,
) -> None:
    """This browser rates the ticket's current round (or sees its rating of ``round_``) as
    ``follower``, until the rating window ends."""
    seconds = settings.rating_window_days * 86400
    entries = _remembered(request, settings.secret_key)
    entries[ticket.code] = [follower.id or 0, round_ or ticket.round, int(time.time() + seconds)]
    newest = dict(sorted(entries.items(), key=lambda item: item[1][2])[-MAX_REMEMBERED:])
    response.set_cookie(
        RATER_COOKIE,
        sign_value(settings.secret_key, RATER_COOKIE, newest),
        max_age=seconds,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )


def remembered_follower(
    request: Request[Any, Any, Any], session: Session, secret: str, ticket: Ticket
) -> Follower | None:
    """The follower this browser came as by their own link, for the ticket's current round only."""
    entry = _remembered(request, secret).get(ticket.code)
    if entry is None or entry[1] != ticket.round:
        return None
    follower = session.get(Follower, entry[0])
    return follower if follower is not None and follower.ticket_id == ticket.id else None


def remembered_rating(
    request: Request[Any, Any, Any], session: Session, secret: str, ticket: Ticket
) -> Rating | None:
    """The rating this browser's follower gave for the round their link was for, if they gave one."""
    entry = _remembered(request, secret).get(ticket.code)
    follower = session.get(Follower, entry[0]) if entry is not None else None
    if entry is None or follower is None or follower.ticket_id != ticket.id:
        return None
    return session.exec(
        select(Rating).where(
            Rating.ticket_id == ticket.id, Rating.round == entry[1], Rating.rater == follower.phone
        )
    ).first()
