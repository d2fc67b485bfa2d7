"""A survey's responses for download: one row (CSV) or object (JSON) per response, with stable
column names per question (``q1``, ``q1_other``, ``q8_r1``), the same in every version.

No personal data: a response is numbered in order of arrival (not its database id), dated by day
only, personal questions are left out, and a text is given only once approved, masked as on the
page. The per-question summary is ``results.summary_rows``: the very figures of the page.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from portal.i18n import N_
from portal.stats.views import csv_cell
from portal.surveys.definition import CHOICE_KINDS, NUMBER_KINDS, TEXT_KINDS, Kind
from portal.surveys.models import Survey, SurveyAnswer, SurveyResponse, SurveyVersion
from portal.surveys.results import Asked, plain, public_text, submitted_day

CHUNK = 2000  # responses read at a time


@dataclass(frozen=True)
class Column:
    name: str
    question: str  # the question's key ('' for the response's own columns)
    row: str = ""  # a matrix row's key
    meaning: str = ""  # a message id, for the page's column list


FIXED = (
    Column("response", "", meaning=N_("The response's number, in order of arrival (1, 2, 3…).")),
    Column("version", "", meaning=N_("The version of the questions the response answered.")),
    Column("submitted", "", meaning=N_("The day the response was sent (the day only).")),
)
MEANINGS = {
    "choice": N_("The key of the option chosen (several, for a multiple choice, joined by ';')."),
    "other": N_("The words given with the \"other\" option, once approved, with names and phone numbers masked."),
    "number": N_("The number given (a rating 1–5, a recommendation 0–10, or a number)."),
    "date": N_("The date given, YYYY-MM-DD."),
    "text": N_("The text, once approved, with names and phone numbers masked; empty otherwise."),
    "matrix": N_("The key of the scale option chosen for this row."),
}  # fmt: skip


def columns(asked: list[Asked]) -> list[Column]:
    """The download's columns: the response's own, then each public question's."""
    found = list(FIXED)
    for a in asked:
        if a.question.personal:
            continue
        if a.kind in CHOICE_KINDS:
            found.append(Column(a.key, a.key, meaning=MEANINGS["choice"]))
            if a.other is not None:
                found.append(Column(f"{a.key}_other", a.key, meaning=MEANINGS["other"]))
        elif a.kind in NUMBER_KINDS:
            found.append(Column(a.key, a.key, meaning=MEANINGS["number"]))
        elif a.kind == Kind.DATE:
            found.append(Column(a.key, a.key, meaning=MEANINGS["date"]))
        elif a.kind == Kind.MATRIX:
            found.extend(
                Column(f"{a.key}_{r.key}", a.key, r.key, MEANINGS["matrix"]) for r in a.question.rows
            )
        elif a.kind in TEXT_KINDS:
            found.append(Column(a.key, a.key, meaning=MEANINGS["text"]))
    return found


def response_rows(session: Session, survey: Survey, asked: list[Asked]) -> Iterator[dict[str, Any]]:
    """One dict per response, oldest first, with every column (empty when not answered)."""
    names = [c.name for c in columns(asked)]
    kinds = {a.key: a for a in asked if not a.question.personal}
    numbers = {
        v.id: v.number
        for v in session.exec(select(SurveyVersion).where(SurveyVersion.survey_id == survey.id))
    }
    last_id, seq = 0, 0
    while True:
        responses = list(
            session.exec(
                select(SurveyResponse.id, SurveyResponse.version_id, SurveyResponse.created_at)
                .where(SurveyResponse.survey_id == survey.id, col(SurveyResponse.id) > last_id)
                .order_by(col(SurveyResponse.id))
                .limit(CHUNK)
            )
        )
        if not responses:
            return
        ids = [r[0] for r in responses]
        last_id = int(ids[-1] or 0)
        answers: dict[int, list[SurveyAnswer]] = {}
        for answer in session.exec(
            select(SurveyAnswer)
            .where(SurveyAnswer.survey_id == survey.id, col(SurveyAnswer.response_id).in_(ids))
            .order_by(col(SurveyAnswer.id))
        ):
            answers.setdefault(answer.response_id, []).append(answer)
        for response_id, version_id, created_at in responses:
            seq += 1
            row: dict[str, Any] = dict.fromkeys(names, "")
            row.update(response=seq, version=numbers.get(version_id, ""), submitted=submitted_day(created_at))
            for answer in answers.get(int(response_id or 0), []):
                _put(row, kinds.get(answer.question), answer)
            yield row


def _put(row: dict[str, Any], asked: Asked | None, answer: SurveyAnswer) -> None:
    if asked is None:  # a personal question's answer: never in a download
        return
    key = asked.key
    if asked.kind in CHOICE_KINDS:
        row[key] = f"{row[key]};{answer.option}" if row[key] else answer.option
        if answer.text and answer.approved and f"{key}_other" in row:
            row[f"{key}_other"] = public_text(answer.text)
    elif asked.kind in NUMBER_KINDS:
        row[key] = plain(answer.number) if answer.number is not None else ""
    elif asked.kind == Kind.DATE:
        row[key] = answer.text
    elif asked.kind == Kind.MATRIX:
        if f"{key}_{answer.row}" in row:
            row[f"{key}_{answer.row}"] = answer.option
    elif asked.kind in TEXT_KINDS and answer.approved:
        row[key] = public_text(answer.text)


def json_value(value: Any) -> Any:
    """A cell for JSON: numbers as numbers, empty cells as null."""
    if value == "":
        return None
    if hasattr(value, "as_integer_ratio") and not isinstance(value, (int, float)):
        return int(value) if value == value.to_integral() else float(value)
    return value


def csv_text(names: list[str], rows: Any) -> str:
    """CSV with CRLF lines; cells that a spreadsheet would run as a formula are neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow([csv_cell(row[name]) for name in names])
    return buffer.getvalue()


def csv_bytes(names: list[str], rows: Any) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel reads the Chinese correctly."""
    return csv_text(names, rows).encode("utf-8-sig")
