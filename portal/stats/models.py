"""The facts behind the public figures, one row per countable fact of a ticket, kept in step with it.

The rows are derived by the formulas of ``portal.stats.figures`` (``portal.stats.facts_table``
writes them in the same transaction as every change to a ticket), so that ``/stats`` can count a
year with a few grouped reads (``portal.stats.aggregate``) instead of replaying every event.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, SmallInteger, Text
from sqlmodel import Field, SQLModel

from portal.db import UTCDateTime

# What a row counts (small numbers: they sort and group faster than words), and the moment ``at``
# that puts it in a period:
DISPATCH = 1  # an order to a department, at its dispatch; good: accepted on time
RESOLVE = 2  # a resolution, when resolved; good: within the deadline
ROUND = 3  # a rated round, at its first rating; good: every rating by the month's end said solved
RATING = 4  # a resident's rating, when given; good: satisfied or better
SUPERVISION = 5  # a supervision order, when issued; open until ``ended_at``
STEP = 6  # any other step (accept, return, ...): it makes the ticket one of the period's
COUNTED = (DISPATCH, RESOLVE, ROUND, RATING)


class StatFact(SQLModel, table=True):
    __tablename__ = "stat_fact"
    __table_args__ = (Index("ix_stat_fact_kind_at", "kind", "at"),)

    ticket_id: int = Field(
        sa_column=Column(Integer, ForeignKey("ticket.id", ondelete="CASCADE"), primary_key=True)
    )
    seq: int = Field(
        sa_column=Column(Integer, primary_key=True, autoincrement=False)
    )  # its place in the ticket's
    kind: int = Field(sa_column=Column(SmallInteger, nullable=False))
    department_id: int | None = None  # the department the fact counts for (figures.tally_parts)
    street_id: int | None = None  # the ticket's street
    at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    month: int  # the district-time month of ``at``, as 202610
    good: bool = False
    # dispatch: dispatch to acceptance (none if never accepted); resolve: start to resolution
    micros: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    # round: the first rating that did not say "solved" (a period ending mid-month counts up to its end)
    unsolved_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    # supervision: when it stopped being open (fulfilled or withdrawn)
    ended_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class StatMonthStamp(SQLModel, table=True):
    """How often the facts of a closed month changed (a street moved, a load, a rebuild): a month's
    snapshot holds while the stamp it was counted at is current. Months still running are never
    stamped nor kept: their facts change all day."""

    __tablename__ = "stat_month_stamp"

    month: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    version: int = 0


class StatMonth(SQLModel, table=True):
    """The counts of one closed month by one grouping, as ``portal.stats.aggregate`` counted them
    (JSON: one list per group), valid while ``version`` is the month's stamp."""

    __tablename__ = "stat_month"

    grouping: str = Field(primary_key=True, max_length=12)
    month: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    version: int
    tallies: str = Field(sa_column=Column(Text, nullable=False))
