"""Opening and closing by date, versions once answered, one response per respondent, stored rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from portal.db import utcnow
from portal.surveys.definition import Answer, Kind, Question
from portal.surveys.models import SurveyAnswer, SurveyResponse, SurveyState
from portal.surveys.service import (
    answer_rows,
    browser_key,
    can_delete,
    definition_of,
    delete_survey,
    phone_key,
    save_definition,
    state_of,
    submit,
    version_row,
)
from tests.unit.surveys.survey_data import hans, open_survey, sample_definition

SECRET = "s"


def test_state_follows_the_dates(db: Session) -> None:
    survey = open_survey(db)
    now = utcnow()
    assert state_of(survey, now) == SurveyState.OPEN
    assert state_of(survey, now + timedelta(days=31)) == SurveyState.CLOSED
    assert state_of(survey, now - timedelta(days=2)) == SurveyState.SCHEDULED
    survey.opens_at = None
    assert state_of(survey, now) == SurveyState.DRAFT


def test_one_response_per_respondent_with_only_shown_answers_stored(db: Session) -> None:
    survey = open_survey(db)
    version = version_row(db, survey)
    answers = {
        "q1": Answer(options=["o3"], other="杏林"),  # lives elsewhere: the s2 answers are not kept
        "q2": Answer(number=1),
        "q8": Answer(rows={"r1": "o1", "r2": "o3"}),
        "q6": Answer(number=70),
    }
    who = browser_key(SECRET, survey, "token-1")
    assert submit(db, survey, version, answers, who) is not None
    assert submit(db, survey, version, {"q1": Answer(options=["o1"])}, who) is None
    rows = db.exec(select(SurveyAnswer).order_by(col(SurveyAnswer.question), col(SurveyAnswer.row))).all()
    assert [(r.question, r.row, r.option, r.number, r.text) for r in rows] == [
        ("q1", "", "o3", None, "杏林"),
        ("q6", "", "", 70.0, ""),
        ("q8", "r1", "o1", None, ""),
        ("q8", "r2", "o3", None, ""),
    ]
    assert len(db.exec(select(SurveyResponse)).all()) == 1


def test_a_phone_is_stored_as_a_keyed_hash_that_differs_per_survey(db: Session) -> None:
    survey = open_survey(db)
    other = open_survey(db, slug="another")
    key = phone_key(SECRET, survey, "13812345678")
    assert "13812345678" not in key and "5678" not in key
    assert key == phone_key(SECRET, survey, "13812345678") != phone_key(SECRET, other, "13812345678")
    assert key != phone_key("another secret", survey, "13812345678")


def test_wording_fixes_stay_in_the_answered_version_and_changes_make_a_new_one(db: Session) -> None:
    survey = open_survey(db)
    first = version_row(db, survey)
    # Unanswered: any change stays in version 1.
    definition = definition_of(db, survey)
    definition.sections[2].questions.append(
        Question(key=definition.new_key("q"), kind=Kind.SHORT_TEXT, text=hans("还有吗？"))
    )
    assert not save_definition(db, survey, definition).new_version
    submit(db, survey, first, {"q1": Answer(options=["o1"])}, "r1")
    # Answered: a wording fix stays…
    definition = definition_of(db, survey)
    q1 = definition.question("q1")
    assert q1 is not None
    q1.text = hans("您住在集美区哪个街道？")
    saved = save_definition(db, survey, definition)
    assert not saved.new_version and survey.version == 1
    assert definition_of(db, survey, 1).question("q1").text == hans("您住在集美区哪个街道？")  # type: ignore[union-attr]
    # …an added option makes version 2, and the first response still names version 1.
    q1.options.append(q1.options[0].__class__(key=definition.new_key("o"), text=hans("杏林街道")))
    saved = save_definition(db, survey, definition)
    assert saved.new_version and survey.version == 2
    assert len(definition_of(db, survey, 1).question("q1").options) == 3  # type: ignore[union-attr]
    assert len(definition_of(db, survey, 2).question("q1").options) == 4  # type: ignore[union-attr]
    response = db.exec(select(SurveyResponse)).one()
    assert response.version_id == first.id


def test_an_answered_survey_cannot_be_deleted(db: Session) -> None:
    survey = open_survey(db)
    submit(db, survey, version_row(db, survey), {"q1": Answer(options=["o1"])}, "r1")
    assert not can_delete(db, survey)
    with pytest.raises(ValueError):
        delete_survey(db, survey)
    unanswered = open_survey(db, slug="nobody")
    delete_survey(db, unanswered)
    db.commit()


def test_answer_rows_leave_out_options_and_rows_the_question_does_not_have() -> None:
    definition = sample_definition()
    answers = {
        "q1": Answer(options=["o2", "o99"]),
        "q5": Answer(number=9),
        "q8": Answer(rows={"r1": "o3", "r2": "o99", "r9": "o1"}),
    }
    rows = {(a.question, a.row, a.option) for a in answer_rows(definition, answers)}
    assert rows == {("q1", "", "o2"), ("q5", "", ""), ("q8", "r1", "o3")}
