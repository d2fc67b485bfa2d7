"""The demonstration projects and stories: loaded twice without doubling, in three languages, with
nothing in them a visitor should not read, and settled with the clock like the tickets."""

from __future__ import annotations

import re
from dataclasses import fields, is_dataclass
from typing import Any

from sqlmodel import Session, col, select

from portal import demo_progress as dp
from portal.db import utcnow
from portal.demo import load_reference_data, load_staff, load_tickets
from portal.progress.editing import district_today
from portal.progress.models import Milestone, Project, ProjectPhoto, ProjectTicket, Story, StoryText
from tests.unit.progress.press_helpers import no_projects_after

__all__ = ["no_projects_after"]
HAN = re.compile(r"[\u4e00-\u9fff]")
MODELS = (Project, Milestone, ProjectPhoto, ProjectTicket, Story, StoryText)


def _texts(value: Any) -> list[dp.Text]:
    if isinstance(value, dp.Text):
        return [value]
    if isinstance(value, tuple):
        return [t for item in value for t in _texts(item)]
    if is_dataclass(value):
        return [t for f in fields(value) for t in _texts(getattr(value, f.name))]
    return []


ALL_TEXTS = _texts(dp.PROJECTS) + _texts(dp.STORIES)


def test_no_markup_in_what_a_visitor_reads() -> None:
    assert len(ALL_TEXTS) > 90
    for text in ALL_TEXTS:
        for words in (text.zh_hans, text.en):
            assert not re.search(r"[<>]|script|javascript:|\]\(", words, re.IGNORECASE), words


def test_every_text_in_both_written_languages() -> None:
    for text in ALL_TEXTS:
        assert bool(text.zh_hans.strip()) == bool(text.en.strip()), (
            text
        )  # a note is written in both or neither
        assert not text.zh_hans or HAN.search(text.zh_hans), text


def test_milestones_are_believable() -> None:
    late = 0
    for project in dp.PROJECTS:
        if project.milestones:
            assert sum(m.weight for m in project.milestones) == 100, project.slug
        for m in project.milestones:
            assert m.planned >= project.start, (project.slug, m.title)
            assert (m.status == "done") == (m.reached is not None)
            assert m.reached is None or project.start <= m.reached <= 0
            late += m.status != "done" and m.planned < 0
        assert project.target >= project.start
    assert late == 1, "one milestone is shown late"
    assert sum(s.days > 0 for s in dp.STORIES) == 1, "one story is scheduled"
    assert any("| --- |" in s.body.zh_hans for s in dp.STORIES), "a story with a table"


def _load(session: Session, services: Any) -> tuple[int, int]:
    ref = load_reference_data(session)
    load_tickets(session, ref, services.media)
    load_staff(session, ref)
    made = dp.load_progress(session, ref, services.media)
    session.commit()
    return made


def _counts(session: Session) -> list[int]:
    return [len(list(session.exec(select(model)))) for model in MODELS]


def test_loads_twice_in_three_languages_and_settled(engine, services, no_projects_after) -> None:  # type: ignore[no-untyped-def]
    from portal.jobs import run_jobs

    with Session(engine, expire_on_commit=False) as session:
        assert _load(session, services) == (len(dp.PROJECTS), len(dp.STORIES))
        counts = _counts(session)
        assert _load(session, services) == (0, 0)
        assert _counts(session) == counts

        for project in session.exec(select(Project)):
            assert project.published and project.title_zh_hant and project.title_en.isascii()
            assert HAN.search(project.summary_zh_hant) and project.summary_en
            assert project.title_zh_hant in project.search_text
        assert all(
            p.caption_zh_hans and p.caption_zh_hant and p.caption_en
            for p in session.exec(select(ProjectPhoto))
        )
        now = utcnow()
        for story in session.exec(select(Story)):
            texts = {
                (t.locale, t.stage)
                for t in session.exec(select(StoryText).where(StoryText.story_id == story.id))
            }
            assert texts == {
                (loc, stage) for loc in ("zh_Hans", "zh_Hant", "en") for stage in ("live", "draft")
            }
            assert story.status == "published" and story.approved_by != story.author_id
            assert story.publish_at is not None
            # what happened before the demonstration was loaded was already told to any follower
            assert (story.announced_at is not None) == (story.publish_at <= now)
        today = district_today()
        for m in session.exec(select(Milestone).where(col(Milestone.actual_date).is_not(None))):
            assert m.announced_at is not None and m.actual_date is not None and m.actual_date <= today
        campaign = session.exec(select(Project).where(Project.slug == "ebike-campaign")).one()
        assert campaign.kind == "campaign"
        assert session.exec(select(ProjectTicket).where(ProjectTicket.project_id == campaign.id)).first()

    summary = run_jobs(services, photos=False)
    assert "0 supervision order(s) issued; 0 ticket(s) closed unrated" in summary
    assert not services.sms.sent


def test_every_demonstration_page_opens(engine, services, app, no_projects_after) -> None:  # type: ignore[no-untyped-def]
    """What a visitor and the press office open first, on the demonstration data: nothing fails."""
    from tests.pages import PageClient

    with Session(engine, expire_on_commit=False) as session:
        _load(session, services)
        projects = [p.slug for p in session.exec(select(Project))]
        stories = [s.slug for s in session.exec(select(Story))]
    with PageClient(app=app, base_url="http://portal.test") as visitor:
        for path in ["/", "/progress", "/feed.atom", *(f"/progress/{p}" for p in projects)]:
            assert visitor.get(path).status_code == 200, path
        opened = [visitor.get(f"/stories/{s}").status_code for s in stories]
        assert opened.count(200) == len(stories) - 1 and opened.count(404) == 1  # one is scheduled
    with PageClient(app=app, base_url="http://portal.test") as press:
        signed = press.post(
            "/staff/login",
            data={"username": "press", "password": "jimei-demo-2026", "_csrf_token": press.csrf()},
            follow_redirects=False,
        )
        assert signed.status_code == 303
        home = press.get("/staff/press")
        assert home.status_code == 200 and "%" in home.text
        assert press.get("/staff/press/stories").status_code == 200
