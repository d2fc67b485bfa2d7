"""Public surveys (问卷调查): what a survey asks (its versions), who answered it and what they said.

A survey's questions live in a version's ``definition`` (JSON, read by ``portal.surveys.definition``).
Once a version has a response its questions and options are frozen: wording fixes change it in
place, anything else makes a new version, and each response names the version it answered.

Answers are rows, one per option chosen, matrix row answered, number or text given, so that the
results are counted by the database (``GROUP BY``) and a survey of 50,000 responses is summed in
well under a second.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from portal.db import UTCDateTime, utcnow
from portal.i18n import N_


class Audience(StrEnum):
    BROWSER = "browser"  # anyone, once per browser
    PHONE = "phone"  # one response per phone number, confirmed with a one-time code


AUDIENCE_LABELS = {
    Audience.BROWSER: N_("Anyone, once per browser"),
    Audience.PHONE: N_("One response per phone number, confirmed by an SMS code"),
}


class SurveyState(StrEnum):
    DRAFT = "draft"  # no opening date yet
    SCHEDULED = "scheduled"  # opens later
    OPEN = "open"
    CLOSED = "closed"


SURVEY_STATE_LABELS = {
    SurveyState.DRAFT: N_("Draft"),
    SurveyState.SCHEDULED: N_("Opens later"),
    SurveyState.OPEN: N_("Open for answers"),
    SurveyState.CLOSED: N_("Closed"),
}

MIN_RESPONSES_DEFAULT = 5


class Survey(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=60, unique=True)
    project_id: int | None = Field(default=None, foreign_key="project.id", index=True)
    owner_id: int = Field(foreign_key="staff_user.id")
    title_zh_hans: str = Field(max_length=120)
    title_zh_hant: str = Field(default="", max_length=120)
    title_en: str = Field(default="", max_length=120)
    intro_zh_hans: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    intro_zh_hant: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    intro_en: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    thanks_zh_hans: str = Field(default="", max_length=600)
    thanks_zh_hant: str = Field(default="", max_length=600)
    thanks_en: str = Field(default="", max_length=600)
    # Answers are taken from opens_at (None: not opened yet) until closes_at (None: no end set).
    opens_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True, index=True))
    closes_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    audience: str = Field(default=Audience.BROWSER, max_length=10)
    results_public: bool = False
    # No breakdown (a question's figures, a filtered view, a download) of fewer responses than this.
    min_responses: int = MIN_RESPONSES_DEFAULT
    # Closed and hidden: neither listed nor answerable nor its results public (a survey with
    # responses is never deleted).
    hidden: bool = False
    # The number of the version new responses answer.
    version: int = 1
    # Mixed into the keyed hash of a respondent's phone number, so that hashes differ per survey.
    salt: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class SurveyVersion(SQLModel, table=True):
    __tablename__ = "survey_version"
    __table_args__ = (UniqueConstraint("survey_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", index=True)
    number: int
    # The sections and questions, as ``portal.surveys.definition.Definition.to_json`` writes them.
    definition: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class SurveyResponse(SQLModel, table=True):
    """One respondent's finished answers. ``respondent`` is a keyed hash (of the browser's token, or
    of the confirmed phone number), never the number: the unique pair makes "once each" hold even
    under a surge of simultaneous sends."""

    __tablename__ = "survey_response"
    __table_args__ = (UniqueConstraint("survey_id", "respondent"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", index=True)
    version_id: int = Field(foreign_key="survey_version.id", index=True)
    respondent: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class SurveyAnswer(SQLModel, table=True):
    """One option chosen (with the words of an "other, please say"), one matrix row's scale point,
    one number (ratings and recommendations too), or one text (dates as YYYY-MM-DD)."""

    __tablename__ = "survey_answer"
    __table_args__ = (
        Index("ix_survey_answer_question", "survey_id", "question", "option"),
        Index("ix_survey_answer_response", "response_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id")
    response_id: int = Field(foreign_key="survey_response.id")
    question: str = Field(max_length=20)
    row: str = Field(default="", max_length=20)
    option: str = Field(default="", max_length=20)
    number: float | None = None
    text: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    # A text answer the survey's owner approved for the public results (shown masked even then).
    approved: bool = False


class SurveyDraft(SQLModel, table=True):
    """A half-answered survey, kept for the browser that typed it (and, for a phone-verified survey,
    the confirmed number's hash) until it is sent or a month has passed."""

    __tablename__ = "survey_draft"
    __table_args__ = (UniqueConstraint("survey_id", "browser"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", index=True)
    # A keyed hash of the browser's survey cookie.
    browser: str = Field(max_length=64)
    # The confirmed respondent (phone-verified surveys), once the code came back.
    respondent: str = Field(default="", max_length=64)
    version: int = 1
    # The section being answered, and everything typed so far (JSON: question key -> answer).
    section: str = Field(default="", max_length=20)
    answers: str = Field(default="{}", sa_column=Column(Text, nullable=False, server_default="{}"))
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False, index=True)
    )
