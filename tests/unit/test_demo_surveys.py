"""The demonstration surveys: loaded twice without doubling, written in three languages, attached to
their projects, with responses that a real form could have sent (hidden questions unanswered,
required ones answered) and nothing personal approved unmasked."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlmodel import Session, col, select

from portal import demo_progress as dp
from portal import demo_surveys as ds
from portal.demo import load_reference_data, load_staff, load_tickets
from portal.progress.models import Project
from portal.surveys.definition import Answer, Definition, kept, problems
from portal.surveys.forms import missing
from portal.surveys.models import Audience, Survey, SurveyAnswer, SurveyResponse
from portal.surveys.service import definition_of, is_open
from tests.unit.progress.press_helpers import no_projects_after

__all__ = ["no_projects_after"]


def _load(session: Session, services: Any) -> int:
    ref = load_reference_data(session)
    load_tickets(session, ref, services.media)
    load_staff(session, ref)
    dp.load_progress(session, ref, services.media)
    made = ds.load_surveys(session, secret=services.settings.secret_key)
    session.commit()
    return made


def _every_text(definition: Definition) -> list[dict[str, str]]:
    texts: list[dict[str, str]] = []
    for section in definition.sections:
        texts.append(section.title)
        for question in section.questions:
            texts += [question.text, *(o.text for o in question.options), *(r.text for r in question.rows)]
            texts += [t for t in (question.help, question.unit) if t]
    return texts


def _answers_of(rows: list[SurveyAnswer], definition: Definition) -> dict[str, Answer]:
    answers: dict[str, Answer] = defaultdict(Answer)
    for row in rows:
        answer = answers[row.question]
        if row.row:
            answer.rows[row.row] = row.option
        elif row.option:
            answer.options.append(row.option)
            answer.other = answer.other or row.text
        elif row.number is not None:
            answer.number = row.number
        else:
            answer.text = row.text
    return dict(answers)


def test_loads_twice_with_believable_responses(engine, services, no_projects_after) -> None:  # type: ignore[no-untyped-def]
    with Session(engine, expire_on_commit=False) as session:
        assert _load(session, services) == 2
        counts = (
            len(session.exec(select(SurveyResponse)).all()),
            len(session.exec(select(SurveyAnswer)).all()),
        )
        assert _load(session, services) == 0
        assert (
            len(session.exec(select(SurveyResponse)).all()),
            len(session.exec(select(SurveyAnswer)).all()),
        ) == counts

        surveys = {s.slug: s for s in session.exec(select(Survey))}
        shili, ebike = surveys[ds.SHILI_SURVEY.slug], surveys[ds.EBIKE_SURVEY.slug]
        assert is_open(shili) and is_open(ebike) and shili.results_public
        assert ebike.audience == Audience.PHONE
        projects = {p.id: p.slug for p in session.exec(select(Project))}
        assert (
            projects[shili.project_id] == "shili-changdi" and projects[ebike.project_id] == "ebike-campaign"
        )

        for survey in (shili, ebike):
            for locale in ("zh_hans", "zh_hant", "en"):
                assert getattr(survey, f"title_{locale}") and getattr(survey, f"intro_{locale}")
            definition = definition_of(session, survey)
            assert problems(definition) == []
            for text in _every_text(definition):
                assert text.get("zh_Hans") and text.get("zh_Hant") and text.get("en"), text
            responses = session.exec(
                select(SurveyResponse).where(SurveyResponse.survey_id == survey.id)
            ).all()
            assert len(responses) == (ds.SHILI_SURVEY if survey is shili else ds.EBIKE_SURVEY).responses
            rows_by_response: dict[int, list[SurveyAnswer]] = defaultdict(list)
            for row in session.exec(select(SurveyAnswer).where(SurveyAnswer.survey_id == survey.id)):
                rows_by_response[row.response_id].append(row)
            for response in responses:
                answers = _answers_of(rows_by_response[response.id or 0], definition)
                # Only questions the form would have shown, and every required one of them.
                assert set(kept(definition, answers)) == set(answers), answers
                assert missing(definition, answers) == [], answers

        # The condition matters: some were asked why they were not satisfied, most were not.
        reasons = session.exec(
            select(SurveyAnswer.response_id).where(
                SurveyAnswer.survey_id == shili.id, SurveyAnswer.question == "q4"
            )
        ).all()
        assert 20 < len(set(reasons)) < ds.SHILI_SURVEY.responses / 2
        approved = session.exec(
            select(SurveyAnswer).where(SurveyAnswer.survey_id == shili.id, col(SurveyAnswer.approved))
        ).all()
        assert any("13859201234" in a.text for a in approved)  # shown masked by the results
        assert all(a.text for a in approved)
