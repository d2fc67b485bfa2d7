"""A project's progress in percent, with the parts it was computed from, so the page can print the sum.

Two ways, nothing hidden:
- **by sub-project**: a project with sub-projects (a campaign's streets) is their weighted mean,
  each sub-project counting by its ``weight``;
- **by milestone**: otherwise, the weights (percent) of the milestones reached over the weights of
  all milestones (they add up to 100, so usually the sum of the reached ones).

A project with neither has no percent: the page says so rather than guessing. A sub-project with no
percent of its own counts as 100 % when completed and 0 % otherwise, and the page says that too.

Milestones are also judged against their planned date: one not reached once its planned day has
passed is late (with the days), one reached after it was reached late. Nothing here reads the
database or the clock: the caller passes the rows and today's date (in district time).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction

from portal.i18n import N_
from portal.progress.models import Milestone, MilestoneStatus, Project, ProjectStatus
from portal.stats.period import today as district_today

ONE_PLACE = Decimal("0.1")


class Method(StrEnum):
    MILESTONES = "milestones"
    CHILDREN = "children"
    NONE = "none"


class Timing(StrEnum):
    """Where a milestone stands against its planned date."""

    PLANNED = "planned"  # not reached, its day has not passed
    UNDER_WAY = "under_way"  # work started, its day has not passed
    LATE = "late"  # not reached and its planned day has passed
    REACHED = "reached"  # reached on or before its planned day
    REACHED_LATE = "reached_late"  # reached after its planned day


TIMING_LABELS = {
    Timing.PLANNED: N_("Planned"),
    Timing.UNDER_WAY: N_("Under way"),
    Timing.LATE: N_("Late"),
    Timing.REACHED: N_("Reached"),
    Timing.REACHED_LATE: N_("Reached late"),
}


@dataclass(frozen=True)
class MilestoneState:
    milestone: Milestone
    timing: Timing
    days_late: int = 0  # late: days since the planned day; reached late: days after it

    @property
    def reached(self) -> bool:
        return self.timing in {Timing.REACHED, Timing.REACHED_LATE}

    @property
    def late(self) -> bool:
        return self.timing in {Timing.LATE, Timing.REACHED_LATE}


@dataclass(frozen=True)
class Part:
    """One term of the sum: a milestone (``weight`` in percent) or a sub-project (``weight`` as set,
    ``percent`` its own progress, ``assumed`` when that was taken from its status)."""

    weight: int
    counted: bool  # a milestone reached; a sub-project with any progress
    milestone: MilestoneState | None = None
    project: Project | None = None
    percent: Decimal | None = None
    assumed: bool = False
    contribution: Decimal = Decimal(0)  # what it adds to the total, in percent points, rounded


@dataclass(frozen=True)
class Progress:
    percent: Decimal | None
    method: Method
    parts: tuple[Part, ...] = ()
    milestones: tuple[MilestoneState, ...] = ()  # every milestone, in order, with its timing
    total_weight: int = 0  # the milestones' weights (100 when they are right) or the sub-projects'

    @property
    def late(self) -> tuple[MilestoneState, ...]:
        """Milestones not reached whose planned day has passed."""
        return tuple(m for m in self.milestones if m.timing == Timing.LATE)

    @property
    def counted(self) -> tuple[Part, ...]:
        return tuple(p for p in self.parts if p.counted)


def timing_of(milestone: Milestone, today: date) -> MilestoneState:
    if milestone.status == MilestoneStatus.DONE:
        reached_on = milestone.actual_date
        if reached_on is not None and reached_on > milestone.planned_date:
            return MilestoneState(milestone, Timing.REACHED_LATE, (reached_on - milestone.planned_date).days)
        return MilestoneState(milestone, Timing.REACHED)
    if today > milestone.planned_date:
        return MilestoneState(milestone, Timing.LATE, (today - milestone.planned_date).days)
    if milestone.status == MilestoneStatus.IN_PROGRESS:
        return MilestoneState(milestone, Timing.UNDER_WAY)
    return MilestoneState(milestone, Timing.PLANNED)


def ordered(milestones: Sequence[Milestone]) -> list[Milestone]:
    return sorted(milestones, key=lambda m: (m.position, m.planned_date, m.id or 0))


def progress_of(
    project: Project,
    milestones: Sequence[Milestone],
    children: Sequence[tuple[Project, Progress]] = (),
    today: date | None = None,
) -> Progress:
    """``project``'s progress from its milestones, or from its sub-projects (each with its own
    progress, computed first: sub-projects may have sub-projects)."""
    day = today or district_today()
    states = tuple(timing_of(m, day) for m in ordered(milestones))
    if children:
        return _by_children(children, states)
    if states:
        return _by_milestones(states)
    return Progress(None, Method.NONE, milestones=states)


def _by_milestones(states: tuple[MilestoneState, ...]) -> Progress:
    total = sum(max(s.milestone.weight, 0) for s in states)
    parts = tuple(
        Part(
            weight=s.milestone.weight,
            counted=s.reached,
            milestone=s,
            contribution=_round(Fraction(100 * s.milestone.weight, total))
            if s.reached and total
            else Decimal(0),
        )
        for s in states
    )
    if total <= 0:
        return Progress(None, Method.MILESTONES, parts, states, total)
    reached = sum(max(s.milestone.weight, 0) for s in states if s.reached)
    return Progress(_round(Fraction(100 * reached, total)), Method.MILESTONES, parts, states, total)


def _by_children(
    children: Sequence[tuple[Project, Progress]], states: tuple[MilestoneState, ...]
) -> Progress:
    total = sum(max(child.weight, 0) for child, _ in children)
    shares: list[tuple[Project, Fraction, bool, Decimal]] = []
    for child, progress in children:
        if progress.percent is not None:
            own, assumed, shown = Fraction(progress.percent), False, progress.percent
        else:
            done = child.status == ProjectStatus.COMPLETED
            own, assumed, shown = Fraction(100 if done else 0), True, Decimal(100 if done else 0)
        shares.append((child, own, assumed, shown))
    parts = tuple(
        Part(
            weight=child.weight,
            counted=own > 0,
            project=child,
            percent=shown,
            assumed=assumed,
            contribution=_round(own * max(child.weight, 0) / total) if total else Decimal(0),
        )
        for child, own, assumed, shown in shares
    )
    if total <= 0:
        return Progress(None, Method.CHILDREN, parts, states, total)
    # From the sub-projects' rounded percentages, the ones printed: a reader can redo the sum.
    mean = sum((own * max(child.weight, 0) for child, own, _, _ in shares), Fraction(0)) / total
    return Progress(_round(mean), Method.CHILDREN, parts, states, total)


def _round(value: Fraction) -> Decimal:
    """One decimal place, half up, computed exactly (as the public figures are)."""
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


def percent_text(value: Decimal | None) -> str:
    """60.0 → "60", 62.5 → "62.5": a whole percent prints without its ".0"."""
    if value is None:
        return ""
    return str(value.quantize(Decimal(1))) if value == value.to_integral_value() else str(value)
