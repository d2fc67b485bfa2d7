"""Reading a section's answers from a posted form, and checking them against their questions.

Fields are named after the question key: ``q-<key>`` (one value, or several for a multiple choice),
``q-<key>-other`` for the words of an "other, please say" option, and ``q-<key>-<row>`` for each
row of a matrix. Errors are keyed ``q-<key>`` (the id of the question's first control or fieldset),
so the error summary can link to each.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from portal.i18n import N_
from portal.numbers import calendar_day, decimal_number, whole_number
from portal.surveys.definition import (
    CHOICE_KINDS,
    OTHER_MAX,
    TEXT_KINDS,
    TEXT_MAX,
    Answer,
    Answers,
    Definition,
    Kind,
    Question,
    Section,
    plain_number,
    shown,
)
from portal.tickets.forms import FormErrors, clean_text

# A form sends at most this much per field: more is cut before it is looked at (and then refused
# as too long, never stored).
FIELD_MAX = 4000

REQUIRED = N_("Answer this question.")
REQUIRED_ROW = N_("Answer every row.")
NOT_AN_OPTION = N_("Choose one of the options shown.")
TOO_MANY = N_("Choose at most %(count)s options.")
SAY_OTHER = N_("Say in a few words what “other” is.")
OTHER_TOO_LONG = N_("Keep “other” under %(count)s characters.")
TOO_LONG = N_("Keep your answer under %(count)s characters (it has %(length)s).")
SCALE = N_("Choose a number from %(low)s to %(high)s.")
NUMBER_RANGE = N_("Enter a number from %(low)s to %(high)s.")
NUMBER_ABOVE = N_("Enter a number of at least %(low)s.")
NUMBER_BELOW = N_("Enter a number of at most %(high)s.")
NOT_A_NUMBER = N_("Enter a number, like 12 or 3.5.")
NOT_A_DATE = N_("Enter a date as year-month-day, like 2026-12-01.")
DATE_RANGE = N_("Enter a date between the years %(first)s and %(last)s.")
DATE_YEARS = (1900, 2100)
NO_LONGER_SHOWN = N_(
    "This question does not apply to your answers, so your answer to it was not kept. Check your "
    "answers and send them again."
)

NUMBER_LIMIT = 1e12


def field_id(question: Question) -> str:
    return f"q-{question.key}"


@dataclass
class Read:
    """A section as posted: its answers (those that passed their checks), the errors, and the raw
    values as typed (to show again, so nothing typed is lost)."""

    answers: Answers = field(default_factory=dict)
    errors: FormErrors = field(default_factory=FormErrors)
    typed: dict[str, list[str]] = field(default_factory=dict)


def read_question(question: Question, values: Mapping[str, Sequence[str]], errors: FormErrors) -> Answer:
    """One question's answer from the posted values (missing answers are empty, not errors here)."""
    fid = field_id(question)

    def first(name: str) -> str:
        got = values.get(name) or []
        return str(got[0])[:FIELD_MAX] if got else ""

    def figure(name: str) -> str:
        # Full-width digits and points, as Chinese keyboards type them, read as plain ones.
        return clean_text(unicodedata.normalize("NFKC", first(name)))

    answer = Answer()
    if question.kind in CHOICE_KINDS:
        chosen: list[str] = []
        for raw in values.get(fid) or []:
            key = clean_text(str(raw)[:40])
            if not key:
                continue
            if question.option(key) is None:
                errors.add(fid, NOT_AN_OPTION)
                return Answer()
            if key not in chosen:
                chosen.append(key)
        if question.kind != Kind.MULTIPLE and len(chosen) > 1:
            errors.add(fid, NOT_AN_OPTION)
            return Answer()
        if question.kind == Kind.MULTIPLE and question.max_choices and len(chosen) > question.max_choices:
            errors.add(fid, TOO_MANY, count=question.max_choices)
        answer.options = chosen
        other_option = next((o for o in question.options if o.other), None)
        if other_option is not None and other_option.key in chosen:
            other = clean_text(first(f"{fid}-other"))
            if not other:
                errors.add(f"{fid}-other", SAY_OTHER)
            elif len(other) > OTHER_MAX:
                errors.add(f"{fid}-other", OTHER_TOO_LONG, count=OTHER_MAX)
            else:
                answer.other = other
    elif question.kind in (Kind.RATING, Kind.NPS):
        raw = figure(fid)
        if raw:
            first_point, last_point = question.scale or (0, 0)
            point = whole_number(raw, first_point, last_point)
            if point is None:
                errors.add(fid, SCALE, low=first_point, high=last_point)
            else:
                answer.number = float(point)
    elif question.kind == Kind.NUMBER:
        raw = figure(fid)
        if raw:
            low = question.low if question.low is not None else -NUMBER_LIMIT
            high = question.high if question.high is not None else NUMBER_LIMIT
            number = decimal_number(raw, -NUMBER_LIMIT, NUMBER_LIMIT)
            if number is None:
                errors.add(fid, NOT_A_NUMBER)
            elif not low <= number <= high:
                if question.low is not None and question.high is not None:
                    errors.add(fid, NUMBER_RANGE, low=plain_number(low), high=plain_number(high))
                elif question.low is not None:
                    errors.add(fid, NUMBER_ABOVE, low=plain_number(low))
                else:
                    errors.add(fid, NUMBER_BELOW, high=plain_number(high))
            else:
                answer.number = number + 0.0  # −0 is 0
    elif question.kind == Kind.DATE:
        raw = figure(fid)
        if raw:
            day = calendar_day(raw)
            if day is None:
                errors.add(fid, NOT_A_DATE)
            elif not DATE_YEARS[0] <= day.year <= DATE_YEARS[1]:
                errors.add(fid, DATE_RANGE, first=DATE_YEARS[0], last=DATE_YEARS[1])
            else:
                answer.text = day.isoformat()
    elif question.kind in TEXT_KINDS:
        raw = clean_text(first(fid), multiline=question.kind == Kind.LONG_TEXT)
        most = TEXT_MAX[question.kind]
        if len(raw) > most:
            # A long paste is refused whole, never cut and stored.
            # The whole length as sent, not the FIELD_MAX characters read.
            errors.add(fid, TOO_LONG, count=most, length=len(str((values.get(fid) or [""])[0])))
        else:
            answer.text = raw
    elif question.kind == Kind.MATRIX:
        for row in question.rows:
            sent = [v for v in (values.get(f"{fid}-{row.key}") or []) if clean_text(str(v)[:40])]
            if len(sent) > 1:  # one answer per row, as a single choice
                errors.add(fid, NOT_AN_OPTION)
                return Answer()
            key = clean_text(first(f"{fid}-{row.key}")[:40])
            if not key:
                continue
            if question.option(key) is None:
                errors.add(fid, NOT_AN_OPTION)
                return Answer()
            answer.rows[row.key] = key
    return answer


