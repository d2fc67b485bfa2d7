"""Ticket queries that need no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from portal.tickets.models import Photo, TicketEvent
from portal.tickets.service import photo_sets

START = datetime(2026, 11, 1, 9, tzinfo=UTC)


def event(id: int, action: str, hours: int) -> TicketEvent:
    return TicketEvent(id=id, ticket_id=1, seq=id, action=action, to_status="x", actor_role="department",
                       at=START + timedelta(hours=hours))  # fmt: skip


def photo(kind: str, hours: int, event_id: int | None = None) -> Photo:
    return Photo(ticket_id=1, digest=kind, width=4, height=3, kind=kind, event_id=event_id,
                 created_at=START + timedelta(hours=hours, seconds=1))  # fmt: skip


def test_department_photos_go_with_their_step_even_from_before_steps_were_recorded() -> None:
    events = [event(1, "report", 0), event(2, "progress", 5), event(3, "resolve", 9), event(4, "resolve", 30)]
    resident, progress, first_after, named = (
        photo("report", 0),
        photo("progress", 5),
        photo("after", 9),
        photo("after", 30, 4),
    )
    sets = photo_sets([resident, progress, first_after, named], events)
    assert sets.reported == [resident]
    assert sets.by_event == {2: [progress], 3: [first_after], 4: [named]}
