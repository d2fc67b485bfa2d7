"""Each follower's own rating link from the resolution SMS: /r/{code}/{token}, good for one round."""

from __future__ import annotations

import re

from sqlmodel import Session, col, select

from portal.accounts.models import StaffRole, StaffUser
from portal.dispatch import service as steps
from portal.evaluation.links import rating_token
from portal.evaluation.models import Rating
from portal.services import Services
from portal.tickets.lifecycle import Status
from portal.tickets.models import Ticket
from portal.tickets.service import StoredPhoto, add_supporter
from tests.pages import PageClient
from tests.unit.factories import a_community, report_fields, resolve_ticket, submit_report

REPORTER = "13859201234"
SUPPORTER = "13912345678"
LINK = re.compile(r"(/r/[A-Z0-9-]+/[A-Z2-7]{8})$")


def followed_and_resolved(client: PageClient, db: Session, services: Services) -> Ticket:
    """A report by REPORTER that SUPPORTER follows too ("me too"), resolved: both get an SMS."""
    assert submit_report(client, report_fields(client, a_community(db).slug)).status_code == 303
    ticket = db.exec(select(Ticket)).one()
    add_supporter(db, ticket, SUPPORTER, "zh_Hans")
    db.commit()
    resolve_ticket(db, services, ticket)
    return ticket


def link_sent_to(services: Services, phone: str) -> str:
    texts = services.sms.to(phone)  # type: ignore[attr-defined]
    match = LINK.search(texts[-1])
    assert match, f"the latest SMS ends with a rating link: {texts[-1]!r}"
    return match.group(1)


def rate(client: PageClient, code: str, **fields: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"/t/{code}/rate", data={"_csrf_token": client.csrf(), **fields}, follow_redirects=False
    )


def test_tokens_are_short_and_differ_per_follower_and_round() -> None:
    token = rating_token("secret", 1, 1, 1)
    assert re.fullmatch(r"[A-Z2-7]{8}", token)
    others = {
        rating_token("secret", 1, 2, 1),
        rating_token("secret", 1, 1, 2),
        rating_token("other", 1, 1, 1),
    }
    assert token not in others and len(others) == 3


def test_each_follower_gets_a_link_of_their_own(client: PageClient, db: Session, services: Services) -> None:
    ticket = followed_and_resolved(client, db, services)
    mine, theirs = link_sent_to(services, REPORTER), link_sent_to(services, SUPPORTER)
    assert mine != theirs and mine.startswith(f"/r/{ticket.code}/")


def test_a_good_link_leads_to_the_rating_without_digits(
    client: PageClient, db: Session, services: Services, app
) -> None:  # type: ignore[no-untyped-def]
    ticket = followed_and_resolved(client, db, services)
    with PageClient(app=app, base_url="http://portal.test") as phone:  # not the browser that reported
        followed = phone.get(link_sent_to(services, REPORTER), follow_redirects=False)
        assert followed.status_code == 303 and followed.headers["location"] == f"/t/{ticket.code}/rate"
        cookie = next(c for c in followed.headers.get_list("set-cookie") if c.startswith("rater=")).lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "max-age=" in cookie
        page = phone.get(f"/t/{ticket.code}/rate")
        assert page.status_code == 200 and 'name="digits"' not in page.text
        assert rate(phone, ticket.code, level="5", solved="yes").status_code == 303
    assert [r.rater for r in db.exec(select(Rating))] == [REPORTER]


def test_the_link_works_for_a_supporter_and_each_rating_counts_for_its_own_phone(
    client: PageClient, db: Session, services: Services, app
) -> None:  # type: ignore[no-untyped-def]
    ticket = followed_and_resolved(client, db, services)
    with PageClient(app=app, base_url="http://portal.test") as supporter:
        supporter.get(link_sent_to(services, SUPPORTER))
        assert 'name="digits"' not in supporter.get(f"/t/{ticket.code}/rate").text
        assert rate(supporter, ticket.code, level="4", solved="yes").status_code == 303
        again = rate(supporter, ticket.code, level="5", solved="yes")
        assert again.status_code == 200 and "Your rating is in" in again.text
    db.refresh(ticket)
    assert ticket.status == Status.RESOLVED  # the reporter has not rated yet
    with PageClient(app=app, base_url="http://portal.test") as reporter:
        reporter.get(link_sent_to(services, REPORTER))
        assert rate(reporter, ticket.code, level="5", solved="yes").status_code == 303
    ratings = {r.rater: r.level for r in db.exec(select(Rating).order_by(col(Rating.id)))}
    assert ratings == {SUPPORTER: 4, REPORTER: 5}
    db.refresh(ticket)
    assert ticket.status == Status.CLOSED  # every follower has rated


