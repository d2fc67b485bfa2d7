"""The public figures (DESIGN §5): every formula, in one place, over plain facts.

Nothing here reads the database: ``portal.stats.facts`` loads the facts, and the page, the CSV
and the JSON all print what ``tally`` returns, so they agree to the digit.

Which period a fact belongs to:
- an order to a department counts in the period of its dispatch;
- a resolution counts in the period it was resolved;
- a rating counts in the period it was given, and a rated round in the period of its first rating;
- a supervision order counts when it is still open at the end of the period.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from statistics import median

from portal.i18n import N_
from portal.stats.period import Period

SATISFIED_AT_LEAST = 4  # 满意 or better
ONE_PLACE = Decimal("0.1")


# --- the facts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One ticket event the figures read: dispatch, accept, return, reject, merge, resolve, supervise."""

    action: str
    department_id: int | None
    at: datetime
    due: datetime | None = None  # the deadline an accept or a resolve was measured against
    from_status: str | None = None


@dataclass(frozen=True)
class RatingFact:
    round: int
    level: int
    solved: str
    at: datetime


@dataclass(frozen=True)
class OrderFact:
    department_id: int | None
    issued_at: datetime
    fulfilled_at: datetime | None


@dataclass(frozen=True)
class TicketFacts:
    id: int
    street_id: int | None
    steps: tuple[Step, ...] = ()
    ratings: tuple[RatingFact, ...] = ()
    orders: tuple[OrderFact, ...] = ()


# --- what each ticket contributes ---------------------------------------------------------------


@dataclass(frozen=True)
class OrderToDepartment:
    """A dispatch, and whether the department accepted it before the response deadline."""

    department_id: int | None
    dispatched_at: datetime
    accepted_at: datetime | None
    on_time: bool


@dataclass(frozen=True)
class Resolution:
    department_id: int | None
    started_at: datetime  # the dispatch, or the supervision order that reopened the ticket
    resolved_at: datetime
    on_time: bool


@dataclass(frozen=True)
class RatedRound:
    department_id: int | None  # the department that resolved the round
    first_rated_at: datetime
    ratings: tuple[RatingFact, ...]

    def solved_by(self, moment: datetime) -> bool:
        """Every rating given before ``moment`` said "solved": the round as it stood then."""
        return all(r.solved == "yes" for r in self.ratings if r.at < moment)


def orders_of(steps: Iterable[Step]) -> list[OrderToDepartment]:
    """Each dispatch is an order; the next accept before any return, reject, merge or new dispatch
    answers it. It is on time when accepted no later than the deadline in force at that moment."""
    orders: list[OrderToDepartment] = []
    pending: Step | None = None
    for step in steps:
        if step.action == "accept" and pending is not None:
            on_time = step.due is not None and step.at <= step.due
            orders.append(OrderToDepartment(pending.department_id, pending.at, step.at, on_time))
            pending = None
        elif step.action in {"dispatch", "return", "reject", "merge"}:
            if pending is not None:
                orders.append(OrderToDepartment(pending.department_id, pending.at, None, False))
            pending = step if step.action == "dispatch" else None
    if pending is not None:
        orders.append(OrderToDepartment(pending.department_id, pending.at, None, False))
    return orders


def resolutions_of(steps: Iterable[Step]) -> list[Resolution]:
    """Each resolve, timed from the latest dispatch or reopening supervision order before it."""
    found: list[Resolution] = []
    started: datetime | None = None
    for step in steps:
        if step.action == "dispatch" or (step.action == "supervise" and step.from_status == "resolved"):
            started = step.at
        elif step.action == "resolve" and started is not None:
            on_time = step.due is not None and step.at <= step.due
            found.append(Resolution(step.department_id, started, step.at, on_time))
    return found


def rated_rounds_of(ticket: TicketFacts) -> list[RatedRound]:
    resolves = [s for s in ticket.steps if s.action == "resolve"]
    rounds: list[RatedRound] = []
    for number in sorted({r.round for r in ticket.ratings}):
        ratings = tuple(sorted((r for r in ticket.ratings if r.round == number), key=lambda r: r.at))
        first = ratings[0].at
        before = [s for s in resolves if s.at <= first]
        department = before[-1].department_id if before else None
        rounds.append(RatedRound(department, first, ratings))
    return rounds


def department_of_rating(ticket: TicketFacts, rating: RatingFact) -> int | None:
    before = [s for s in ticket.steps if s.action == "resolve" and s.at <= rating.at]
    return before[-1].department_id if before else None


# --- the tally ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Weights:
    """The composite score's weights, in percent of the three rates (DESIGN §5: 10/50/40)."""

    response: int = 10
    resolution: int = 50
    satisfaction: int = 40

    @property
    def total(self) -> int:
        return self.response + self.resolution + self.satisfaction


