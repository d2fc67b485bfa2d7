"""What a survey asks: sections of questions, their options and display conditions, as one JSON
document per version. No I/O here: the builder, the answering pages, the results and the tests all
read the same objects.

Keys (``s1``, ``q3``, ``o2``, ``r1``) are given once and never reused within a survey, so a question
keeps its key, its answers and its column in the downloads across versions.

Display conditions are checked in order: a section or question is shown only when its condition
holds on the answers to earlier, shown questions. A condition on a question that is hidden or was
not answered never holds (so chains hide together), and a hidden question is neither required nor
stored.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from portal.i18n import N_

LOCALES = ("zh_Hans", "zh_Hant", "en")


class Kind(StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    DROPDOWN = "dropdown"
    RATING = "rating"  # 1 to 5
    NPS = "nps"  # 0 to 10: how likely to recommend
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    NUMBER = "number"
    DATE = "date"
    MATRIX = "matrix"  # rows, each answered on one scale (the options)


KIND_LABELS = {
    Kind.SINGLE: N_("Single choice"),
    Kind.MULTIPLE: N_("Multiple choice"),
    Kind.DROPDOWN: N_("Dropdown"),
    Kind.RATING: N_("Rating, 1 to 5"),
    Kind.NPS: N_("Recommendation, 0 to 10"),
    Kind.SHORT_TEXT: N_("Short text"),
    Kind.LONG_TEXT: N_("Long text"),
    Kind.NUMBER: N_("Number"),
    Kind.DATE: N_("Date"),
    Kind.MATRIX: N_("Matrix (rows on one scale)"),
}

CHOICE_KINDS = frozenset({Kind.SINGLE, Kind.MULTIPLE, Kind.DROPDOWN})
ONE_CHOICE_KINDS = frozenset({Kind.SINGLE, Kind.DROPDOWN})
NUMBER_KINDS = frozenset({Kind.RATING, Kind.NPS, Kind.NUMBER})
TEXT_KINDS = frozenset({Kind.SHORT_TEXT, Kind.LONG_TEXT})
SCALES = {Kind.RATING: (1, 5), Kind.NPS: (0, 10)}
TEXT_MAX = {Kind.SHORT_TEXT: 200, Kind.LONG_TEXT: 2000}
OTHER_MAX = 200


class Op(StrEnum):
    EQUALS = "equals"  # a single choice or dropdown: this option was chosen
    DIFFERS = "differs"  # a single choice or dropdown: answered, and not with this option
    INCLUDES = "includes"  # a multiple choice: this option is among those chosen
    EXCLUDES = "excludes"  # a multiple choice: answered, and this option is not among them
    BETWEEN = "between"  # a rating, recommendation or number: from low to high, both included


OP_LABELS = {
    Op.EQUALS: N_("equals"),
    Op.DIFFERS: N_("differs from"),
    Op.INCLUDES: N_("includes"),
    Op.EXCLUDES: N_("does not include"),
    Op.BETWEEN: N_("is a number from … to …"),
}

OPS_FOR = {
    Kind.SINGLE: (Op.EQUALS, Op.DIFFERS),
    Kind.DROPDOWN: (Op.EQUALS, Op.DIFFERS),
    Kind.MULTIPLE: (Op.INCLUDES, Op.EXCLUDES),
    Kind.RATING: (Op.BETWEEN,),
    Kind.NPS: (Op.BETWEEN,),
    Kind.NUMBER: (Op.BETWEEN,),
}


def _texts(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {locale: str(value[locale]) for locale in LOCALES if value.get(locale)}


def plain_number(value: float | None) -> str:
    """A number as a form shows it: 1000000, 2.5, never 1e+06 (which no number field accepts)."""
    if value is None:
        return ""
    text = format(Decimal(repr(value)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)


@dataclass
class Option:
    key: str
    text: dict[str, str] = field(default_factory=dict)
    other: bool = False  # "other, please say": chosen with a few words of the respondent's own

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "text": self.text, "other": self.other}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Option:
        return cls(key=str(data["key"]), text=_texts(data.get("text")), other=bool(data.get("other")))


@dataclass
class Condition:
    question: str
    op: Op
    option: str = ""
    low: float | None = None
    high: float | None = None

    def __post_init__(self) -> None:
        self.low, self.high = _float(self.low), _float(self.high)

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "op": str(self.op),
            "option": self.option,
            "low": self.low,
            "high": self.high,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Condition | None:
        if not isinstance(data, dict) or not data.get("question"):
            return None
        low, high = data.get("low"), data.get("high")
        return cls(
            question=str(data["question"]),
            op=Op(data["op"]),
            option=str(data.get("option") or ""),
            low=None if low is None else float(low),
            high=None if high is None else float(high),
        )


@dataclass
class Question:
    key: str
    kind: Kind
    text: dict[str, str] = field(default_factory=dict)
    help: dict[str, str] = field(default_factory=dict)
    required: bool = False
    options: list[Option] = field(default_factory=list)  # choices; a matrix's scale
    rows: list[Option] = field(default_factory=list)  # a matrix's rows
    max_choices: int | None = None  # a multiple choice's most options
    low: float | None = None  # a number's range
    high: float | None = None
    unit: dict[str, str] = field(default_factory=dict)  # a number's unit, e.g. 元, 分钟
    condition: Condition | None = None
    # Asks for something personal (a name, a number, an address): never in public results.
    personal: bool = False

    def __post_init__(self) -> None:
        self.low, self.high = _float(self.low), _float(self.high)

    def option(self, key: str) -> Option | None:
        return next((o for o in self.options if o.key == key), None)

    def row(self, key: str) -> Option | None:
        return next((r for r in self.rows if r.key == key), None)

    @property
    def scale(self) -> tuple[int, int] | None:
        return SCALES.get(self.kind)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": str(self.kind),
            "text": self.text,
            "help": self.help,
            "required": self.required,
            "options": [o.to_dict() for o in self.options],
            "rows": [r.to_dict() for r in self.rows],
            "max_choices": self.max_choices,
            "low": self.low,
            "high": self.high,
            "unit": self.unit,
            "condition": self.condition.to_dict() if self.condition else None,
            "personal": self.personal,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Question:
        low, high, most = data.get("low"), data.get("high"), data.get("max_choices")
        return cls(
            key=str(data["key"]),
            kind=Kind(data["kind"]),
            text=_texts(data.get("text")),
            help=_texts(data.get("help")),
            required=bool(data.get("required")),
            options=[Option.from_dict(o) for o in data.get("options") or []],
            rows=[Option.from_dict(r) for r in data.get("rows") or []],
            max_choices=None if most is None else int(most),
            low=None if low is None else float(low),
            high=None if high is None else float(high),
            unit=_texts(data.get("unit")),
            condition=Condition.from_dict(data.get("condition")),
            personal=bool(data.get("personal")),
        )


@dataclass
class Section:
    key: str
    title: dict[str, str] = field(default_factory=dict)
    questions: list[Question] = field(default_factory=list)
    condition: Condition | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "condition": self.condition.to_dict() if self.condition else None,
            "questions": [q.to_dict() for q in self.questions],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Section:
        return cls(
            key=str(data["key"]),
            title=_texts(data.get("title")),
            condition=Condition.from_dict(data.get("condition")),
            questions=[Question.from_dict(q) for q in data.get("questions") or []],
        )


@dataclass
class Definition:
    sections: list[Section] = field(default_factory=list)
    # The highest number given to a key so far, so that a deleted key is never given again.
    last_key: int = 0

    def new_key(self, prefix: str) -> str:
        self.last_key += 1
        return f"{prefix}{self.last_key}"

    def questions(self) -> Iterator[Question]:
        for section in self.sections:
            yield from section.questions

    def question(self, key: str) -> Question | None:
        return next((q for q in self.questions() if q.key == key), None)

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)

    def section_of(self, question_key: str) -> Section | None:
        return next((s for s in self.sections if any(q.key == question_key for q in s.questions)), None)

    def earlier(self, question_key: str) -> list[Question]:
        """The questions before this one (those its condition may name)."""
        found: list[Question] = []
        for question in self.questions():
            if question.key == question_key:
                return found
            found.append(question)
        return found

    def to_dict(self) -> dict[str, Any]:
        return {"sections": [s.to_dict() for s in self.sections], "last_key": self.last_key}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Definition:
        data = json.loads(text or "{}")
        return cls(
            sections=[Section.from_dict(s) for s in data.get("sections") or []],
            last_key=int(data.get("last_key") or 0),
        )

    def structure(self) -> Any:
        """Everything but the words: two definitions with the same structure differ only by wording
        fixes, which a version that has responses may take; any other change makes a new version."""

        def bare(data: Any) -> Any:
            if isinstance(data, dict):
                # A number's unit is not wording: answers given in 公里 are not answers in 米.
                return {k: bare(v) for k, v in data.items() if k not in ("text", "help", "title")}
            if isinstance(data, list):
                return [bare(v) for v in data]
            return data

        return bare(self.to_dict())


# --- answers and conditions --------------------------------------------------------------------


@dataclass
class Answer:
    """One question's answer: the options chosen, the words given for "other", a number (ratings and
    recommendations too), a text (dates as YYYY-MM-DD), or a matrix's scale option per row."""

    options: list[str] = field(default_factory=list)
    other: str = ""
    number: float | None = None
    text: str = ""
    rows: dict[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.options or self.number is not None or self.text or self.rows)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.options:
            data["options"] = self.options
        if self.other:
            data["other"] = self.other
        if self.number is not None:
            data["number"] = self.number
        if self.text:
            data["text"] = self.text
        if self.rows:
            data["rows"] = self.rows
        return data

    @classmethod
    def from_dict(cls, data: Any) -> Answer:
        if not isinstance(data, dict):
            return cls()
        number = data.get("number")
        return cls(
            options=[str(o) for o in data.get("options") or []],
            other=str(data.get("other") or ""),
            number=None if number is None else float(number),
            text=str(data.get("text") or ""),
            rows={str(k): str(v) for k, v in (data.get("rows") or {}).items()},
        )


