"""The figures for one period as rows: what the page shows and the downloads carry, built once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from portal.db import utcnow
from portal.directory.service import Reference
from portal.i18n import DISTRICT_TZ, N_
from portal.stats.figures import (
    DISTRICT,
    Counted,
    Ranked,
    Tally,
    TicketFacts,
    Weights,
    by_department,
    by_street,
    league,
    merge,
    tally_parts,
    whole_district,
)
from portal.stats.period import Period

GROUPINGS = ("department", "street")

# The download columns, in order: add new ones at the end, never rename. Each is explained to the public
# on /stats/columns (FIGURE_COLUMN_NOTES and TICKET_COLUMN_NOTES below) and in README.md.
FIGURE_COLUMNS = (
    "period_first_day", "period_last_day", "group_type", "group_code", "group_name",
    "dispatched", "accepted_on_time", "response_rate",
    "rated_rounds", "solved_rounds", "resolution_rate",
    "ratings", "satisfied_ratings", "satisfaction_rate",
    "resolutions", "resolved_on_time", "on_time_rate",
    "median_hours_to_accept", "median_hours_to_resolve", "open_supervision_orders",
    "composite_score", "rank",
)  # fmt: skip
TICKET_COLUMNS = (
    "ticket", "reported_on", "category", "street", "department", "status", "rounds",
    "dispatched", "accepted_on_time", "resolutions", "resolved_on_time",
    "rated_rounds", "solved_rounds", "ratings", "satisfied_ratings", "open_supervision_orders",
)  # fmt: skip


# What the columns mean, a group of related columns at a time, in column order (the README's table).
FIGURE_COLUMN_NOTES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("period_first_day", "period_last_day"), N_("The days the row covers (YYYY-MM-DD, both included).")),
    (("group_type",), N_("What the row is about: district, department or street.")),
    (("group_code", "group_name"), N_("The department's or street's code, and its name in the reader's language.")),
    (("dispatched", "accepted_on_time", "response_rate"),
     N_("Orders dispatched in the period; of those, the ones accepted within the response deadline; the rate.")),
    (("rated_rounds", "solved_rounds", "resolution_rate"),
     N_("Rounds of handling first rated in the period; of those, the rounds that every rating resident called "
        "solved by the end of the month of the first rating (or of the period, if sooner); the rate.")),
    (("ratings", "satisfied_ratings", "satisfaction_rate"),
     N_("Residents' ratings given in the period; of those, the ones that said “satisfied” or “very satisfied”; "
        "the rate.")),
    (("resolutions", "resolved_on_time", "on_time_rate"),
     N_("Resolutions in the period; of those, the ones within the resolution deadline in force at the time; "
        "the rate.")),
    (("median_hours_to_accept",), N_("Median hours from dispatch to acceptance, for orders dispatched in the period.")),
    (("median_hours_to_resolve",),
     N_("Median hours from dispatch (or from the supervision order that reopened the ticket) to resolution, "
        "for resolutions in the period.")),
    (("open_supervision_orders",), N_("Supervision orders not yet fulfilled at the end of the period.")),
    (("composite_score",),
     N_("(response rate × %(response)s + resolution rate × %(resolution)s + satisfaction rate × "
        "%(satisfaction)s) ÷ %(total)s, from the unrounded rates; empty unless all three rates have data.")),
    (("rank",), N_("Place in the league by composite score (equal scores share a place); empty without a score.")),
)  # fmt: skip
TICKET_COLUMN_NOTES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("ticket",), N_("The public tracking code (empty for a private ticket).")),
    (("reported_on",), N_("The day it was reported (empty for a private ticket).")),
    (("category", "street", "department"),
     N_("Codes of its category (empty for a private ticket), its street and its current department.")),
    (("status", "rounds"), N_("Its status now, and how many rounds of handling it has had.")),
    (TICKET_COLUMNS[7:], N_("Its share of the figures of the same name for the period.")),
)  # fmt: skip


@dataclass(frozen=True)
class Row:
    group_type: str  # district, department or street
    code: str
    name: str
    period: Period
    tally: Tally
    composite: Decimal | None
    rank: int | None = None

    def values(self) -> dict[str, Any]:
        t = self.tally
        return {
            "period_first_day": self.period.first.isoformat(),
            "period_last_day": self.period.last.isoformat(),
            "group_type": self.group_type,
            "group_code": self.code,
            "group_name": self.name,
            "dispatched": t.dispatched,
            "accepted_on_time": t.accepted_on_time,
            "response_rate": t.response_rate,
            "rated_rounds": t.rated_rounds,
            "solved_rounds": t.solved_rounds,
            "resolution_rate": t.resolution_rate,
            "ratings": t.ratings,
            "satisfied_ratings": t.satisfied_ratings,
            "satisfaction_rate": t.satisfaction_rate,
            "resolutions": t.resolutions,
            "resolved_on_time": t.resolved_on_time,
            "on_time_rate": t.on_time_rate,
            "median_hours_to_accept": t.median_hours_to_accept,
            "median_hours_to_resolve": t.median_hours_to_resolve,
            "open_supervision_orders": t.open_orders,
            "composite_score": self.composite,
            "rank": self.rank,
        }


@dataclass(frozen=True)
class Report:
    period: Period
    grouping: str
    weights: Weights
    district: Row
    league: list[Row]  # the groups, best composite first
    months: list[Row]  # the whole district, month by month
    monthly_league: list[list[Row]]  # the groups, month by month (downloads only)
    computed_at: datetime = field(default_factory=utcnow)

    def figure_rows(self) -> list[Row]:
        rows = [self.district, *self.league]
        if len(self.months) > 1:
            for month, groups in zip(self.months, self.monthly_league, strict=True):
                rows += [month, *groups]
        return rows


def count_facts(facts: list[TicketFacts], period: Period, grouping: str) -> Counted:
    """The counts of ``build_report`` by the formulas over the facts themselves (``load_facts``); the
    page counts the same in the database (``portal.stats.aggregate.count``)."""
    parts = tally_parts(facts, period.months(), by_department if grouping == "department" else by_street)
    return Counted(parts, merge(parts))


def build_report(
    counted: Counted,
    period: Period,
    grouping: str,
    reference: Reference,
    *,
    locale: str,
    weights: Weights,
    district_name: str,
) -> Report:
    groups = _groups(reference, grouping, locale)
    months = period.months()
    parts, whole = counted.parts, counted.whole

    def district_row(part: Period, counts: dict[int | None, Tally]) -> Row:
        found = counts.get(DISTRICT, Tally())
        return Row("district", "jimei", district_name, part, found, found.composite(weights))

    def league_rows(part: Period, counts: dict[int | None, Tally]) -> list[Row]:
        ranked: list[Ranked] = league(counts, groups, weights)
        return [
            Row(grouping, groups[r.group_id][0], groups[r.group_id][1], part, r.tally, r.composite, r.rank)
            for r in ranked
        ]

    return Report(
        period=period,
        grouping=grouping,
        weights=weights,
        district=district_row(period, whole),
        league=league_rows(period, whole),
        months=[district_row(m, c) for m, c in zip(months, parts, strict=True)],
        monthly_league=[league_rows(m, c) for m, c in zip(months, parts, strict=True)]
        if len(months) > 1
        else [],
    )


def _groups(reference: Reference, grouping: str, locale: str) -> dict[int, tuple[str, str]]:
    """Group id → (code, name in the reader's language), in the reference order."""
    if grouping == "department":
        departments = sorted(reference.departments.values(), key=lambda d: d.id or 0)
        return {d.id or 0: (d.slug, d.name(locale)) for d in departments if d.active}
    return {s.id or 0: (s.slug, s.name(locale)) for s in reference.streets}


def ticket_rows(
    facts: list[TicketFacts], details: dict[int, dict[str, Any]], period: Period, reference: Reference
) -> list[dict[str, Any]]:
    """One anonymised row per ticket counted in the period: its contribution to each count, so the
    columns add up to the district's figures. A private ticket's code is left out. (The downloads
    count the same in the database: ``portal.stats.aggregate.ticket_rows``.)"""
    rows = []
    months = period.months()  # counted month by month, exactly as the figures are
    for ticket in facts:
        info = details.get(ticket.id)
        if info is None:
            continue
        counts = merge(tally_parts([ticket], months, whole_district)).get(DISTRICT, Tally())
        rows.append(ticket_row(info, counts, reference))
    return rows


def ticket_row(info: dict[str, Any], counts: Tally, reference: Reference) -> dict[str, Any]:
    """One ticket's row from its public columns (``facts.ticket_details``) and its share of the counts."""
    category = reference.category_by_id.get(info["category_id"])
    street = reference.street_by_id.get(info["street_id"])
    department = reference.departments.get(info["department_id"] or 0)
    reported: datetime = info["created_at"]
    public = bool(info["is_public"])
    return {
        # a private ticket keeps only what the figures by street and department need
        "ticket": info["code"] if public else "",
        "reported_on": reported.astimezone(DISTRICT_TZ).date().isoformat() if public else "",
        "category": category.slug if category and public else "",
        "street": street.slug if street else "",
        "department": department.slug if department else "",
        "status": info["status"],
        "rounds": info["round"],
        "dispatched": counts.dispatched,
        "accepted_on_time": counts.accepted_on_time,
        "resolutions": counts.resolutions,
        "resolved_on_time": counts.resolved_on_time,
        "rated_rounds": counts.rated_rounds,
        "solved_rounds": counts.solved_rounds,
        "ratings": counts.ratings,
        "satisfied_ratings": counts.satisfied_ratings,
        "open_supervision_orders": counts.open_orders,
    }