@dataclass
class Tally:
    """The counts behind one group's figures for one period."""

    dispatched: int = 0
    accepted_on_time: int = 0
    rated_rounds: int = 0
    solved_rounds: int = 0
    ratings: int = 0
    satisfied_ratings: int = 0
    resolutions: int = 0
    resolved_on_time: int = 0
    open_orders: int = 0
    hours_to_accept: list[Fraction] = field(default_factory=list)
    hours_to_resolve: list[Fraction] = field(default_factory=list)
    # The medians in hours, when the counts come from the database (``portal.stats.aggregate``) with
    # the median instead of every value; ``merge`` cannot derive them, so it leaves them out.
    accept_median: Fraction | None = None
    resolve_median: Fraction | None = None

    @property
    def response_rate(self) -> Decimal | None:
        return percent(self.accepted_on_time, self.dispatched)

    @property
    def resolution_rate(self) -> Decimal | None:
        return percent(self.solved_rounds, self.rated_rounds)

    @property
    def satisfaction_rate(self) -> Decimal | None:
        return percent(self.satisfied_ratings, self.ratings)

    @property
    def on_time_rate(self) -> Decimal | None:
        return percent(self.resolved_on_time, self.resolutions)

    @property
    def median_hours_to_accept(self) -> Decimal | None:
        if self.accept_median is not None:
            return _round(self.accept_median)
        return _median(self.hours_to_accept)

    @property
    def median_hours_to_resolve(self) -> Decimal | None:
        if self.resolve_median is not None:
            return _round(self.resolve_median)
        return _median(self.hours_to_resolve)

    def composite(self, weights: Weights) -> Decimal | None:
        """The weighted mean of the three rates, from the unrounded rates; none while any is missing."""
        if not (self.dispatched and self.rated_rounds and self.ratings):
            return None
        score = (
            Fraction(weights.response * self.accepted_on_time, self.dispatched)
            + Fraction(weights.resolution * self.solved_rounds, self.rated_rounds)
            + Fraction(weights.satisfaction * self.satisfied_ratings, self.ratings)
        ) * Fraction(100, weights.total)
        return _round(score)


def percent(part: int, whole: int) -> Decimal | None:
    """part / whole in percent, one decimal place, half up; None when there is nothing to divide."""
    if whole == 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


def _round(value: Fraction) -> Decimal:
    """Exact arithmetic to the end: a value exactly half way, such as 41.25, rounds up."""
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


def _median(hours: list[Fraction]) -> Decimal | None:
    return _round(Fraction(median(hours))) if hours else None


