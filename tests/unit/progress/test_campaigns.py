"""Tickets tagged to campaigns: by the centre from the staff ticket page, and by a campaign's
categories while it runs."""

from __future__ import annotations

import re
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from portal.accounts.models import AuditEntry, StaffRole
from portal.directory.models import Category, Department
from portal.places.models import Street
from portal.progress import campaigns
from portal.progress.models import CampaignCategory, Project, ProjectArea, ProjectTicket
from portal.tickets.models import Ticket
from tests.pages import PageClient
from tests.unit.dispatch.test_views import signed_in
from tests.unit.factories import a_community, report_fields, submit_report
from tests.unit.progress.follow_data import (
    _clean_progress,  # noqa: F401  (autouse)
    make_campaign,
    make_project,
)


def report(client: PageClient, db: Session, **overrides: Any) -> Ticket:
    before = {t.id for t in db.exec(select(Ticket))}
    assert submit_report(client, report_fields(client, a_community(db).slug, **overrides)).status_code == 303
    db.expire_all()
    return next(t for t in db.exec(select(Ticket).order_by(col(Ticket.id))) if t.id not in before)


def tagged(db: Session, project: Project) -> set[int]:
    db.expire_all()
    return {
        row.ticket_id for row in db.exec(select(ProjectTicket).where(ProjectTicket.project_id == project.id))
    }


def post_tag(client: PageClient, code: str, project: Project | str, action: str = "tag") -> Any:
    project_id = project if isinstance(project, str) else str(project.id)
    data = {"action": action, "project": project_id, "_csrf_token": client.csrf()}
    return client.post(f"/staff/t/{code}/projects", data=data, follow_redirects=False)


def test_the_centre_tags_and_untags_from_the_staff_ticket_page(
    client: PageClient, db: Session, app: Any
) -> None:
    campaign = make_campaign(db)
    other = make_project(db, "hidden-plan", published=False, title_en="A plan in the making")
    ticket = report(client, db)
    with ExitStack() as stack:
        centre = signed_in(stack, app, db, "centre", StaffRole.DISPATCHER)
        page = centre.get(f"/staff/t/{ticket.code}").text
        assert 'action="/staff/t/' + ticket.code + '/projects"' in page
        assert (
            "E-bike campaign" in page and "A plan in the making · Not public yet" in page
        )  # an unpublished project can gather tickets
        version = campaign.version

        answer = post_tag(centre, ticket.code, campaign)
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/staff/t/{ticket.code}?projects=tagged#projects"
        assert tagged(db, campaign) == {ticket.id}
        db.refresh(campaign)
        assert campaign.version == version + 1  # the project's cached page is rendered afresh
        page = centre.get(answer.headers["location"]).text
        assert "The ticket now counts towards the project." in page
        assert re.search(
            rf'name="action" value="untag"><input type="hidden" name="project" value="{campaign.id}"', page
        )

        # Again: nothing changes, and the page says so.
        again = post_tag(centre, ticket.code, campaign)
        assert again.headers["location"].endswith("projects=already#projects")
        assert tagged(db, campaign) == {ticket.id}
        db.refresh(campaign)
        assert campaign.version == version + 1

        assert post_tag(centre, ticket.code, campaign, "untag").status_code == 303
        assert tagged(db, campaign) == set()
        assert (
            post_tag(centre, ticket.code, "999999").headers["location"].endswith("projects=missing#projects")
        )
        assert "That project no longer exists" in centre.get(f"/staff/t/{ticket.code}?projects=missing").text
        assert other.id

    actions = [(e.action, e.detail) for e in db.exec(select(AuditEntry).order_by(col(AuditEntry.id)))]
    assert ("project-tagged", "ebike") in actions and ("project-untagged", "ebike") in actions
    assert sum(1 for a, _ in actions if a == "project-tagged") == 1  # the idempotent re-tag is not audited


def test_departments_and_residents_may_not_tag(client: PageClient, db: Session, app: Any) -> None:
    campaign = make_campaign(db)
    ticket = report(client, db)
    department = db.exec(select(Department).order_by(col(Department.id))).first()
    with ExitStack() as stack:
        dept = signed_in(stack, app, db, "roads", StaffRole.DEPARTMENT, department)
        press = signed_in(stack, app, db, "press", StaffRole.PRESS)
        assert post_tag(dept, ticket.code, campaign).status_code == 403
        assert post_tag(press, ticket.code, campaign).status_code == 403
        resident = post_tag(client, ticket.code, campaign)
        assert resident.status_code == 303 and resident.headers["location"].startswith("/staff/login")
        forged = client.post(
            f"/staff/t/{ticket.code}/projects",
            data={"action": "tag", "project": str(campaign.id)},
            follow_redirects=False,
        )
        assert forged.status_code in {303, 403}
    assert tagged(db, campaign) == set()


