"""The formulas of DESIGN §5, checked against figures worked out by hand.

Times are district time (UTC+8). Department 1 is 市政园林局, department 2 is 城管局; street 10 and 20.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from portal.i18n import DISTRICT_TZ
from portal.stats.figures import (
    OrderFact,
    RatingFact,
    Step,
    Tally,
    TicketFacts,
    Weights,
    by_department,
    by_street,
    league,
    percent,
    tally,
    whole_district,
)
from portal.stats.period import Period

OCTOBER = Period(date(2026, 10, 1), date(2026, 10, 31))
NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 30))
AUTUMN = Period(date(2026, 10, 1), date(2026, 11, 30))


def at(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=DISTRICT_TZ)


def D(text: str) -> Decimal:
    return Decimal(text)


# Ticket A (dept 1, street 10): dispatched 1 Oct 09:00, accepted 10:00 (due 12:00: on time),
# resolved 3 Oct 09:00 (due 8 Oct: on time), rated 4 Oct by two residents: 5/yes and 3/yes.
A = TicketFacts(
    id=1,
    street_id=10,
    steps=(
        Step("dispatch", 1, at(10, 1)),
        Step("accept", 1, at(10, 1, 10), due=at(10, 1, 12)),
        Step("resolve", 1, at(10, 3), due=at(10, 8)),
    ),
    ratings=(RatingFact(1, 5, "yes", at(10, 4)), RatingFact(1, 3, "yes", at(10, 4, 11))),
)

# Ticket B (street 20): dispatched to dept 2 on 2 Oct, returned; dispatched to dept 1 on 3 Oct 09:00,
# accepted 5 Oct 09:00 (due 3 Oct 17:00: late), resolved 20 Oct (due 13 Oct: late); rated 21 Oct 4/partly.
B = TicketFacts(
    id=2,
    street_id=20,
    steps=(
        Step("dispatch", 2, at(10, 2)),
        Step("return", 2, at(10, 2, 15)),
        Step("dispatch", 1, at(10, 3)),
        Step("accept", 1, at(10, 5), due=at(10, 3, 17)),
        Step("resolve", 1, at(10, 20), due=at(10, 13)),
    ),
    ratings=(RatingFact(1, 4, "partly", at(10, 21)),),
)

# Ticket C (dept 2, street 10), the supervision round: dispatched 10 Oct 09:00, accepted 09:30 (due 11:00),
# resolved 12 Oct (due 17 Oct); rated 13 Oct 2/no -> supervision order (deadline 16 Oct) reopens it;
# accepted again, resolved 31 Oct 23:30 (late, due 16 Oct); rated 1 Nov 00:30 4/yes. The order was
# fulfilled by the second resolve. A second order (missed resolution) issued 14 Oct is still open.
C = TicketFacts(
    id=3,
    street_id=10,
    steps=(
        Step("dispatch", 2, at(10, 10)),
        Step("accept", 2, at(10, 10, 9, 30), due=at(10, 10, 11)),
        Step("resolve", 2, at(10, 12), due=at(10, 17)),
        Step("supervise", 2, at(10, 13, 10), from_status="resolved"),
        Step("accept", 2, at(10, 14), due=None),
        Step("resolve", 2, at(10, 31, 23, 30), due=at(10, 16)),
    ),
    ratings=(RatingFact(1, 2, "no", at(10, 13, 10)), RatingFact(2, 4, "yes", at(11, 1, 0, 30))),
    orders=(OrderFact(2, at(10, 13, 10), at(10, 31, 23, 30)), OrderFact(2, at(10, 14), None)),
)

# Ticket D (dept 1, street 20): dispatched 31 Oct 23:00, not yet accepted; no ratings.
D_ = TicketFacts(id=4, street_id=20, steps=(Step("dispatch", 1, at(10, 31, 23)),))


def test_no_tickets_gives_no_figures_and_no_composite() -> None:
    counts = tally([], OCTOBER, whole_district).get(0, Tally())
    assert (
        counts.response_rate is None and counts.resolution_rate is None and counts.satisfaction_rate is None
    )
    assert counts.on_time_rate is None and counts.median_hours_to_accept is None
    assert counts.composite(Weights()) is None and counts.open_orders == 0
    ranked = league({}, [1, 2], Weights())
    assert [(r.group_id, r.rank, r.composite) for r in ranked] == [(1, None, None), (2, None, None)]


def test_the_district_in_october_by_hand() -> None:
    district = tally([A, B, C, D_], OCTOBER, whole_district)[0]
    # orders dispatched in October: A (on time), B to dept 2 (returned), B to dept 1 (late), C (on time), D (open)
    assert (district.dispatched, district.accepted_on_time) == (5, 2)
    assert district.response_rate == D("40.0")
    # rounds rated in October: A r1 (all yes), B r1 (partly), C r1 (no); C r2's first rating is in November
    assert (district.rated_rounds, district.solved_rounds) == (3, 1)
    assert district.resolution_rate == D("33.3")
    # ratings in October: A 5, A 3, B 4, C 2 -> 5 and 4 are satisfied or better
    assert (district.ratings, district.satisfied_ratings) == (4, 2)
    assert district.satisfaction_rate == D("50.0")
    # resolutions in October: A (on time), B (late), C r1 (on time), C r2 at 23:30 on 31 Oct (late)
    assert (district.resolutions, district.resolved_on_time) == (4, 2)
    assert district.on_time_rate == D("50.0")
    # hours to accept: A 1, B 48 (from its second dispatch), C 0.5 -> median 1.0
    assert district.median_hours_to_accept == D("1.0")
    # hours to resolve: A 48, B 17 days = 408, C r1 48, C r2 from the supervise 13 Oct 10:00 to 31 Oct
    # 23:30 = 18 days 13.5 h = 445.5 -> median of 48, 48, 408, 445.5 = 228.0
    assert district.median_hours_to_resolve == D("228.0")
    # open at the end of October: the missed-resolution order (the poor-result one was fulfilled at 23:30)
    assert district.open_orders == 1
    # composite = (10 × 2/5 + 50 × 1/3 + 40 × 2/4) / 100 × 100 = 4 + 16.667 + 20 = 40.7
    assert district.composite(Weights()) == D("40.7")


def test_a_month_boundary_in_district_time() -> None:
    november = tally([A, B, C, D_], NOVEMBER, whole_district)[0]
    # D was dispatched at 23:00 on 31 Oct district time (15:00 UTC): an October order, not a November one
    assert november.dispatched == 0 and november.response_rate is None
    # C's second rating at 00:30 on 1 Nov district time (16:30 UTC on 31 Oct) is November's
    assert (november.ratings, november.satisfied_ratings, november.rated_rounds, november.solved_rounds) == (
        1,
        1,
        1,
        1,
    )
    assert november.resolutions == 0  # C's second resolve at 23:30 on 31 Oct belongs to October
    assert november.open_orders == 1
    assert november.composite(Weights()) is None  # no orders dispatched: no response rate
    both = tally([A, B, C, D_], AUTUMN, whole_district)[0]
    assert (both.dispatched, both.rated_rounds, both.ratings, both.resolutions) == (5, 4, 5, 4)


def test_all_unrated_has_no_resolution_or_satisfaction_rate() -> None:
    unrated = TicketFacts(id=9, street_id=10, steps=A.steps)
    counts = tally([unrated], OCTOBER, whole_district)[0]
    assert counts.response_rate == D("100.0") and counts.on_time_rate == D("100.0")
    assert counts.resolution_rate is None and counts.satisfaction_rate is None
    assert counts.composite(Weights()) is None


def test_by_department_counts_each_fact_for_the_department_that_did_it() -> None:
    departments = tally([A, B, C, D_], OCTOBER, by_department)
    one, two = departments[1], departments[2]
    assert (one.dispatched, one.accepted_on_time) == (3, 1)  # A, B (late), D (not accepted)
    assert (two.dispatched, two.accepted_on_time) == (2, 1)  # B (returned), C
    # ratings count for the department that resolved the round: B's went to dept 1, not dept 2
    assert (one.ratings, one.satisfied_ratings, one.rated_rounds, one.solved_rounds) == (3, 2, 2, 1)
    assert (two.ratings, two.satisfied_ratings, two.rated_rounds, two.solved_rounds) == (1, 0, 1, 0)
    assert (one.resolutions, one.resolved_on_time, two.resolutions, two.resolved_on_time) == (2, 1, 2, 1)
    assert (one.open_orders, two.open_orders) == (0, 1)
    # dept 1: (10 × 1/3 + 50 × 1/2 + 40 × 2/3) = 3.333 + 25 + 26.667 = 55.0
    assert one.composite(Weights()) == D("55.0")
    # dept 2: (10 × 1/2 + 50 × 0 + 40 × 0) = 5.0
    assert two.composite(Weights()) == D("5.0")


def test_by_street_uses_the_tickets_street() -> None:
    streets = tally([A, B, C, D_], OCTOBER, by_street)
    assert (streets[10].dispatched, streets[20].dispatched) == (2, 3)
    assert (streets[10].ratings, streets[20].ratings) == (3, 1)


def test_the_weights_change_the_composite_and_the_league() -> None:
    departments = tally([A, B, C, D_], OCTOBER, by_department)
    default = league(departments, [2, 1], Weights())
    assert [(r.group_id, r.rank, r.composite) for r in default] == [(1, 1, D("55.0")), (2, 2, D("5.0"))]
    response_only = league(departments, [1, 2], Weights(100, 0, 0))
    # dept 2 answered 1 of 2 orders in time (50.0), dept 1 1 of 3 (33.3)
    assert [(r.group_id, r.rank, r.composite) for r in response_only] == [
        (2, 1, D("50.0")),
        (1, 2, D("33.3")),
    ]


def test_equal_scores_share_a_rank_and_groups_without_data_come_last() -> None:
    twin = TicketFacts(
        id=5, street_id=10, steps=tuple(Step(s.action, 3, s.at, s.due) for s in A.steps), ratings=A.ratings
    )
    single = TicketFacts(id=1, street_id=10, steps=A.steps, ratings=A.ratings)
    counts = tally([single, twin], OCTOBER, by_department)
    ranked = league(counts, [4, 1, 3], Weights())
    assert [(r.group_id, r.rank) for r in ranked] == [(1, 1), (3, 1), (4, None)]


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [
        (2, 3, "66.7"),
        (1, 3, "33.3"),
        (1, 8, "12.5"),
        (1, 6, "16.7"),
        (1, 2000, "0.1"),
        (0, 7, "0.0"),
        (7, 7, "100.0"),
    ],
)
def test_percentages_round_half_up_to_one_place(part: int, whole: int, expected: str) -> None:
    assert percent(part, whole) == D(expected)


def test_the_composite_and_the_medians_round_half_up_exactly() -> None:
    # (10 × 7/11 + 50 × 5/8 + 40 × 1/11) = 70/11 + 31.25 + 40/11 = 10 + 31.25 = 41.25 exactly: 41.3
    counts = Tally(
        dispatched=11, accepted_on_time=7, rated_rounds=8, solved_rounds=5, ratings=11, satisfied_ratings=1
    )
    assert counts.composite(Weights()) == D("41.3")
    # 18 and 36 minutes: the median is 27 minutes, 0.45 hours exactly: 0.5
    quick = TicketFacts(
        id=7,
        street_id=10,
        steps=(
            Step("dispatch", 1, at(10, 1)),
            Step("accept", 1, at(10, 1, 9, 18), due=at(10, 1, 12)),
            Step("dispatch", 1, at(10, 2)),
            Step("accept", 1, at(10, 2, 9, 36), due=at(10, 2, 12)),
        ),
    )
    assert tally([quick], OCTOBER, whole_district)[0].median_hours_to_accept == D("0.5")


def test_a_later_rating_never_changes_a_month_that_has_ended() -> None:
    # two followers: one says solved on 31 Oct, the other "not solved" on 2 Nov
    ticket = TicketFacts(
        id=8,
        street_id=10,
        steps=A.steps,
        ratings=(RatingFact(1, 5, "yes", at(10, 31, 20)), RatingFact(1, 2, "no", at(11, 2))),
    )
    october = tally([ticket], OCTOBER, whole_district)[0]
    assert (october.rated_rounds, october.solved_rounds) == (1, 1)  # as it stood at the end of October
    autumn = tally([ticket], AUTUMN, whole_district)[0]
    assert (autumn.rated_rounds, autumn.solved_rounds, autumn.ratings, autumn.satisfied_ratings) == (
        1,
        1,
        2,
        1,
    )
    november = tally([ticket], NOVEMBER, whole_district)[0]
    assert (november.rated_rounds, november.ratings, november.satisfied_ratings) == (0, 1, 0)
