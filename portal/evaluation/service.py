"""Recording a resident's rating, and what a poor one sets off."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from portal.accounts.models import CENTRE_ROLES, StaffRole
from portal.accounts.service import audit
from portal.db import utcnow
from portal.directory.models import Department
from portal.dispatch.models import OrderKind
from portal.dispatch.notes import POOR_RATING_REASON
from portal.dispatch.service import issue_order
from portal.evaluation.models import LEVELS, SOLVED, Evaluation, PeerRequest, Rating, evaluator_of
from portal.i18n import N_, translator
from portal.numbers import whole_number
from portal.settings import SupervisionRule
from portal.sms import SmsGateway
from portal.tickets.lifecycle import Action, Role, Status
from portal.tickets.models import Follower, Ticket, TicketEvent
from portal.tickets.service import record_event
from portal.worktime import add_working_days

COMMENT_MAX = 500
DEFAULT_RULE = SupervisionRule()  # the views pass the configured one


class RatingError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _level(text: str) -> int:
    """One of the five levels, as a form sends it."""
    level = whole_number(text)
    if level is None or level not in LEVELS:
        raise RatingError(N_("Choose how satisfied you are."))
    return level


def rater_for_digits(session: Session, ticket: Ticket, digits: str) -> str | None:
    """The phone of the reporter or a follower whose number ends in these four digits."""
    phones = [ticket.reporter_phone] if ticket.reporter_phone else []
    phones += [
        f.phone
        for f in session.exec(
            select(Follower).where(Follower.ticket_id == ticket.id).order_by(col(Follower.id))
        )
    ]
    return next((p for p in phones if p.endswith(digits)), None)


def has_rated(session: Session, ticket: Ticket, rater: str) -> bool:
    found = session.exec(
        select(Rating).where(
            Rating.ticket_id == ticket.id, Rating.round == ticket.round, Rating.rater == rater
        )
    ).first()
    return found is not None


def latest_rating_by(session: Session, ticket: Ticket, rater: str) -> Rating | None:
    return session.exec(
        select(Rating)
        .where(Rating.ticket_id == ticket.id, Rating.rater == rater)
        .order_by(col(Rating.round).desc())
    ).first()


def submit_rating(
    session: Session, ticket: Ticket, rater: str, level: str, solved: str, comment: str,
    *, sms: SmsGateway, base_url: str, now: datetime | None = None, rule: SupervisionRule = DEFAULT_RULE,
) -> Rating:  # fmt: skip
    """One follower's rating of the current round. A poor one by ``rule`` (the configured
    PORTAL_SUPERVISE_* settings) opens a supervision order; the last follower's closes the ticket."""
    now = now or utcnow()
    if Status(ticket.status) == Status.CLOSED:
        raise RatingError(
            N_(
                "This ticket is closed: its ratings are in, or the time to rate it has passed. Its page shows how it was rated."
            )
        )
    if Status(ticket.status) != Status.RESOLVED:
        raise RatingError(N_("This ticket can be rated once the department has resolved it."))
    chosen = _level(level)
    if solved not in SOLVED:
        raise RatingError(N_("Say whether the problem was solved."))
    comment = comment.strip()
    if len(comment) > COMMENT_MAX:
        raise RatingError(N_("Keep the comment under 500 characters."))
    if has_rated(session, ticket, rater):
        raise RatingError(N_("You have already rated this round of handling. Thank you."))
    rating = Rating(
        ticket_id=ticket.id or 0,
        round=ticket.round,
        rater=rater,
        level=chosen,
        solved=solved,
        comment=comment,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(rating)
            session.flush()
    except IntegrityError:
        raise RatingError(N_("You have already rated this round of handling. Thank you.")) from None
    _touch(session, ticket)
    if rule.poor_rating(rating.level, solved):
        issue_order(
            session, ticket, OrderKind.POOR_RESULT,
            translator(ticket.locale).gettext(POOR_RATING_REASON),
            add_working_days(now, 3), now=now, user=None, address="rating", sms=sms, base_url=base_url,
            dedupe_key=f"poor:{ticket.round}",
        )  # fmt: skip
    elif _everyone_rated(session, ticket):
        record_event(session, ticket, Action.CLOSE, Role.SYSTEM, at=now)
    return rating


def _everyone_rated(session: Session, ticket: Ticket) -> bool:
    phones = {f.phone for f in session.exec(select(Follower).where(Follower.ticket_id == ticket.id))}
    rated = {
        r.rater
        for r in session.exec(
            select(Rating).where(Rating.ticket_id == ticket.id, Rating.round == ticket.round)
        )
    }
    return phones <= rated


def close_unrated(session: Session, window_days: int, now: datetime | None = None) -> int:
    """Resolved tickets whose rating window has ended close as unrated (never counted as satisfied)."""
    now = now or utcnow()
    resolved_at = (
        select(TicketEvent.ticket_id, func.max(TicketEvent.at).label("at"))
        .where(TicketEvent.action == Action.RESOLVE.value)
        .group_by(col(TicketEvent.ticket_id))
        .subquery()
    )
    due = session.exec(
        select(Ticket)
        .join(resolved_at, resolved_at.c.ticket_id == Ticket.id)
        .where(Ticket.status == Status.RESOLVED.value, resolved_at.c.at < now - timedelta(days=window_days))
    ).all()
    for ticket in due:
        record_event(session, ticket, Action.CLOSE, Role.SYSTEM, public_note="", at=now)
    return len(due)


def asked_of(session: Session, ticket: Ticket, department_id: int | None) -> bool:
    """Whether the centre asked this department to evaluate the ticket's current round."""
    found = session.exec(
        select(PeerRequest.id).where(
            PeerRequest.ticket_id == ticket.id,
            PeerRequest.round == ticket.round,
            PeerRequest.department_id == department_id,
        )
    ).first()
    return found is not None


def ask_peer(ctx: Any, ticket: Ticket, department_id: int | None) -> PeerRequest:
    """The command centre asks another active department to evaluate the current round."""

    if ctx.user.role not in CENTRE_ROLES:
        raise RatingError(N_("Only the command centre asks other departments to evaluate."))
    if Status(ticket.status) not in {Status.RESOLVED, Status.CLOSED}:
        raise RatingError(N_("A ticket is evaluated after it is resolved."))
    department = ctx.session.get(Department, department_id) if department_id else None
    if department is None or not department.active:
        raise RatingError(N_("Choose the department to ask from the list."))
    if department.id == ticket.department_id:
        raise RatingError(N_("The handling department evaluates its own work: ask another department."))
    already = N_("That department has already been asked to evaluate this round.")
    if asked_of(ctx.session, ticket, department.id):
        raise RatingError(already)
    request = PeerRequest(ticket_id=ticket.id or 0, round=ticket.round, department_id=department.id or 0,
                          requested_by=ctx.user.id or 0, requested_at=ctx.now)  # fmt: skip
    try:
        with ctx.session.begin_nested():
            ctx.session.add(request)
            ctx.session.flush()
    except IntegrityError:
        raise RatingError(already) from None
    audit(ctx.session, ctx.user, "ask-peer", address=ctx.address, ticket_id=ticket.id,
          detail=f"round {ticket.round}: {department.slug}")  # fmt: skip
    return request


def pending_peer_requests(session: Session, department_id: int | None) -> list[tuple[PeerRequest, Ticket]]:
    """What the centre asked this department to evaluate and it has not yet: current rounds only,
    oldest request first."""
    done = select(Evaluation.id).where(
        Evaluation.ticket_id == PeerRequest.ticket_id,
        Evaluation.round == PeerRequest.round,
        Evaluation.kind == "peer",
        Evaluation.evaluator == evaluator_of("peer", department_id),
    )
    query = (
        select(PeerRequest, Ticket)
        .join(Ticket, col(Ticket.id) == PeerRequest.ticket_id)
        .where(
            PeerRequest.department_id == department_id,
            PeerRequest.round == Ticket.round,
            col(Ticket.status).in_([Status.RESOLVED.value, Status.CLOSED.value]),
            ~done.exists(),
        )
        .order_by(col(PeerRequest.requested_at), col(PeerRequest.id))
    )
    return [(request, ticket) for request, ticket in session.exec(query)]


def _may_evaluate(ctx: Any, ticket: Ticket, kind: str) -> None:

    role, own = ctx.user.role, ctx.user.department_id
    if kind == "self" and not (role == StaffRole.DEPARTMENT and own == ticket.department_id):
        raise RatingError(N_("Only the handling department evaluates its own work."))
    if kind == "mutual" and role not in CENTRE_ROLES:
        raise RatingError(N_("Only the command centre gives the mutual evaluation."))
    if kind == "peer" and not (
        role == StaffRole.DEPARTMENT and own != ticket.department_id and asked_of(ctx.session, ticket, own)
    ):
        raise RatingError(N_("Your department has not been asked to evaluate this round of the ticket."))
    if kind not in {"self", "mutual", "peer"}:
        raise RatingError(N_("That change is not possible."))


def evaluate(
    ctx: Any, ticket: Ticket, kind: str, level: str, reason: str, *, rule: SupervisionRule = DEFAULT_RULE
) -> Evaluation:
    """Self-evaluation (the handling department), mutual evaluation (the command centre) or a peer
    department's evaluation (when the centre asked for it) of the current round's result, with a
    required reason. A poor mutual evaluation (by ``rule``) of a resolved ticket opens a supervision
    order, as a poor rating does; a peer's evaluation informs, and opens none by itself."""

    _may_evaluate(ctx, ticket, kind)
    if Status(ticket.status) not in {Status.RESOLVED, Status.CLOSED}:
        raise RatingError(N_("A ticket is evaluated after it is resolved."))
    chosen = _level(level)
    reason = reason.strip()
    if not reason:
        raise RatingError(N_("Write a reason."))
    if len(reason) > COMMENT_MAX:
        raise RatingError(N_("Keep the comment under 500 characters."))
    evaluation = Evaluation(ticket_id=ticket.id or 0, round=ticket.round, kind=kind,
                            evaluator=evaluator_of(kind, ctx.user.department_id), department_id=ticket.department_id,
                            user_id=ctx.user.id, level=chosen, reason=reason, created_at=ctx.now)  # fmt: skip
    try:
        with ctx.session.begin_nested():
            ctx.session.add(evaluation)
            ctx.session.flush()
    except IntegrityError:
        raise RatingError(N_("This round already has that evaluation.")) from None
    _touch(ctx.session, ticket)
    audit(
        ctx.session,
        ctx.user,
        f"evaluate-{kind}",
        address=ctx.address,
        ticket_id=ticket.id,
        detail=f"{level}: {reason[:200]}",
    )
    if rule.poor_evaluation(kind, evaluation.level) and Status(ticket.status) == Status.RESOLVED:
        issue_order(
            ctx.session, ticket, OrderKind.POOR_RESULT, reason, add_working_days(ctx.now, 3), now=ctx.now,
            user=ctx.user, address=ctx.address, sms=ctx.sms, base_url=ctx.base_url, dedupe_key=f"poor:{ticket.round}",
        )  # fmt: skip
    return evaluation


def _touch(session: Session, ticket: Ticket) -> None:
    """Ratings and evaluations show on the public page: a new version retires its cached copy."""
    ticket.version += 1
    session.add(ticket)


def approve_comment(session: Session, ticket: Ticket, rating_id: int, approve: bool) -> None:
    rating = session.get(Rating, rating_id)
    if rating is None or rating.ticket_id != ticket.id:
        raise RatingError(N_("That change is not possible."))
    rating.comment_approved = approve
    session.add(rating)
    _touch(session, ticket)


@dataclass(frozen=True)
class RoundSummary:
    round: int
    ratings: list[Rating]
    evaluations: list[Evaluation]

    @property
    def public_comments(self) -> list[str]:
        return [r.comment for r in self.ratings if r.comment and r.comment_approved]


def rounds_of(session: Session, ticket: Ticket) -> list[RoundSummary]:
    """Every round's ratings and evaluations, newest round first."""
    ratings = list(session.exec(select(Rating).where(Rating.ticket_id == ticket.id).order_by(col(Rating.id))))
    evaluations = list(
        session.exec(select(Evaluation).where(Evaluation.ticket_id == ticket.id).order_by(col(Evaluation.id)))
    )
    summaries = [
        RoundSummary(n, [r for r in ratings if r.round == n], [e for e in evaluations if e.round == n])
        for n in range(ticket.round, 0, -1)
    ]
    return [s for s in summaries if s.ratings or s.evaluations]