def test_a_form_without_the_csrf_token_is_refused(db: Session, app: Any, client: PageClient) -> None:
    campaign = make_campaign(db)
    ticket = report(client, db)
    with ExitStack() as stack:
        centre = signed_in(stack, app, db, "centre", StaffRole.DISPATCHER)
        answer = centre.post(
            f"/staff/t/{ticket.code}/projects",
            data={"action": "tag", "project": str(campaign.id)},
            follow_redirects=False,
        )
        assert answer.status_code == 403
    assert tagged(db, campaign) == set()


def _category(db: Session, slug: str = "road-damage") -> Category:
    return db.exec(select(Category).where(Category.slug == slug)).one()


def test_a_campaigns_category_tags_new_tickets_while_it_runs(client: PageClient, db: Session) -> None:
    running = make_campaign(db)
    finished = make_campaign(
        db,
        "old-campaign",
        start_date=date.today() - timedelta(days=60),
        target_date=date.today() - timedelta(days=30),
    )
    upcoming = make_campaign(db, "next-campaign", start_date=date.today() + timedelta(days=3))
    for project in (running, finished, upcoming):
        db.add(CampaignCategory(project_id=project.id or 0, category_id=_category(db).id or 0))
    db.commit()
    version = running.version

    road = report(client, db)  # road-damage
    light = report(client, db, category="streetlight", description="路灯不亮已经三天了，晚上很黑。")
    assert tagged(db, running) == {road.id}
    assert tagged(db, finished) == set() and tagged(db, upcoming) == set()
    db.refresh(running)
    assert running.version == version + 1
    row = db.get(ProjectTicket, (running.id, road.id))
    assert row is not None and row.tagged_by is None  # by the category, not by a person
    assert light.id


def test_a_campaign_with_streets_takes_only_their_tickets(client: PageClient, db: Session) -> None:
    running = make_campaign(db)
    db.add(CampaignCategory(project_id=running.id or 0, category_id=_category(db).id or 0))
    db.commit()
    road = report(client, db)
    assert road.street_id is not None
    other = db.exec(select(Street).where(Street.id != road.street_id)).first()
    assert other is not None
    db.add(ProjectArea(project_id=running.id or 0, street_id=other.id or 0))  # the campaign is elsewhere
    db.commit()
    elsewhere = report(client, db, description="另一处路面塌陷，井盖松动很危险。")
    assert elsewhere.street_id == road.street_id
    assert tagged(db, running) == {road.id}  # the first came before the campaign named its street


def test_the_campaign_dates_are_district_days_both_included() -> None:
    campaign = Project(
        slug="x", title_zh_hans="x", start_date=date(2026, 3, 1), target_date=date(2026, 3, 31)
    )
    assert campaigns.running_on(campaign, date(2026, 3, 1)) and campaigns.running_on(
        campaign, date(2026, 3, 31)
    )
    assert not campaigns.running_on(campaign, date(2026, 2, 28)) and not campaigns.running_on(
        campaign, date(2026, 4, 1)
    )
    assert campaigns.running_on(
        Project(slug="y", title_zh_hans="y", start_date=date(2026, 3, 1)), date(2030, 1, 1)
    )
    assert not campaigns.running_on(Project(slug="z", title_zh_hans="z"), date(2026, 3, 1))


def test_a_ticket_reported_just_after_midnight_in_the_district_counts_on_the_new_day(db: Session) -> None:
    """16:30 UTC on the campaign's last day is already 00:30 the next morning in Jimei: it is over then."""
    campaign = make_campaign(db, "march", start_date=date(2026, 3, 1), target_date=date(2026, 3, 31))
    category = _category(db)
    db.add(CampaignCategory(project_id=campaign.id or 0, category_id=category.id or 0))
    db.commit()

    def ticket(code: str, at: datetime) -> Ticket:
        made = Ticket(code=code, submission_key=code, category_id=category.id or 0, status="submitted",
                      description="x", created_at=at, updated_at=at, version=0)  # fmt: skip
        db.add(made)
        db.flush()
        return made

    late_evening = ticket("T2026A", datetime(2026, 3, 31, 15, 30, tzinfo=UTC))  # 23:30 in Jimei
    next_morning = ticket("T2026B", datetime(2026, 3, 31, 16, 30, tzinfo=UTC))  # 00:30 on 1 April
    assert [p.slug for p in campaigns.tag_by_category(db, late_evening)] == ["march"]
    assert campaigns.tag_by_category(db, next_morning) == []
    db.rollback()