Answers = dict[str, Answer]


def answers_to_json(answers: Answers) -> str:
    return json.dumps({k: a.to_dict() for k, a in answers.items() if not a.empty}, ensure_ascii=False)


def answers_from_json(text: str) -> Answers:
    try:
        data = json.loads(text or "{}")
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): Answer.from_dict(v) for k, v in data.items()}


def holds(condition: Condition | None, answers: Answers, shown: set[str]) -> bool:
    """Whether the condition holds on the answers to the questions shown so far."""
    if condition is None:
        return True
    if condition.question not in shown:
        return False
    answer = answers.get(condition.question)
    if answer is None or answer.empty:
        return False
    if condition.op == Op.EQUALS:
        return condition.option in answer.options
    if condition.op == Op.DIFFERS:
        return bool(answer.options) and condition.option not in answer.options
    if condition.op == Op.INCLUDES:
        return condition.option in answer.options
    if condition.op == Op.EXCLUDES:
        return bool(answer.options) and condition.option not in answer.options
    if condition.op == Op.BETWEEN:
        if answer.number is None:
            return False
        low = float("-inf") if condition.low is None else condition.low
        high = float("inf") if condition.high is None else condition.high
        return low <= answer.number <= high
    return False


@dataclass
class Shown:
    """The sections and questions shown for some answers."""

    sections: list[str]
    questions: set[str]


