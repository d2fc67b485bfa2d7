"""A survey's results: every figure counted by the database (``GROUP BY`` over ``survey_answer``),
never by loading the responses, so that 50,000 responses are summed in well under a second.

The page, the per-question summary CSV and the headline on the project page all read the same
``Results``; the per-response downloads (``downloads.py``) use the same columns and text masking.

Nothing here is public by itself: ``breakdown`` is False (and no figure is computed) while fewer
responses than the survey's minimum are in, in total or in the filtered view; questions flagged
``personal`` are only ever counted, never broken down; a text is shown only once approved, and then
with names and phone numbers masked.
"""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import and_, func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from portal.contact import mask_personal_in_text
from portal.i18n import DISTRICT_TZ, N_
from portal.stats.figures import percent
from portal.surveys.definition import (
    CHOICE_KINDS,
    ONE_CHOICE_KINDS,
    TEXT_KINDS,
    Definition,
    Kind,
    Option,
    Question,
)
from portal.surveys.models import Survey, SurveyAnswer, SurveyResponse, SurveyState, SurveyVersion
from portal.surveys.service import state_of

ONE_PLACE = Decimal("0.1")
TWO_PLACES = Decimal("0.01")
NPS_FORMULA = N_(
    "NPS = the percentage of promoters (9–10) minus the percentage of detractors (0–6), of those who "
    "answered; it runs from −100 to 100."
)
TEXTS_SHOWN = 200  # approved texts printed per question, newest first


# --- masking ---------------------------------------------------------------------------------------


def public_text(text: str) -> str:
    """A resident's words as the public results print them: phone and identity card numbers, e-mail
    addresses, WeChat ids and names masked."""
    return mask_personal_in_text(text)


# --- the questions of every version ----------------------------------------------------------------


@dataclass
class Asked:
    """A question as asked across the survey's versions: its newest wording, the options and rows
    any version offered, and which versions asked it."""

    question: Question
    versions: list[int]

    @property
    def key(self) -> str:
        return self.question.key

    @property
    def kind(self) -> Kind:
        return self.question.kind

    @property
    def other(self) -> Option | None:
        return next((o for o in self.question.options if o.other), None)


def asked_questions(definitions: list[tuple[int, Definition]]) -> list[Asked]:
    """Every question of every version, newest version's order first (keys are never reused)."""
    found: dict[str, Asked] = {}
    for number, definition in sorted(definitions, key=lambda d: -d[0]):
        for question in definition.questions():
            known = found.get(question.key)
            if known is None:
                found[question.key] = Asked(copy.deepcopy(question), [number])
                continue
            known.versions.insert(0, number)
            have = {o.key for o in known.question.options}
            known.question.options.extend(o for o in question.options if o.key not in have)
            have_rows = {r.key for r in known.question.rows}
            known.question.rows.extend(r for r in question.rows if r.key not in have_rows)
            known.question.personal = known.question.personal or question.personal
    return list(found.values())


def survey_versions(session: Session, survey: Survey) -> list[SurveyVersion]:
    return list(
        session.exec(
            select(SurveyVersion)
            .where(SurveyVersion.survey_id == survey.id)
            .order_by(col(SurveyVersion.number))
        )
    )


def asked_in(session: Session, survey: Survey) -> tuple[list[SurveyVersion], list[Asked]]:
    rows = survey_versions(session, survey)
    return rows, asked_questions([(v.number, Definition.from_json(v.definition)) for v in rows])


# --- filters ---------------------------------------------------------------------------------------