def typed_values(section: Section, values: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """The section's raw posted values (cut to the field limit), to fill the form again."""
    typed: dict[str, list[str]] = {}
    for question in section.questions:
        fid = field_id(question)
        names = [fid, f"{fid}-other", *(f"{fid}-{row.key}" for row in question.rows)]
        for name in names:
            if values.get(name):
                typed[name] = [str(v)[:FIELD_MAX] for v in values[name] or []][:50]
    return typed


def read_section(
    definition: Definition, section: Section, values: Mapping[str, Sequence[str]], earlier: Answers
) -> Read:
    """The section's answers, checked: each shown question by its kind, required ones answered, and
    no answer to a question the answers (earlier ones, and this section's own) do not show."""
    result = Read(typed=typed_values(section, values))
    read: Answers = {}
    for question in section.questions:
        posted = read_question(question, values, result.errors)
        if not posted.empty:
            read[question.key] = posted
    combined = {k: a for k, a in earlier.items() if definition.section_of(k) is not section}
    combined.update(read)
    visible = shown(definition, combined).questions
    for question in section.questions:
        fid = field_id(question)
        answer = read.get(question.key)
        if question.key not in visible:
            if answer is not None:
                result.errors.add(fid, NO_LONGER_SHOWN)
            continue
        if question.required:
            if answer is None:
                result.errors.add(fid, REQUIRED)
                continue
            if question.kind == Kind.MATRIX and len(answer.rows) < len(question.rows):
                result.errors.add(fid, REQUIRED_ROW)
        if answer is not None:
            result.answers[question.key] = answer
    return result


def missing(definition: Definition, answers: Answers) -> list[Question]:
    """The shown, required questions without an answer (checked once more before a response is
    stored: a section may have been skipped by a forged post)."""
    visible = shown(definition, answers).questions
    return [
        q
        for q in definition.questions()
        if q.key in visible
        and q.required
        and (
            q.key not in answers
            or answers[q.key].empty
            or (q.kind == Kind.MATRIX and len(answers[q.key].rows) < len(q.rows))
        )
    ]
