"""Surveys' life: made by staff, opened and closed by date, versioned once answered, answered once
per browser or per confirmed phone.

Nothing here knows about requests: the views, the demonstration data and the benchmarks all store
responses through ``submit``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from portal.db import utcnow
from portal.surveys.definition import (
    CHOICE_KINDS,
    NUMBER_KINDS,
    Answers,
    Definition,
    Kind,
    kept,
)
from portal.surveys.models import (
    Survey,
    SurveyAnswer,
    SurveyDraft,
    SurveyResponse,
    SurveyState,
    SurveyVersion,
)


def new_salt() -> str:
    return secrets.token_hex(16)


def state_of(survey: Survey, now: datetime | None = None) -> SurveyState:
    now = now or utcnow()
    if survey.opens_at is None:
        return SurveyState.DRAFT
    if survey.closes_at is not None and survey.closes_at <= now:
        return SurveyState.CLOSED
    if survey.opens_at > now:
        return SurveyState.SCHEDULED
    return SurveyState.OPEN


def is_open(survey: Survey, now: datetime | None = None) -> bool:
    return not survey.hidden and state_of(survey, now) == SurveyState.OPEN


def create_survey(session: Session, survey: Survey, definition: Definition | None = None) -> Survey:
    """Store a new survey with its first version."""
    survey.salt = survey.salt or new_salt()
    survey.version = 1
    session.add(survey)
    session.flush()
    session.add(
        SurveyVersion(survey_id=survey.id or 0, number=1, definition=(definition or Definition()).to_json())
    )
    session.flush()
    return survey


def version_row(session: Session, survey: Survey, number: int | None = None) -> SurveyVersion:
    row = session.exec(
        select(SurveyVersion).where(
            SurveyVersion.survey_id == survey.id, SurveyVersion.number == (number or survey.version)
        )
    ).one()
    return row


def definition_of(session: Session, survey: Survey, number: int | None = None) -> Definition:
    return Definition.from_json(version_row(session, survey, number).definition)


def response_count(session: Session, survey: Survey, version_id: int | None = None) -> int:
    query = select(func.count()).select_from(SurveyResponse).where(SurveyResponse.survey_id == survey.id)
    if version_id is not None:
        query = query.where(SurveyResponse.version_id == version_id)
    return int(session.exec(query).one())


@dataclass(frozen=True)
class Saved:
    version: SurveyVersion
    new_version: bool  # the change was more than wording, and the version had responses


def save_definition(session: Session, survey: Survey, definition: Definition) -> Saved:
    """Keep the survey's questions: in the current version while it has no responses or the change
    is a wording fix only; else in a new version (earlier responses keep naming theirs)."""
    current = version_row(session, survey)
    old = Definition.from_json(current.definition)
    answered = response_count(session, survey, current.id) > 0
    if answered and old.structure() != definition.structure():
        row = SurveyVersion(
            survey_id=survey.id or 0, number=current.number + 1, definition=definition.to_json()
        )
        survey.version = row.number
        survey.updated_at = utcnow()
        session.add(row)
        session.add(survey)
        session.flush()
        return Saved(row, True)
    current.definition = definition.to_json()
    survey.updated_at = utcnow()
    session.add(current)
    session.add(survey)
    session.flush()
    return Saved(current, False)


def frozen(session: Session, survey: Survey) -> bool:
    """Whether the current version has responses (only wording changes stay in it)."""
    return response_count(session, survey, version_row(session, survey).id) > 0


def can_delete(session: Session, survey: Survey) -> bool:
    return response_count(session, survey) == 0


def delete_survey(session: Session, survey: Survey) -> None:
    """Delete a survey nobody answered (an answered one is closed and hidden instead)."""
    if not can_delete(session, survey):
        raise ValueError("an answered survey is closed and hidden, never deleted")
    for draft in session.exec(select(SurveyDraft).where(SurveyDraft.survey_id == survey.id)):
        session.delete(draft)
    for row in session.exec(select(SurveyVersion).where(SurveyVersion.survey_id == survey.id)):
        session.delete(row)
    session.flush()
    session.delete(survey)
    session.flush()


# --- who answers ---------------------------------------------------------------------------------


def _keyed(secret: str, purpose: str, survey: Survey, value: str) -> str:
    message = f"{purpose}:{survey.id}:{survey.salt}:{value}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def browser_key(secret: str, survey: Survey, token: str) -> str:
    """The respondent key of a browser (its survey cookie), for a survey anyone may answer once."""
    return _keyed(secret, "survey-browser", survey, token)


def phone_key(secret: str, survey: Survey, phone: str) -> str:
    """The respondent key of a confirmed phone number: a keyed, salted hash, never the number (the
    server's secret keeps the ten-digit space from being tried offline)."""
    return _keyed(secret, "survey-phone", survey, phone)


def already_answered(session: Session, survey: Survey, respondent: str) -> bool:
    return (
        session.exec(
            select(SurveyResponse.id).where(
                SurveyResponse.survey_id == survey.id, SurveyResponse.respondent == respondent
            )
        ).first()
        is not None
    )


def answer_rows(definition: Definition, answers: Answers) -> list[SurveyAnswer]:
    """The rows that store the answers to shown questions (unsaved, without ids)."""
    rows: list[SurveyAnswer] = []
    for key, answer in kept(definition, answers).items():
        question = definition.question(key)
        if question is None:
            continue
        if question.kind in CHOICE_KINDS:
            other = next((o.key for o in question.options if o.other), None)
            for option in answer.options:
                if question.option(option) is None:  # not this version's (a forged or stale answer)
                    continue
                text = answer.other if option == other else ""
                rows.append(SurveyAnswer(survey_id=0, response_id=0, question=key, option=option, text=text))
        elif question.kind in NUMBER_KINDS:
            rows.append(SurveyAnswer(survey_id=0, response_id=0, question=key, number=answer.number))
        elif question.kind == Kind.MATRIX:
            for row in question.rows:
                if row.key in answer.rows and question.option(answer.rows[row.key]) is not None:
                    rows.append(
                        SurveyAnswer(
                            survey_id=0, response_id=0, question=key, row=row.key, option=answer.rows[row.key]
                        )
                    )
        else:
            rows.append(SurveyAnswer(survey_id=0, response_id=0, question=key, text=answer.text))
    return rows


def submit(
    session: Session,
    survey: Survey,
    version: SurveyVersion,
    answers: Answers,
    respondent: str,
    *,
    now: datetime | None = None,
) -> SurveyResponse | None:
    """Store one response with its answers (those to shown questions only), committed; None when
    this respondent has answered already (the unique key decides, even between simultaneous sends).
    Any draft of the respondent's is the caller's to remove."""
    definition = Definition.from_json(version.definition)
    response = SurveyResponse(
        survey_id=survey.id or 0,
        version_id=version.id or 0,
        respondent=respondent,
        created_at=now or utcnow(),
    )
    session.add(response)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return None
    for row in answer_rows(definition, answers):
        row.survey_id = survey.id or 0
        row.response_id = response.id or 0
        session.add(row)
    session.commit()
    return response


def versions(session: Session, survey: Survey) -> list[SurveyVersion]:
    return list(
        session.exec(
            select(SurveyVersion)
            .where(SurveyVersion.survey_id == survey.id)
            .order_by(col(SurveyVersion.number))
        )
    )