class FilterRefused(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


FILTER_REFUSED = N_("That filter does not match a question of this survey. Choose one from the list.")


@dataclass(frozen=True)
class Filter:
    """Only the responses that gave this option to this single-choice or dropdown question."""

    question: str
    option: str

    @property
    def value(self) -> str:
        return f"{self.question}:{self.option}"


def filter_choices(asked: list[Asked]) -> list[tuple[Asked, Option]]:
    """What the results may be filtered by: each option of a single-choice or dropdown question."""
    return [
        (a, option)
        for a in asked
        if a.kind in ONE_CHOICE_KINDS and not a.question.personal
        for option in a.question.options
    ]


def parse_filter(text: str, asked: list[Asked]) -> Filter | None:
    """``q1:o1`` checked against the survey's questions; FilterRefused for anything else."""
    text = text.strip()
    if not text:
        return None
    question, _, option = text[:50].partition(":")
    if any(a.key == question and o.key == option for a, o in filter_choices(asked)):
        return Filter(question, option)
    raise FilterRefused(FILTER_REFUSED)


# --- figures ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Share:
    """An option's count, in percent of the respondents who answered the question."""

    key: str
    count: int
    percent: Decimal | None
    other: bool = False


@dataclass(frozen=True)
class Point:
    """One value of a rating or recommendation scale."""

    value: int
    count: int
    percent: Decimal | None


@dataclass(frozen=True)
class Nps:
    promoters: int
    passives: int
    detractors: int
    promoters_percent: Decimal
    passives_percent: Decimal
    detractors_percent: Decimal
    # (promoters − detractors) ÷ answered × 100 from the counts, rounded once (the rounded shares
    # may differ from it by 0.1: 50.8 − 12.0 against 38.7)
    score: Decimal
    answered: int = 0


@dataclass(frozen=True)
class Numbers:
    count: int
    median: Decimal
    low: Decimal
    high: Decimal
    average: Decimal


@dataclass(frozen=True)
class Month:
    month: str  # YYYY-MM
    count: int


@dataclass(frozen=True)
class MatrixRow:
    key: str
    answered: int
    shares: list[Share]


@dataclass(frozen=True)
class Text:
    id: int
    text: str  # masked
    other: bool  # the words of an "other, please say"


@dataclass
class QuestionResult:
    asked: Asked
    answered: int = 0  # respondents who answered it
    shares: list[Share] = field(default_factory=list)
    points: list[Point] = field(default_factory=list)
    average: Decimal | None = None
    nps: Nps | None = None
    numbers: Numbers | None = None
    earliest: str = ""
    latest: str = ""
    months: list[Month] = field(default_factory=list)
    matrix: list[MatrixRow] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    texts_total: int = 0

    @property
    def texts_grouped(self) -> list[tuple[str, int]]:
        """The shown texts with the same words once, with how many gave them (most given first; the
        words of "other" repeat: 思明区 ×6)."""
        counts = Counter(t.text for t in self.texts)
        return sorted(counts.items(), key=lambda item: -item[1])

    @property
    def key(self) -> str:
        return self.asked.key

    @property
    def kind(self) -> Kind:
        return self.asked.kind

    @property
    def personal(self) -> bool:
        return self.asked.question.personal


@dataclass
class Results:
    survey: Survey
    total: int  # responses (in the filter, if any)
    by_version: list[tuple[int, int]]  # (version number, responses)
    filter: Filter | None
    breakdown: bool  # enough responses for any figure to be shown
    questions: list[QuestionResult]
    asked: list[Asked]

    @property
    def minimum(self) -> int:
        return max(1, self.survey.min_responses)


def _round(value: Decimal, places: Decimal = ONE_PLACE) -> Decimal:
    return value.quantize(places, rounding=ROUND_HALF_UP)


def plain(value: float | Decimal) -> Decimal:
    """A number as printed: at most two decimal places, no trailing zeros (42, 42.5, 0.25)."""
    rounded = _round(Decimal(str(value)), TWO_PLACES)
    return rounded.quantize(Decimal(1)) if rounded == rounded.to_integral() else rounded.normalize()


def _in_filter(survey: Survey, chosen: Filter | None) -> Any:
    """The condition on a ``response_id`` column that keeps the filtered responses (None: all)."""
    if chosen is None:
        return None
    other = aliased(SurveyAnswer)
    return (
        select(other.response_id)
        .where(other.survey_id == survey.id, other.question == chosen.question, other.option == chosen.option)
        .scalar_subquery()
    )


def _answers(survey: Survey, chosen: Filter | None, *columns: Any) -> Any:
    query = select(*columns).where(SurveyAnswer.survey_id == survey.id)
    kept = _in_filter(survey, chosen)
    return query if kept is None else query.where(col(SurveyAnswer.response_id).in_(kept))


def responses_by_version(
    session: Session, survey: Survey, chosen: Filter | None = None
) -> list[tuple[int, int]]:
    query = (
        select(SurveyVersion.number, func.count(col(SurveyResponse.id)))
        .join(SurveyVersion, col(SurveyVersion.id) == SurveyResponse.version_id)
        .where(SurveyResponse.survey_id == survey.id)
        .group_by(col(SurveyVersion.number))
        .order_by(col(SurveyVersion.number))
    )
    kept = _in_filter(survey, chosen)
    if kept is not None:
        query = query.where(col(SurveyResponse.id).in_(kept))
    return [(int(n), int(c)) for n, c in session.exec(query)]


def compute(session: Session, survey: Survey, chosen: Filter | None = None) -> Results:
    """Every question's figures, each from one or two grouped queries over all its answers."""
    _versions, asked = asked_in(session, survey)
    by_version = responses_by_version(session, survey, chosen)
    total = sum(c for _n, c in by_version)
    breakdown = total >= max(1, survey.min_responses) and total > 0
    results = {a.key: QuestionResult(a) for a in asked}
    if breakdown:
        _answered(session, survey, chosen, results)
        _choices(session, survey, chosen, results)
        _scales(session, survey, chosen, results)
        _numbers(session, survey, chosen, results)
        _dates(session, survey, chosen, results)
        _texts(session, survey, chosen, results)
    return Results(survey, total, by_version, chosen, breakdown, list(results.values()), asked)


def _answered(
    session: Session, survey: Survey, chosen: Filter | None, results: dict[str, QuestionResult]
) -> None:
    """Respondents of the questions whose other figures do not give it: multiple choices and matrices
    (a row per option or matrix row: distinct responses are counted), texts and personal questions.
    The others' count is the sum of their own figures, read with them."""
    keys = [
        r.key
        for r in results.values()
        if r.kind in (Kind.MULTIPLE, Kind.MATRIX) or r.kind in TEXT_KINDS or r.personal
    ]
    if not keys:
        return
    query = (
        _answers(survey, chosen, SurveyAnswer.question, func.count(func.distinct(SurveyAnswer.response_id)))
        .where(col(SurveyAnswer.question).in_(keys))
        .group_by(SurveyAnswer.question)
    )
    for key, count in session.exec(query):
        results[key].answered = int(count)


def _public(results: dict[str, QuestionResult], kinds: frozenset[Kind] | set[Kind]) -> list[str]:
    return [r.key for r in results.values() if r.kind in kinds and not r.personal]


def _choices(
    session: Session, survey: Survey, chosen: Filter | None, results: dict[str, QuestionResult]
) -> None:
    keys = _public(results, CHOICE_KINDS | {Kind.MATRIX})
    if not keys:
        return
    query = (
        _answers(survey, chosen, SurveyAnswer.question, SurveyAnswer.row, SurveyAnswer.option, func.count())
        .where(col(SurveyAnswer.question).in_(keys))
        .group_by(SurveyAnswer.question, SurveyAnswer.row, SurveyAnswer.option)
    )
    counts: dict[tuple[str, str, str], int] = {}
    for question, row, option, count in session.exec(query):
        counts[(question, row, option)] = int(count)
    for key in keys:
        result = results[key]
        question = result.asked.question
        if result.kind == Kind.MATRIX:
            for row in question.rows:
                row_counts = [counts.get((key, row.key, o.key), 0) for o in question.options]
                answered = sum(row_counts)
                result.matrix.append(
                    MatrixRow(
                        row.key,
                        answered,
                        [
                            Share(o.key, n, percent(n, answered))
                            for o, n in zip(question.options, row_counts, strict=True)
                        ],
                    )
                )
            continue
        if result.kind in ONE_CHOICE_KINDS:
            result.answered = sum(counts.get((key, "", o.key), 0) for o in question.options)
        for option in question.options:
            n = counts.get((key, "", option.key), 0)
            result.shares.append(Share(option.key, n, percent(n, result.answered), option.other))


def _scales(
    session: Session, survey: Survey, chosen: Filter | None, results: dict[str, QuestionResult]
) -> None:
    keys = _public(results, {Kind.RATING, Kind.NPS})
    if not keys:
        return
    query = (
        _answers(survey, chosen, SurveyAnswer.question, SurveyAnswer.number, func.count())
        .where(col(SurveyAnswer.question).in_(keys), col(SurveyAnswer.number).is_not(None))
        .group_by(SurveyAnswer.question, SurveyAnswer.number)
    )
    counts: dict[str, dict[int, int]] = {}
    for question, number, count in session.exec(query):
        counts.setdefault(question, {})[round(float(number))] = int(count)
    for key in keys:
        result = results[key]
        low, high = result.asked.question.scale or (0, 0)
        values = counts.get(key, {})
        answered = result.answered = sum(values.values())
        result.points = [
            Point(v, values.get(v, 0), percent(values.get(v, 0), answered)) for v in range(low, high + 1)
        ]
        if not answered:
            continue
        total = sum(v * n for v, n in values.items())
        result.average = _round(Decimal(total) / Decimal(answered))
        if result.kind == Kind.NPS:
            promoters = sum(n for v, n in values.items() if v >= 9)
            detractors = sum(n for v, n in values.items() if v <= 6)
            passives = answered - promoters - detractors
            p, d, m = (percent(n, answered) or Decimal(0) for n in (promoters, detractors, passives))
            score = _round(Decimal(promoters - detractors) * 100 / Decimal(answered))
            result.nps = Nps(promoters, passives, detractors, p, m, d, score, answered)


def _numbers(
    session: Session, survey: Survey, chosen: Filter | None, results: dict[str, QuestionResult]
) -> None:
    keys = _public(results, {Kind.NUMBER})
    if not keys:
        return
    number = col(SurveyAnswer.number)
    postgres = session.get_bind().dialect.name == "postgresql"
    # PostgreSQL reads the median with the rest; SQLite reads the middle values afterwards
    median = func.percentile_cont(0.5).within_group(number) if postgres else func.count(number)
    query = (
        _answers(survey, chosen, SurveyAnswer.question, func.count(number), func.min(number), func.max(number),
                 func.sum(number), median)
        .where(col(SurveyAnswer.question).in_(keys), number.is_not(None))
        .group_by(SurveyAnswer.question)
    )  # fmt: skip
    found = {q: (int(n), lo, hi, total, middle) for q, n, lo, hi, total, middle in session.exec(query)}
    medians = (
        {k: Decimal(str(v[4])) for k, v in found.items()}
        if postgres
        else _medians(session, survey, chosen, {k: v[0] for k, v in found.items()})
    )
    for key, (count, low, high, total, _middle) in found.items():
        if count:
            results[key].answered = count
            results[key].numbers = Numbers(
                count, plain(medians[key]), plain(low), plain(high), _round(Decimal(str(total)) / count)
            )


def _medians(
    session: Session, survey: Survey, chosen: Filter | None, counts: dict[str, int]
) -> dict[str, Decimal]:
    """The median of each number question on SQLite (no percentile_cont): the one or two middle
    values, read by the database with ORDER BY … LIMIT … OFFSET."""
    number = col(SurveyAnswer.number)
    found: dict[str, Decimal] = {}
    for key, count in counts.items():
        middle = list(
            session.exec(
                _answers(survey, chosen, number)
                .where(SurveyAnswer.question == key, number.is_not(None))
                .order_by(number)
                .offset((count - 1) // 2)
                .limit(2 - count % 2)
            )
        )
        found[key] = sum((Decimal(str(v)) for v in middle), Decimal(0)) / len(middle)
    return found


def _dates(
    session: Session, survey: Survey, chosen: Filter | None, results: dict[str, QuestionResult]
) -> None:
    keys = _public(results, {Kind.DATE})
    if not keys:
        return
    month = func.substr(SurveyAnswer.text, 1, 7)
    query = (
        _answers(survey, chosen, SurveyAnswer.question, month, func.count(), func.min(SurveyAnswer.text),
                 func.max(SurveyAnswer.text))
        .where(col(SurveyAnswer.question).in_(keys), SurveyAnswer.text != "")
        .group_by(SurveyAnswer.question, month)
        .order_by(month)
    )  # fmt: skip
    for key, when, count, earliest, latest in session.exec(query):
        result = results[key]
        result.answered += int(count)
        result.months.append(Month(str(when), int(count)))
        result.earliest = min(result.earliest or earliest, earliest)
        result.latest = max(result.latest, latest)


def _texts(
    session: Session, survey: Survey, chosen: Filter | None, results: dict[str, QuestionResult]
) -> None:
    """Approved texts only, masked: a text question's answers and the words of "other" options."""
    keys = _public(results, TEXT_KINDS | CHOICE_KINDS)
    if not keys:
        return
    approved = and_(
        col(SurveyAnswer.question).in_(keys),
        col(SurveyAnswer.approved).is_(True),
        col(SurveyAnswer.text) != "",
    )
    for key, count in session.exec(
        _answers(survey, chosen, SurveyAnswer.question, func.count())
        .where(approved)
        .group_by(SurveyAnswer.question)
    ):
        results[key].texts_total = int(count)
    numbered = func.row_number().over(
        partition_by=SurveyAnswer.question, order_by=col(SurveyAnswer.id).desc()
    )
    inner = _answers(
        survey, chosen, SurveyAnswer.id, SurveyAnswer.question, SurveyAnswer.option, SurveyAnswer.text,
        numbered.label("n"),
    ).where(approved).subquery()  # fmt: skip
    for answer_id, key, option, text in session.exec(
        select(inner.c.id, inner.c.question, inner.c.option, inner.c.text)
        .where(inner.c.n <= TEXTS_SHOWN)
        .order_by(inner.c.question, inner.c.id.desc())
    ):
        results[key].texts.append(Text(int(answer_id), public_text(text), bool(option)))


# --- who sees them -----------------------------------------------------------------------------------


def public(survey: Survey, now: datetime | None = None) -> bool:
    """Whether anyone may see the results: published by its makers, not hidden, and opened."""
    return (
        survey.results_public
        and not survey.hidden
        and state_of(survey, now) in (SurveyState.OPEN, SurveyState.CLOSED)
    )


def submitted_day(moment: datetime) -> str:
    """The district's calendar day of a response (the day only, so that a time cannot name anyone)."""
    return moment.astimezone(DISTRICT_TZ).date().isoformat()


# --- the per-question summary (the page's figures, row by row) ----------------------------------------

SUMMARY_COLUMNS = ("question", "kind", "measure", "row", "option", "count", "percent", "value")
SUMMARY_NOTES = (
    ("question", N_("The question's key (the same in every version and in the response downloads).")),
    ("kind", N_("The kind of question: single, multiple, dropdown, rating, nps, number, date, matrix, short_text or long_text.")),
    ("measure", N_("What the row counts: answered, option, other, point, average, promoters, passives, detractors, nps, median, min, max, mean, earliest, latest, month, matrix or texts.")),
    ("row", N_("A matrix question's row key.")),
    ("option", N_("The option key, or the scale point, or the month (YYYY-MM).")),
    ("count", N_("The number of respondents.")),
    ("percent", N_("In percent of the respondents who answered the question (of a matrix: of those who answered the row), one decimal place. A multiple choice counts each option, so its percentages add up to more than 100.")),
    ("value", N_("The figure itself: an average, median, lowest or highest number, a date, or the NPS score.")),
)  # fmt: skip


def summary_rows(results: Results) -> list[dict[str, Any]]:
    """The figures of the page, one row each, for summary.csv (none while the minimum is not met)."""
    rows: list[dict[str, Any]] = []
    if not results.breakdown:
        return rows

    def add(r: QuestionResult, measure: str, *, row: str = "", option: Any = "", count: Any = "",
            share: Any = "", value: Any = "") -> None:  # fmt: skip
        rows.append({"question": r.key, "kind": str(r.kind), "measure": measure, "row": row, "option": option,
                     "count": count, "percent": "" if share is None else share, "value": value})  # fmt: skip

    for r in results.questions:
        add(r, "answered", count=r.answered)
        if r.personal:
            continue
        for s in r.shares:
            add(r, "other" if s.other else "option", option=s.key, count=s.count, share=s.percent)
        for p in r.points:
            add(r, "point", option=p.value, count=p.count, share=p.percent)
        if r.average is not None:
            add(r, "average", value=r.average)
        if r.nps is not None:
            add(r, "promoters", count=r.nps.promoters, share=r.nps.promoters_percent)
            add(r, "passives", count=r.nps.passives, share=r.nps.passives_percent)
            add(r, "detractors", count=r.nps.detractors, share=r.nps.detractors_percent)
            add(r, "nps", value=r.nps.score)
        if r.numbers is not None:
            add(r, "median", count=r.numbers.count, value=r.numbers.median)
            add(r, "min", value=r.numbers.low)
            add(r, "max", value=r.numbers.high)
            add(r, "mean", value=r.numbers.average)
        if r.earliest:
            add(r, "earliest", value=r.earliest)
            add(r, "latest", value=r.latest)
        for m in r.months:
            add(r, "month", option=m.month, count=m.count)
        for mrow in r.matrix:
            for s in mrow.shares:
                add(r, "matrix", row=mrow.key, option=s.key, count=s.count, share=s.percent)
        if r.kind in TEXT_KINDS:
            add(r, "texts", count=r.texts_total)
    return rows


# --- the headline on a project's page ----------------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    survey: Survey
    responses: int
    open: bool
    results_shown: bool  # public results with enough responses to show a figure
    kind: Kind | None  # the first rating or recommendation question, if any
    figure: Decimal | None  # its average (rating) or NPS score


def headlines(session: Session, project_id: int, now: datetime | None = None) -> list[Headline]:
    """The project's opened, not hidden surveys, each with its response count and, when its results
    are public and past the minimum, the first rating's average or recommendation's NPS."""
    found: list[Headline] = []
    surveys = session.exec(
        select(Survey)
        .where(
            Survey.project_id == project_id, col(Survey.hidden).is_(False), col(Survey.opens_at).is_not(None)
        )
        .order_by(col(Survey.opens_at).desc())
    )
    for survey in surveys:
        state = state_of(survey, now)
        if state not in (SurveyState.OPEN, SurveyState.CLOSED):
            continue
        total = sum(c for _n, c in responses_by_version(session, survey))
        shown = public(survey, now) and total >= max(1, survey.min_responses) and total > 0
        kind: Kind | None = None
        figure: Decimal | None = None
        if shown:
            _versions, asked = asked_in(session, survey)
            first = next(
                (a for a in asked if a.kind in (Kind.RATING, Kind.NPS) and not a.question.personal), None
            )
            if first is not None:
                one = {first.key: QuestionResult(first)}
                _scales(session, survey, None, one)
                kind = first.kind
                nps = one[first.key].nps
                figure = nps.score if nps is not None else one[first.key].average
        found.append(Headline(survey, total, state == SurveyState.OPEN, shown, kind, figure))
    return found
