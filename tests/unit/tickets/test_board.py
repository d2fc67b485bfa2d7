"""The public board at a district's scale: counts kept as tickets change, pages by position."""

from __future__ import annotations

import re
import time
from datetime import timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from portal.db import utcnow
from portal.directory.models import Category
from portal.places.models import Community
from portal.tickets.counts import NO_STREET, BoardCount, rebuild_counts
from portal.tickets.lifecycle import Action, Role, Status
from portal.tickets.models import Ticket
from portal.tickets.service import PAGE_SIZE, BoardFilters, Position, board, record_event
from tests.live import run_async
from tests.pages import PageClient


def counters(db: Session) -> dict[tuple[int, int, str], int]:
    db.expire_all()
    return {(c.category_id, c.street_id, c.status): c.n for c in db.exec(select(BoardCount)) if c.n}


def counted_afresh(db: Session) -> dict[tuple[int, int, str], int]:
    """What the counters should hold: the tickets themselves, counted now."""
    street = func.coalesce(col(Ticket.street_id), NO_STREET)
    rows = db.exec(
        select(Ticket.category_id, street, Ticket.status, func.count())
        .where(col(Ticket.is_public).is_(True), Ticket.status != Status.MERGED.value)
        .group_by(col(Ticket.category_id), street, col(Ticket.status))
    )
    return {(c, s, st): n for c, s, st, n in rows}


def make_tickets(db: Session, count: int, *, start: int = 0, same_moment: int = 0) -> list[Ticket]:
    """``count`` public tickets reported a minute apart, the newest now; the ``same_moment`` newest
    share one report time (the id then orders them)."""
    categories = list(db.exec(select(Category).order_by(col(Category.id))))
    communities = list(db.exec(select(Community).order_by(col(Community.id))))
    now = utcnow().replace(microsecond=0)
    made = []
    for n in range(start, start + count):
        community = communities[n % len(communities)]
        minutes = max(0, count + start - n - same_moment)
        ticket = Ticket(
            code=f"B{n:03d}-{n:04d}", submission_key=f"board-{n}", category_id=categories[n % 3].id or 0,
            status=Status.SUBMITTED.value, description=f"第{n}号 路面坑洼", street_id=community.street_id,
            community_id=community.id, created_at=now - timedelta(minutes=minutes),
        )  # fmt: skip
        db.add(ticket)
        made.append(ticket)
    db.commit()
    return made


def test_the_counters_follow_every_change_and_a_rollback(db: Session) -> None:
    tickets = make_tickets(db, 6)
    assert counters(db) == counted_afresh(db) and sum(counters(db).values()) == 6
    record_event(db, tickets[0], Action.DISPATCH, Role.DISPATCHER)
    tickets[1].is_public = False  # made private: off the board
    tickets[2].category_id = tickets[3].category_id
    tickets[3].street_id = None  # counted under "no street"
    db.add_all(tickets[1:4])
    db.commit()
    assert counters(db) == counted_afresh(db)
    assert sum(counters(db).values()) == 5
    record_event(db, tickets[4], Action.MERGE, Role.DISPATCHER)  # merged: off the board
    db.delete(tickets[5])
    db.commit()
    assert counters(db) == counted_afresh(db) and sum(counters(db).values()) == 3
    before = counters(db)
    savepoint = db.begin_nested()  # a savepoint rolled back takes its counts with it
    db.add(Ticket(code="B999-9999", submission_key="rolled-back", category_id=tickets[0].category_id,
                  status="submitted", description="不会留下"))  # fmt: skip
    db.flush()
    assert sum(c.n for c in db.exec(select(BoardCount))) == 4
    savepoint.rollback()
    db.commit()
    assert counters(db) == before == counted_afresh(db)