def shown(definition: Definition, answers: Answers) -> Shown:
    """Which sections and questions the respondent sees, given their answers so far (in order, so
    that a condition only ever looks back)."""
    sections: list[str] = []
    questions: set[str] = set()
    for section in definition.sections:
        if not holds(section.condition, answers, questions):
            continue
        sections.append(section.key)
        for question in section.questions:
            if holds(question.condition, answers, questions):
                questions.add(question.key)
    return Shown(sections, questions)


def kept(definition: Definition, answers: Answers) -> Answers:
    """The answers to shown questions only: what is stored."""
    visible = shown(definition, answers).questions
    return {k: a for k, a in answers.items() if k in visible and not a.empty}


# --- checking a definition (the builder) ---------------------------------------------------------


def problems(definition: Definition) -> list[tuple[str, str, dict[str, Any]]]:
    """What stops the survey from opening: (where, message id, values) for each problem found."""
    found: list[tuple[str, str, dict[str, Any]]] = []
    if not any(s.questions for s in definition.sections):
        found.append(("", N_("Add at least one question."), {}))
    seen: list[Question] = []
    for section in definition.sections:
        if section.condition is not None:
            found.extend(_condition_problems(section.key, section.condition, seen))
        for question in section.questions:
            where = question.key
            if not question.text.get("zh_Hans", "").strip():
                found.append((where, N_("Write the question in Simplified Chinese."), {}))
            if question.kind in CHOICE_KINDS or question.kind == Kind.MATRIX:
                if len(question.options) < 2:
                    found.append((where, N_("Give at least two options."), {}))
                if any(not o.text.get("zh_Hans", "").strip() for o in question.options):
                    found.append((where, N_("Every option needs its words in Simplified Chinese."), {}))
            if question.kind == Kind.MATRIX:
                if not question.rows:
                    found.append((where, N_("Give the matrix at least one row."), {}))
                if any(not r.text.get("zh_Hans", "").strip() for r in question.rows):
                    found.append((where, N_("Every row needs its words in Simplified Chinese."), {}))
            most = question.max_choices
            if (
                question.kind == Kind.MULTIPLE
                and most is not None
                and not 1 <= most <= max(len(question.options), 1)
            ):
                found.append(
                    (where, N_("The most options to choose must be between 1 and the number of options."), {})
                )
            if (
                question.kind == Kind.NUMBER
                and None not in (question.low, question.high)
                and float(question.low or 0) > float(question.high or 0)
            ):
                found.append((where, N_("The lowest number must not be above the highest."), {}))
            if question.condition is not None:
                found.extend(_condition_problems(where, question.condition, seen))
            seen.append(question)
    return found


def _condition_problems(
    where: str, condition: Condition, earlier: list[Question]
) -> list[tuple[str, str, dict[str, Any]]]:
    source = next((q for q in earlier if q.key == condition.question), None)
    if source is None:
        return [(where, N_("A condition can only look at an earlier question."), {})]
    if condition.op not in OPS_FOR.get(source.kind, ()):
        return [(where, N_("That kind of condition does not fit the question it looks at."), {})]
    if condition.op == Op.BETWEEN:
        if condition.low is None and condition.high is None:
            return [(where, N_("Give the condition's lowest or highest number."), {})]
        if None not in (condition.low, condition.high) and float(condition.low or 0) > float(
            condition.high or 0
        ):
            return [(where, N_("The lowest number must not be above the highest."), {})]
    elif source.option(condition.option) is None:
        return [(where, N_("The condition names an option the question does not have."), {})]
    return []
