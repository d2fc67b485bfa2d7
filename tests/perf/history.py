"""A year of synthetic ticket history for the /stats benchmark, written straight into the database.

Each ticket is reported, dispatched to its category's department, accepted (some late), resolved
(some late), and half of them are rated; one in ten rated poorly goes round again under a
supervision order. Rows go in with bulk inserts: the point is to measure reading, not writing.
The bulk inserts bypass the session hook that keeps the figures' facts current, so each batch
writes its tickets' facts itself (``facts=False`` leaves that to ``rebuild_facts``).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from portal.directory.models import Category
from portal.dispatch.models import SupervisionOrder
from portal.evaluation.models import Rating
from portal.places.models import Community
from portal.stats.facts_table import refresh_range
from portal.tickets.codes import ALPHABET
from portal.tickets.models import Ticket, TicketEvent

BATCH = 2000


def seed_history(engine: Engine, tickets: int, end: datetime, seed: int = 2026, *, facts: bool = True) -> int:
    """Insert ``tickets`` tickets reported over the 360 days before ``end``; returns the events written."""
    rng = random.Random(seed)
    with engine.begin() as connection:
        categories = connection.execute(
            select(Category.__table__.c.id, Category.__table__.c.default_department_id)  # type: ignore[attr-defined]
        ).all()
        communities = connection.execute(
            select(Community.__table__.c.id, Community.__table__.c.street_id)  # type: ignore[attr-defined]
        ).all()
        first_id = (connection.execute(select(Ticket.__table__.c.id).order_by(Ticket.__table__.c.id.desc()).limit(1)).scalar() or 0) + 1  # type: ignore[attr-defined]  # fmt: skip
    written = 0
    for start in range(0, tickets, BATCH):
        rows: dict[str, list[dict[str, Any]]] = {"ticket": [], "event": [], "rating": [], "order": []}
        for n in range(start, min(start + BATCH, tickets)):
            _one(rng, first_id + n, end, categories, communities, rows)
        with engine.begin() as connection:
            connection.execute(insert(Ticket.__table__), rows["ticket"])  # type: ignore[attr-defined]
            connection.execute(insert(TicketEvent.__table__), rows["event"])  # type: ignore[attr-defined]
            if rows["rating"]:
                connection.execute(insert(Rating.__table__), rows["rating"])  # type: ignore[attr-defined]
            if rows["order"]:
                connection.execute(insert(SupervisionOrder.__table__), rows["order"])  # type: ignore[attr-defined]
            if facts:
                refresh_range(connection, first_id + start, first_id + start + BATCH)
        written += len(rows["event"])
    if engine.dialect.name == "postgresql":  # explicit ids: move the sequences past them
        with engine.begin() as connection:
            for table in ("ticket",):
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
    return written


def _one(
    rng: random.Random, ticket_id: int, end: datetime, categories: list[Any], communities: list[Any],
    rows: dict[str, list[dict[str, Any]]],
) -> None:  # fmt: skip
    category_id, department_id = rng.choice(categories)
    community_id, street_id = rng.choice(communities)
    reported = end - timedelta(minutes=rng.randint(60 * 24 * 5, 60 * 24 * 360))
    events: list[tuple[str, str | None, str, datetime, datetime | None]] = []
    dispatched = reported + timedelta(hours=rng.uniform(0.5, 6))
    accepted = dispatched + timedelta(hours=rng.choice([0.5, 1, 2, 3, 30]))
    resolved = accepted + timedelta(days=rng.choice([1, 2, 3, 5, 12]))
    events += [
        ("report", None, "submitted", reported, None),
        ("dispatch", "submitted", "dispatched", dispatched, None),
        ("accept", "dispatched", "accepted", accepted, dispatched + timedelta(hours=4)),
        ("resolve", "accepted", "resolved", resolved, dispatched + timedelta(days=5)),
    ]
    status, rounds = "resolved", 1
    if rng.random() < 0.5:
        level = rng.choice([5, 5, 4, 4, 4, 3, 2, 1])
        solved = "no" if level <= 2 else rng.choice(["yes", "yes", "yes", "partly"])
        rated = resolved + timedelta(hours=rng.uniform(1, 100))
        rows["rating"].append(_rating(ticket_id, 1, level, solved, rated, ticket_id))
        if level <= 2:
            again = rated + timedelta(days=3)
            events += [
                ("supervise", "resolved", "dispatched", rated, None),
                ("accept", "dispatched", "accepted", rated + timedelta(hours=2), None),
                ("resolve", "accepted", "resolved", again, again + timedelta(days=1)),
            ]
            rows["order"].append({
                "ticket_id": ticket_id, "department_id": department_id, "kind": "poor_result",
                "dedupe_key": f"poor:{ticket_id}", "reason": "bench", "round": 1, "status": "fulfilled",
                "deadline": again + timedelta(days=1), "issued_at": rated, "issued_by": None, "fulfilled_at": again,
            })  # fmt: skip
            rounds = 2
            rows["rating"].append(_rating(ticket_id, 2, 4, "yes", again + timedelta(hours=5), ticket_id))
        events.append(("close", "resolved", "closed", max(e[3] for e in events) + timedelta(days=7), None))
        status = "closed"
    rows["ticket"].append({
        "id": ticket_id, "code": synthetic_code(ticket_id), "submission_key": f"bench-{ticket_id}",
        "category_id": category_id, "status": status, "description": "bench", "is_public": True,
        "street_id": street_id, "community_id": community_id, "grid_id": None, "lat": None, "lng": None,
        "address": "", "reporter_name": "", "reporter_phone": "", "reporter_role": "resident", "locale": "zh_Hans",
        "department_id": department_id, "merged_into_id": None, "supporters": 0, "priority": 0,
        "round": rounds, "version": len(events), "created_at": reported, "updated_at": events[-1][3],
        "response_due": None, "resolution_due": None,
    })  # fmt: skip
    for seq, (action, source, target, at, due) in enumerate(sorted(events, key=lambda e: e[3]), start=1):
        rows["event"].append({
            "ticket_id": ticket_id, "seq": seq, "action": action, "from_status": source, "to_status": target,
            "actor_role": "system", "actor_id": None, "department_id": department_id if action != "report" else None,
            "public_note": "", "internal_note": "", "at": at, "due_at": due,
        })  # fmt: skip


def synthetic_code(ticket_id: int) -> str:
    """A valid tracking code of its own for each id (the code alphabet, base 32, after a "Z")."""
    digits = []
    for _ in range(7):
        ticket_id, rest = divmod(ticket_id, len(ALPHABET))
        digits.append(ALPHABET[rest])
    raw = "Z" + "".join(reversed(digits))
    return f"{raw[:4]}-{raw[4:]}"


def _rating(ticket_id: int, round: int, level: int, solved: str, at: datetime, rater: int) -> dict[str, Any]:
    return {
        "ticket_id": ticket_id, "round": round, "rater": f"1380000{rater % 10000:04d}", "level": level,
        "solved": solved, "comment": "", "comment_approved": False, "created_at": at,
    }  # fmt: skip