def _hours(start: datetime, end: datetime) -> Fraction:
    return Fraction((end - start) // timedelta(microseconds=1), 3_600_000_000)


GroupOf = Callable[[TicketFacts, "int | None"], "int | None"]
"""Which group a fact counts for: given the ticket and the fact's department."""


def by_department(ticket: TicketFacts, department_id: int | None) -> int | None:
    return department_id


def by_street(ticket: TicketFacts, department_id: int | None) -> int | None:
    return ticket.street_id


def whole_district(ticket: TicketFacts, department_id: int | None) -> int | None:
    return 0


DISTRICT = -1
"""The key under which ``tally_parts`` also counts every fact, whatever its group."""


def tally(tickets: Iterable[TicketFacts], period: Period, group_of: GroupOf) -> dict[int | None, Tally]:
    """Every group's counts for the period. Facts without a group (e.g. no street) count under None."""
    parts = tally_parts(tickets, period.months(), group_of)
    merged = merge(parts)
    merged.pop(DISTRICT, None)
    return merged


def tally_parts(
    tickets: Iterable[TicketFacts], parts: list[Period], group_of: GroupOf
) -> list[dict[int | None, Tally]]:
    """Every group's counts for each of several back-to-back periods, in one pass over the facts;
    each fact also counts under ``DISTRICT``."""
    tallies: list[dict[int | None, Tally]] = [{} for _ in parts]
    starts = [part.start_at for part in parts]
    first, end = parts[0].start_at, parts[-1].end_at

    def _end_of_part(moment: datetime) -> datetime:
        return parts[max(0, bisect_right(starts, moment) - 1)].end_at

    def add(moment: datetime, ticket: TicketFacts, department_id: int | None) -> tuple[Tally, Tally] | None:
        if not first <= moment < end:
            return None
        bins = tallies[bisect_right(starts, moment) - 1]
        return (bins.setdefault(group_of(ticket, department_id), Tally()), bins.setdefault(DISTRICT, Tally()))

    for ticket in tickets:
        for order in orders_of(ticket.steps):
            for counts in add(order.dispatched_at, ticket, order.department_id) or ():
                counts.dispatched += 1
                counts.accepted_on_time += order.on_time
                if order.accepted_at is not None:
                    counts.hours_to_accept.append(_hours(order.dispatched_at, order.accepted_at))
        for resolution in resolutions_of(ticket.steps):
            for counts in add(resolution.resolved_at, ticket, resolution.department_id) or ():
                counts.resolutions += 1
                counts.resolved_on_time += resolution.on_time
                counts.hours_to_resolve.append(_hours(resolution.started_at, resolution.resolved_at))
        for rated in rated_rounds_of(ticket):
            # a round counts once, in the month of its first rating, as it stood at the end of that
            # month (or of the period, if that ends sooner): a later rating never changes it
            solved = rated.solved_by(_end_of_part(rated.first_rated_at))
            for counts in add(rated.first_rated_at, ticket, rated.department_id) or ():
                counts.rated_rounds += 1
                counts.solved_rounds += solved
        for rating in ticket.ratings:
            for counts in add(rating.at, ticket, department_of_rating(ticket, rating)) or ():
                counts.ratings += 1
                counts.satisfied_ratings += rating.level >= SATISFIED_AT_LEAST
        for supervision in ticket.orders:
            for part, bins in zip(parts, tallies, strict=True):
                part_end = part.end_at
                if supervision.issued_at < part_end and (
                    supervision.fulfilled_at is None or supervision.fulfilled_at >= part_end
                ):
                    for key in (group_of(ticket, supervision.department_id), DISTRICT):
                        bins.setdefault(key, Tally()).open_orders += 1
    return tallies


def merge(parts: list[dict[int | None, Tally]]) -> dict[int | None, Tally]:
    """Back-to-back periods as one: counts add up; open supervision orders are those of the last.
    The medians come from the values the parts carry (a median of medians is not the median)."""
    merged: dict[int | None, Tally] = {}
    for bins in parts:
        for key, counts in bins.items():
            into = merged.setdefault(key, Tally())
            for name in ADDITIVE:
                setattr(into, name, getattr(into, name) + getattr(counts, name))
            into.hours_to_accept += counts.hours_to_accept
            into.hours_to_resolve += counts.hours_to_resolve
    for into in merged.values():
        into.open_orders = 0
    for key, counts in parts[-1].items() if parts else ():
        merged[key].open_orders = counts.open_orders
    return merged


ADDITIVE = (
    "dispatched", "accepted_on_time", "rated_rounds", "solved_rounds", "ratings", "satisfied_ratings",
    "resolutions", "resolved_on_time",
)  # fmt: skip


@dataclass(frozen=True)
class Counted:
    """Every group's counts for each month of a period (``tally_parts``), and for the whole period:
    ``merge(parts)``, or as the database counted it, with the whole period's medians."""

    parts: list[dict[int | None, Tally]]
    whole: dict[int | None, Tally]


@dataclass(frozen=True)
class Ranked:
    group_id: int
    tally: Tally
    composite: Decimal | None
    rank: int | None  # None: not ranked, some rate has no data


def league(tallies: dict[int | None, Tally], group_ids: Iterable[int], weights: Weights) -> list[Ranked]:
    """Groups by composite score, best first; equal scores share a rank; groups without one come last."""
    rows = [(g, tallies.get(g) or Tally()) for g in group_ids]
    scored = sorted(
        ((g, t, t.composite(weights)) for g, t in rows), key=lambda r: (r[2] is None, -(r[2] or 0))
    )
    ranked: list[Ranked] = []
    previous: Decimal | None = None
    rank = 0
    for position, (group_id, counts, score) in enumerate(scored, start=1):
        if score is not None and score != previous:
            rank = position
        ranked.append(Ranked(group_id, counts, score, rank if score is not None else None))
        previous = score
    return ranked


# --- the definitions printed under the figures --------------------------------------------------

DEFINITIONS: list[tuple[str, str]] = [
    (
        N_("Response rate"),
        N_(
            "Orders the department accepted within the response deadline ÷ orders dispatched to it in the "
            "period. An order that was returned, or not accepted in time, counts against it."
        ),
    ),
    (
        N_("Resolution rate"),
        N_(
            "Rounds of handling that every rating resident called solved ÷ rounds rated in the period. "
            "A round is counted in the month of its first rating, with the ratings given by the end of "
            "that month (or of the period, if it ends sooner); “partly” does not count as solved."
        ),
    ),
    (
        N_("Satisfaction rate"),
        N_(
            "Ratings of “satisfied” or “very satisfied” ÷ all ratings given in the period. "
            "Tickets closed without a rating are not counted as satisfied."
        ),
    ),
    (
        N_("On-time rate"),
        N_(
            "Resolutions reported within the resolution deadline in force at the time ÷ resolutions in the period."
        ),
    ),
    (
        N_("Median time to accept"),
        N_("The middle value of the hours from dispatch to acceptance, for orders dispatched in the period."),
    ),
    (
        N_("Median time to resolve"),
        N_(
            "The middle value of the hours from dispatch (or from the supervision order that reopened the "
            "ticket) to resolution, for resolutions in the period."
        ),
    ),
    (
        N_("Open supervision orders"),
        N_("Supervision orders issued and not yet fulfilled at the end of the period."),
    ),
    (
        N_("Composite score"),
        N_(
            "(response rate × %(response)s + resolution rate × %(resolution)s + satisfaction rate × "
            "%(satisfaction)s) ÷ %(total)s, from the unrounded rates. Shown only when all three rates "
            "have data; equal scores share a rank."
        ),
    ),
]
"""Every rate is a percentage with one decimal place, rounded half up; “—” means nothing to count."""
