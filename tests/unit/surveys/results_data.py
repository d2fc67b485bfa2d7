"""Responses to the sample survey, stored through ``service.submit`` as residents' would be."""

from __future__ import annotations

from sqlmodel import Session

from portal.surveys.definition import Answer, Answers
from portal.surveys.models import Survey
from portal.surveys.service import browser_key, submit, version_row


def answer(db: Session, survey: Survey, many: list[Answers], start: int = 0) -> None:
    version = version_row(db, survey)
    for number, answers in enumerate(many, start=start):
        assert submit(db, survey, version, answers, browser_key("s", survey, f"browser-{number}")) is not None


def resident(
    where: str = "o1", rating: float = 4, nps: float = 8, age: float = 40, **more: Answer
) -> Answers:
    """One resident's answers: where they live, a rating, a recommendation, an age, and ``more``."""
    answers: Answers = {
        "q1": Answer(options=[where]),
        "q2": Answer(number=rating),
        "q5": Answer(number=nps),
        "q6": Answer(number=age),
    }
    answers.update(more)
    return answers
