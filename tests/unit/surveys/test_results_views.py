"""The results page: who sees it, what it shows (charts with their tables, the minimum-count rule,
filters, approved texts masked, nothing personal), and the staff page that approves texts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from portal.accounts.models import AuditEntry, StaffRole, StaffUser
from portal.db import utcnow
from portal.directory.models import Department
from portal.settings import Settings
from portal.surveys.definition import Answer
from portal.surveys.models import Survey, SurveyAnswer
from tests.pages import PageClient
from tests.unit.progress.story_data import staff
from tests.unit.progress.test_story_views import form, sign_in
from tests.unit.surveys.results_data import answer, resident
from tests.unit.surveys.survey_data import open_survey

URL = "/surveys/shili-changdi-manyidu/results"
WORDS = "张三说晚上十点还在施工，电话13812345678"


@dataclass
class People:
    owner: StaffUser
    writer: StaffUser
    lead: StaffUser
    department: StaffUser


@pytest.fixture
def people(db: Session, engine: Engine) -> Iterator[People]:
    department = db.exec(select(Department)).first()
    assert department is not None
    found = {u.username: u for u in db.exec(select(StaffUser).where(col(StaffUser.username).like("sr-%")))}

    def one(name: str, role: StaffRole, department_id: int | None = None) -> StaffUser:
        return found.get(name) or staff(db, name, role, department_id)

    yield People(
        owner=one("sr-owner", StaffRole.PRESS),
        writer=one("sr-writer", StaffRole.PRESS),
        lead=one("sr-lead", StaffRole.PRESS_LEAD),
        department=one("sr-dept", StaffRole.DEPARTMENT, department.id),
    )


def answered(db: Session, count: int = 6, **changes: object) -> Survey:
    survey = open_survey(db, **changes)
    answer(
        db,
        survey,
        [resident("o1" if i % 3 else "o2", rating=1 + i % 5, nps=i, age=20 + i,
                  q3=Answer(options=["o1"]) if 1 + i % 5 <= 2 else Answer(),
                  q4=Answer(text=WORDS) if 1 + i % 5 <= 2 else Answer(),
                  q8=Answer(rows={"r1": "o3", "r2": "o1"}), q9=Answer(text="王小明"))
         for i in range(count)],
    )  # fmt: skip
    return survey


def figure(html: str, question: str, name: str) -> list[str]:
    part = html.split(f'data-question="{question}"', 1)[1].split("</section>", 1)[0]
    return re.findall(rf'data-figure="{name}">([^<]*)<', part)


def test_public_results_show_each_chart_with_its_table(client: PageClient, db: Session) -> None:
    answered(db)
    page = client.get(URL)
    assert page.status_code == 200
    html = page.text
    assert html.count('role="img"') >= 5
    assert 'id="q-q1-table"' in html and 'id="q-q8-table"' in html
    assert figure(html, "q2", "average") == ["2.8"]  # only 集美街道 is asked: ratings 2, 3, 5, 1
    assert figure(html, "q5", "nps")  # the score, and its formula printed under it
    assert "NPS = the percentage of promoters (9–10) minus the percentage of detractors (0–6)" in html
    assert figure(html, "q6", "median") == ["22.5"]
    assert "6 responses" in html
    assert "绿化: 3 100.0%. 照明: 1 100.0%.</desc>" in html  # the matrix's text alternative


def test_results_not_public_are_404_to_the_public_and_shown_to_staff(
    client: PageClient, db: Session, settings: Settings, people: People
) -> None:
    answered(db, results_public=False, owner_id=people.owner.id)
    assert client.get(URL).status_code == 404
    assert client.get(URL.replace("results", "results.csv")).status_code == 404
    sign_in(client, db, settings, people.writer)
    page = client.get(URL)
    assert page.status_code == 200 and "not public" in page.text
    assert "/texts" not in page.text  # approving is the owner's (or a lead's) to do
    sign_in(client, db, settings, people.owner)
    assert "/texts" in client.get(URL).text
    sign_in(client, db, settings, people.department)
    assert client.get(URL).status_code == 404


def test_hidden_or_unopened_surveys_show_no_results(client: PageClient, db: Session) -> None:
    survey = answered(db)
    survey.hidden = True
    db.add(survey)
    db.commit()
    assert client.get(URL).status_code == 404
    survey.hidden, survey.opens_at = False, utcnow() + timedelta(days=3)
    db.add(survey)
    db.commit()
    assert client.get(URL).status_code == 404


def test_below_the_minimum_only_the_count_shows_and_downloads_are_refused(
    client: PageClient, db: Session
) -> None:
    answered(db, count=4, min_responses=5)
    html = client.get(URL).text
    assert "4 responses so far; figures appear from 5." in html
    assert 'role="img"' not in html and 'id="q-q1-table"' not in html
    for name in ("results.csv", "results.json", "summary.csv"):
        refused = client.get(
            URL.replace("results", name, 1)
            if name != "summary.csv"
            else URL.replace("results", "summary.csv")
        )
        assert refused.status_code == 403
        assert "4 responses so far" in refused.text


def test_a_filter_shows_its_responses_and_respects_the_minimum(client: PageClient, db: Session) -> None:
    answered(db, count=9, min_responses=4)  # o1 for 6 of them, o2 for 3
    html = client.get(URL + "?filter=q1:o1").text
    assert "6 responses" in html and "(in this filter)" in html
    assert 'value="q1:o1" selected' in html
    html = client.get(URL + "?filter=q1:o2").text
    assert "3 responses so far; figures appear from 4." in html
    assert 'id="q-q1-table"' not in html


def test_a_forged_filter_is_a_clear_400(client: PageClient, db: Session) -> None:
    answered(db)
    page = client.get(URL + "?filter=q9:o1")
    assert page.status_code == 400
    assert "<title>Error:" in page.text
    assert "That filter does not match a question of this survey." in page.text


def test_texts_show_masked_once_approved_and_personal_answers_never(
    client: PageClient, db: Session, settings: Settings, people: People
) -> None:
    survey = answered(db, owner_id=people.owner.id)
    html = client.get(URL).text
    assert "13812345678" not in html and "张三" not in html and "施工" not in html
    assert "王小明" not in html
    sign_in(client, db, settings, people.owner)
    texts = client.get(f"/staff/surveys/{survey.id}/texts")
    assert texts.status_code == 200
    assert "张*说晚上十点还在施工，电话138********" in texts.text and "13812345678" not in texts.text
    assert "王小明" not in texts.text  # a personal question's answers are not even offered
    row = db.exec(select(SurveyAnswer).where(SurveyAnswer.question == "q4")).first()
    assert row is not None
    done = client.post(
        f"/staff/surveys/{survey.id}/texts",
        data=form(client, answer=str(row.id), action="approve", show="waiting"),
        follow_redirects=False,
    )
    assert done.status_code == 303
    client.cookies.delete("staff")
    html = client.get(URL).text
    assert "张*说晚上十点还在施工，电话138********" in html
    assert "13812345678" not in html and "王小明" not in html
    db.expire_all()
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "survey_text_approved")).first()
    assert entry is not None and f"answer {row.id}" in entry.detail


def test_approving_texts_is_for_the_owner_a_lead_or_an_admin(
    client: PageClient, db: Session, settings: Settings, people: People
) -> None:
    survey = answered(db, owner_id=people.owner.id)
    url = f"/staff/surveys/{survey.id}/texts"
    assert client.get(url, follow_redirects=False).status_code in (302, 303, 401)
    sign_in(client, db, settings, people.department)
    assert client.get(url).status_code == 403
    sign_in(client, db, settings, people.writer)  # press, but not this survey's owner
    assert client.get(url).status_code == 403
    row = db.exec(select(SurveyAnswer).where(SurveyAnswer.question == "q4")).first()
    assert row is not None
    refused = client.post(
        url, data=form(client, answer=str(row.id), action="approve"), follow_redirects=False
    )
    assert refused.status_code == 403
    db.refresh(row)
    assert not row.approved
    sign_in(client, db, settings, people.lead)
    assert client.get(url).status_code == 200
    no_csrf = client.post(url, data={"answer": str(row.id), "action": "approve"}, follow_redirects=False)
    assert no_csrf.status_code == 403
    db.refresh(row)
    assert not row.approved


def test_the_project_page_lists_its_surveys_with_their_headline(app, client: PageClient, db: Session) -> None:  # type: ignore[no-untyped-def]
    from portal.progress import editing
    from tests.unit.progress.press_helpers import press_user, project_input

    project = editing.save_project(db, press_user(db), None, project_input(db, published=True), address="")
    db.commit()
    answered(db, project_id=project.id)
    html = client.get(f"/progress/{project.slug}").text
    assert "十里长堤工程满意度调查" in html
    assert URL in html
    assert "2.8" in html and "6 responses" in html
    # Private results: the project page says the survey is there, not how many answered it.
    survey = db.exec(select(Survey)).one()
    survey.results_public = False
    db.add(survey)
    db.commit()
    app.state.page_cache.clear()  # the page is kept a minute at most
    html = client.get(f"/progress/{project.slug}").text
    assert "十里长堤工程满意度调查" in html and "6 responses" not in html and URL not in html


def test_the_page_says_how_many_responses_each_version_has(client: PageClient, db: Session) -> None:
    from portal.surveys.definition import Kind, Question
    from portal.surveys.service import definition_of, save_definition
    from tests.unit.surveys.survey_data import hans

    survey = answered(db, count=3, min_responses=2)
    changed = definition_of(db, survey)
    changed.sections[2].questions.append(Question(key="q21", kind=Kind.RATING, text=hans("照明满意吗？")))
    save_definition(db, survey, changed)
    db.commit()
    answer(db, survey, [resident(q21=Answer(number=5)) for _ in range(2)], start=50)
    html = client.get(URL).text
    assert "Version 1: 3 responses" in html and "Version 2: 2 responses" in html
    assert "asked in versions 2" in html
    assert "<code>q21</code>" in html and "<code>q8_r1</code>" in html and "<code>q9</code>" not in html


def test_the_summary_follows_the_filter_and_refuses_a_forged_one(client: PageClient, db: Session) -> None:
    answered(db, count=9, min_responses=4)
    summary = client.get("/surveys/shili-changdi-manyidu/summary.csv?filter=q1:o1")
    assert summary.status_code == 200
    assert "q1,single,answered,,,6" in summary.content.decode("utf-8-sig")
    assert client.get("/surveys/shili-changdi-manyidu/summary.csv?filter=q1:o2").status_code == 403
    assert client.get("/surveys/shili-changdi-manyidu/summary.csv?filter=q1:zz").status_code == 400
    data = client.get("/surveys/shili-changdi-manyidu/results.json")
    assert data.headers["content-type"].startswith("application/json")
    assert len(data.json()["rows"]) == 9