def test_a_wrong_link_says_so_and_counts_as_a_guess(
    client: PageClient, db: Session, services: Services, app
) -> None:  # type: ignore[no-untyped-def]
    ticket = followed_and_resolved(client, db, services)
    good = link_sent_to(services, REPORTER)
    with PageClient(app=app, base_url="http://portal.test") as stranger:
        wrong = stranger.get(f"/r/{ticket.code}/AAAAAAAA", follow_redirects=False)
        assert wrong.status_code == 303 and wrong.headers["location"] == f"/t/{ticket.code}/rate?link=invalid"
        assert not any(c.startswith("rater=") for c in wrong.headers.get_list("set-cookie"))
        page = stranger.get(wrong.headers["location"])
        assert "not valid any more" in page.text and 'name="digits"' in page.text
        statuses = [
            stranger.get(f"/r/{ticket.code}/BBBBBBB{n}", follow_redirects=False).status_code
            for n in range(2, 7)
        ]
        assert statuses[:4] == [303] * 4 and statuses[-1] == 429
        # a resident's own link works even when others behind the same address (a carrier's NAT)
        # have used up its wrong tries: 2^40 tokens need no refusal of the right one
        genuine = stranger.get(good, follow_redirects=False)
        assert genuine.status_code == 303 and genuine.headers["location"] == f"/t/{ticket.code}/rate"
        # the limit is per address only: bad links from one place never lock the residents' own links
        limit = services.settings.rate_limits["unlock"]
        assert services.limiter.peek("unlock", f"code:{ticket.code}", limit).allowed
        assert stranger.get("/r/XXXX-XXXX/AAAAAAAA").status_code == 404
    assert list(db.exec(select(Rating))) == []


def test_a_link_from_an_earlier_round_is_not_accepted(
    client: PageClient, db: Session, services: Services, app
) -> None:  # type: ignore[no-untyped-def]
    ticket = followed_and_resolved(client, db, services)
    first_round = link_sent_to(services, SUPPORTER)
    with PageClient(app=app, base_url="http://portal.test") as supporter:
        supporter.get(first_round)
        assert rate(supporter, ticket.code, level="1", solved="no").status_code == 303
        db.refresh(ticket)
        assert (ticket.status, ticket.round) == (Status.DISPATCHED, 2)  # reopened under supervision
        resolve_again(db, services, ticket)
        stale = supporter.get(first_round, follow_redirects=False)
        assert stale.headers["location"] == f"/t/{ticket.code}/rate?link=invalid"
        page = supporter.get(f"/t/{ticket.code}/rate?link=invalid")
        assert 'name="digits"' in page.text  # the round-1 cookie does not carry over either
        assert "not valid any more" in page.text
        second_round = link_sent_to(services, SUPPORTER)
        assert second_round != first_round
        assert (
            supporter.get(second_round, follow_redirects=False).headers["location"]
            == f"/t/{ticket.code}/rate"
        )
        assert rate(supporter, ticket.code, level="4", solved="yes").status_code == 303
    rounds = sorted((r.round, r.rater) for r in db.exec(select(Rating)))
    assert rounds == [(1, SUPPORTER), (2, SUPPORTER)]


def resolve_again(db: Session, services: Services, ticket: Ticket) -> None:
    db.refresh(ticket)
    worker = db.exec(
        select(StaffUser).where(StaffUser.role == StaffRole.DEPARTMENT).order_by(col(StaffUser.id))
    ).first()
    assert worker is not None
    ctx = steps.Context.make(
        db, worker, "test", services.sms, services.settings.base_url, secret=services.settings.secret_key
    )
    steps.accept(ctx, ticket)
    steps.resolve(ctx, ticket, "再次修好", "", [StoredPhoto("d" * 64, 10, 10)])
    db.commit()


def test_opening_the_link_again_after_rating_shows_the_rating(
    client: PageClient, db: Session, services: Services, app
) -> None:  # type: ignore[no-untyped-def]
    ticket = followed_and_resolved(client, db, services)
    link = link_sent_to(services, SUPPORTER)
    with PageClient(app=app, base_url="http://portal.test") as supporter:
        supporter.get(link)
        assert rate(supporter, ticket.code, level="4", solved="partly", comment="还行").status_code == 303
        again = supporter.get(link)  # the SMS opened again, the ticket still waiting for the reporter
        assert "Your rating is in" in again.text and "Satisfied" in again.text and "Partly" in again.text
        assert "还行" in again.text and "How satisfied are you" in again.text
        assert 'name="level"' not in again.text and "once the department has resolved it" not in again.text
        twice = rate(supporter, ticket.code, level="5", solved="yes")  # a page left open, sent again
        assert twice.status_code == 200 and "Your rating is in" in twice.text
    with PageClient(app=app, base_url="http://portal.test") as reporter:
        reporter.get(link_sent_to(services, REPORTER))
        assert rate(reporter, ticket.code, level="5", solved="yes").status_code == 303
        db.refresh(ticket)
        assert ticket.status == Status.CLOSED
        closed = reporter.get(link_sent_to(services, REPORTER))
        assert "Your rating is in" in closed.text and "Very satisfied" in closed.text
        assert "once the department has resolved it" not in closed.text


def test_a_rating_that_reopened_the_ticket_shows_from_its_old_link(
    client: PageClient, db: Session, services: Services, app
) -> None:  # type: ignore[no-untyped-def]
    ticket = followed_and_resolved(client, db, services)
    link = link_sent_to(services, SUPPORTER)
    with PageClient(app=app, base_url="http://portal.test") as supporter:
        supporter.get(link)
        assert rate(supporter, ticket.code, level="1", solved="no").status_code == 303
        again = supporter.get(link)
        assert "Your rating is in" in again.text and "Very dissatisfied" in again.text
        assert "handling it again" in again.text and "once the department has resolved it" not in again.text