def test_rebuilding_the_counters_gives_what_the_changes_kept(db: Session) -> None:
    tickets = make_tickets(db, 8)
    record_event(db, tickets[0], Action.DISPATCH, Role.DISPATCHER)
    db.commit()
    kept = counters(db)
    rebuild_counts(db.connection())
    db.commit()
    assert counters(db) == kept == counted_afresh(db)


def test_older_and_newer_pages_walk_every_ticket_once_in_order(db: Session) -> None:
    made = make_tickets(db, 2 * PAGE_SIZE + 7, same_moment=5)
    expected = [t.code for t in sorted(made, key=lambda t: (t.created_at, t.id), reverse=True)]
    seen: list[str] = []
    page = board(db, BoardFilters())
    assert page.newer is None and page.total == len(made)
    pages = [page]
    while page.older is not None:
        page = board(db, BoardFilters(before=page.older))
        pages.append(page)
        assert page.total == len(made)
    for one in pages:
        seen += [t.code for t in one.tickets]
    assert seen == expected and len(pages) == 3
    back = board(db, BoardFilters(after=pages[-1].newer))
    assert [t.code for t in back.tickets] == [t.code for t in pages[1].tickets]
    newest = board(db, BoardFilters(after=back.newer))  # reaching the newest shows it whole
    assert [t.code for t in newest.tickets] == expected[:PAGE_SIZE] and newest.newer is None


def test_a_page_stays_put_while_new_reports_arrive(db: Session) -> None:
    make_tickets(db, PAGE_SIZE + 5)
    first = board(db, BoardFilters())
    older = [t.code for t in board(db, BoardFilters(before=first.older)).tickets]
    make_tickets(db, 3, start=500)  # three new reports at the top
    assert [t.code for t in board(db, BoardFilters(before=first.older)).tickets] == older
    assert board(db, BoardFilters()).total == PAGE_SIZE + 8


def test_the_board_pages_keep_their_filters_and_shrug_off_a_broken_position(
    client: PageClient, db: Session
) -> None:
    make_tickets(db, 3 * PAGE_SIZE)
    street = db.exec(select(Community)).first()
    assert street is not None
    page = client.get("/tickets").text
    assert "60 reports" in page and "Newer reports" not in page
    older = re.search(r'<a rel="next" href="([^"]+)">Older reports</a>', page)
    assert older and "before=" in older.group(1)
    second = client.get(older.group(1).replace("&amp;", "&")).text
    assert "Newer reports" in second and "Back to the newest" in second and "Older reports" in second
    assert "第39号" in second and "第40号" not in second
    for broken in ("before=abc", "before=99999999999999999999-1", "after=-5-3", "before=" + "9" * 300):
        answer = client.get(f"/tickets?{broken}")
        assert answer.status_code == 200 and "第59号" in answer.text  # the newest page
    filtered = client.get("/tickets?status=submitted&before=" + str(Position(utcnow(), 10**9))).text
    older = re.search(r'<a rel="next" href="([^"]+)">Older reports</a>', filtered)
    assert "第59号" in filtered and older and "status=submitted" in older.group(1)


def test_readers_missing_together_wait_for_one_rendering(app, db: Session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Right after a change every reader of the board misses at once: one renders, the rest wait."""
    import asyncio

    import httpx

    from portal.tickets import views

    make_tickets(db, 5)
    renders: list[str] = []
    real = views._ticket_board

    def counted(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        renders.append("board")
        time.sleep(0.2)  # a slow rendering, so that the other readers arrive while it runs
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(views, "_ticket_board", counted)

    async def readers() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://portal.test") as client:
            return await asyncio.gather(*(client.get("/tickets") for _ in range(8)))

    answers = run_async(readers())
    assert [a.status_code for a in answers] == [200] * 8 and renders == ["board"]
    assert all("第4号" in a.text for a in answers)
    nonces = {re.search(r'nonce="([^"]+)"', a.text).group(1) for a in answers}  # type: ignore[union-attr]
    assert len(nonces) == 8  # each answer still personalised for its own request
