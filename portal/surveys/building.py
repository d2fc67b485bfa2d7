"""Building a survey: its settings, and the edits of its sections, questions and options.

The edits of a ``Definition`` are pure: each checks everything first and raises ``EditRefused``
(nothing changed) with the problems keyed by the field they belong to. ``change_definition`` and
``save_settings`` are what the staff pages call: they load, apply, store (through
``service.save_definition``, which starts a new version when an answered version's structure
changes) and write the audit log.

Keys come from ``Definition.new_key`` and are never given twice, so a removed question's answers
and its column in the downloads are never confused with a newer question's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, select

from portal.accounts.models import StaffUser
from portal.accounts.service import audit
from portal.db import utcnow
from portal.i18n import DISTRICT_TZ, N_
from portal.numbers import decimal_number, whole_number
from portal.progress.editing import EditRefused
from portal.progress.models import Project
from portal.surveys import service
from portal.surveys.definition import (
    CHOICE_KINDS,
    LOCALES,
    OPS_FOR,
    Condition,
    Definition,
    Kind,
    Op,
    Option,
    Question,
    Section,
    plain_number,
    problems,
)
from portal.surveys.models import MIN_RESPONSES_DEFAULT, Audience, Survey, SurveyState
from portal.tickets.forms import FormErrors as Problems
from portal.tickets.forms import clean_text

__all__ = ["EditRefused", "Problems"]

SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SLUG_MAX = 60
TITLE_MAX = 120
INTRO_MAX = 4000
THANKS_MAX = 600
QUESTION_MAX = 500
HELP_MAX = 500
OPTION_MAX = 200
UNIT_MAX = 20
MIN_RESPONSES_MOST = 1000
MAX_SECTIONS = 30
MAX_QUESTIONS = 100
MAX_OPTIONS = 40
NUMBER_LIMIT = 1e12  # a number question's range, and a condition's

TOO_LONG = N_("This is too long: at most %(max)s characters.")
FORGED = N_("This form does not match the survey any more. Open the page again and redo your change.")
ORDER = N_(
    "A condition can only look at an earlier question: this move would put a question after one that depends on it."
)
NEEDED_BY = N_("The condition of “%(where)s” looks at this: change that condition first.")
OPEN_PROBLEM = N_(
    "The survey is open, so a change must leave it ready to answer. Close it first, or make the change complete:"
)
NOT_READY = N_(
    "The survey cannot open until its questions are ready: see the problems on the Questions page."
)

COLUMN = {"zh_Hans": "zh_hans", "zh_Hant": "zh_hant", "en": "en"}


# --- reading forms -------------------------------------------------------------------------------


def _text(form: Mapping[str, Any], name: str, most: int = 100_000) -> str:
    value = form.get(name, "")
    return value[: most + 1000] if isinstance(value, str) else ""


def _flag(form: Mapping[str, Any], name: str) -> bool:
    return _text(form, name) in {"on", "1", "yes", "true"}


def _list(form: Any, name: str) -> list[str]:
    values = form.getall(name, []) if hasattr(form, "getall") else form.get(name, [])
    if isinstance(values, str):
        values = [values]
    return [v for v in values if isinstance(v, str)][:200]


def local_time(moment: datetime | None) -> str:
    """A stored moment as the district's local time, the way a datetime-local field shows it."""
    return moment.astimezone(DISTRICT_TZ).strftime("%Y-%m-%dT%H:%M") if moment else ""


_LOCAL_TIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::\d{2})?")


def parse_local_time(typed: str) -> datetime | None:
    """The district's local time typed (YYYY-MM-DD HH:MM, or the datetime-local field's form), in UTC."""
    found = _LOCAL_TIME.fullmatch(typed.strip())
    if not found:
        return None
    year, month, day, hour, minute = (int(part) for part in found.groups())
    try:
        return datetime(year, month, day, hour, minute, tzinfo=DISTRICT_TZ).astimezone(UTC)
    except ValueError:
        return None


# --- a survey's settings -------------------------------------------------------------------------


@dataclass
class SettingsInput:
    """The settings form as typed (to check and, when refused, to show again) or as saved."""

    slug: str = ""
    texts: dict[str, str] = field(default_factory=dict)  # title_zh_Hans, intro_en, thanks_zh_Hant...
    opens_at: str = ""
    closes_at: str = ""
    project: str = ""
    audience: str = Audience.BROWSER.value
    results_public: bool = False
    min_responses: str = str(MIN_RESPONSES_DEFAULT)

    NAMES = ("title", "intro", "thanks")

    def text(self, name: str) -> str:
        return self.texts.get(name, "")

    @classmethod
    def from_form(cls, form: Any) -> SettingsInput:
        return cls(
            slug=_text(form, "slug", 200).strip(),
            texts={
                f"{n}_{loc}": clean_text(_text(form, f"{n}_{loc}"), multiline=n != "title")
                for n in cls.NAMES
                for loc in LOCALES
            },
            opens_at=_text(form, "opens_at", 40).strip()[:40],
            closes_at=_text(form, "closes_at", 40).strip()[:40],
            project=_text(form, "project", 20).strip()[:20],
            audience=_text(form, "audience", 20).strip()[:20],
            results_public=_flag(form, "results_public"),
            min_responses=_text(form, "min_responses", 20).strip()[:20],
        )

    @classmethod
    def from_survey(cls, survey: Survey) -> SettingsInput:
        return cls(
            slug=survey.slug,
            texts={f"{n}_{loc}": getattr(survey, f"{n}_{COLUMN[loc]}") for n in cls.NAMES for loc in LOCALES},
            opens_at=local_time(survey.opens_at),
            closes_at=local_time(survey.closes_at),
            project=str(survey.project_id or ""),
            audience=survey.audience,
            results_public=survey.results_public,
            min_responses=str(survey.min_responses),
        )


@dataclass
class _CleanSettings:
    slug: str
    texts: dict[str, str]
    opens_at: datetime | None
    closes_at: datetime | None
    project_id: int | None
    audience: str
    results_public: bool
    min_responses: int


def _has_opened(survey: Survey, now: datetime) -> bool:
    return survey.opens_at is not None and survey.opens_at <= now


def _check_settings(
    session: Session, survey: Survey | None, raw: SettingsInput, problems_: Problems, now: datetime
) -> _CleanSettings:
    slug = raw.slug.strip()
    if not slug:
        problems_.add(
            "slug", N_("Enter the survey's short name for its address, such as shili-changdi-2026.")
        )
    elif len(slug) > SLUG_MAX or not SLUG_RE.fullmatch(slug):
        problems_.add(
            "slug",
            N_(
                "The short name has lowercase letters a–z, digits and single hyphens (not at either end), at most 60."
            ),
        )
    else:
        taken = session.exec(select(Survey).where(Survey.slug == slug)).first()
        if taken is not None and (survey is None or taken.id != survey.id):
            problems_.add(
                "slug",
                N_(
                    "The address /surveys/%(slug)s is already used by another survey: choose another short name."
                ),
                slug=slug,
            )
        elif survey is not None and slug != survey.slug and _has_opened(survey, now):
            problems_.add(
                "slug",
                N_("A survey that has been opened keeps its address, so that links to it keep working."),
            )

    limits = {"title": TITLE_MAX, "intro": INTRO_MAX, "thanks": THANKS_MAX}
    texts: dict[str, str] = {}
    for name in SettingsInput.NAMES:
        for loc in LOCALES:
            key = f"{name}_{loc}"
            texts[key] = raw.text(key)
            if len(texts[key]) > limits[name]:
                problems_.add(key, TOO_LONG, max=limits[name])
    if not texts["title_zh_Hans"]:
        problems_.add("title_zh_Hans", N_("Enter the title in Simplified Chinese: every survey has one."))
    if not texts["intro_zh_Hans"]:
        problems_.add(
            "intro_zh_Hans", N_("Enter the introduction in Simplified Chinese: say what the survey is for.")
        )
    if not texts["thanks_zh_Hans"]:
        problems_.add("thanks_zh_Hans", N_("Enter the thank-you text in Simplified Chinese."))

    opens = parse_local_time(raw.opens_at) if raw.opens_at else None
    closes = parse_local_time(raw.closes_at) if raw.closes_at else None
    if raw.opens_at and opens is None:
        problems_.add("opens_at", N_("Enter the date and time like 2026-12-01 09:30, or leave it empty."))
    if raw.closes_at and closes is None:
        problems_.add("closes_at", N_("Enter the date and time like 2026-12-31 18:00, or leave it empty."))
    if opens is not None and closes is not None and closes <= opens:
        problems_.add("closes_at", N_("The survey must close after it opens."))
    if closes is not None and opens is None and raw.closes_at and not raw.opens_at:
        problems_.add("opens_at", N_("Give the opening date too, or leave both empty."))
    if survey is not None and _has_opened(survey, now) and not raw.opens_at:
        problems_.add("opens_at", N_("A survey that has opened keeps its opening date: close it instead."))
    if opens is not None and "opens_at" not in problems_.messages:
        definition = service.definition_of(session, survey) if survey is not None else Definition()
        if problems(definition):
            problems_.add("opens_at", NOT_READY)

    project_id: int | None = None
    if raw.project:
        project_id = whole_number(raw.project, 1)
        if project_id is None or session.get(Project, project_id) is None:
            problems_.add("project", N_("Choose a project from the list, or none."))
    if raw.audience not in {a.value for a in Audience}:
        problems_.add("audience", N_("Choose who may answer."))
    elif survey is not None and raw.audience != survey.audience and not service.can_delete(session, survey):
        problems_.add(
            "audience",
            N_(
                "Who may answer cannot change once the survey has responses: each was counted once under the old rule."
            ),
        )
    least = whole_number(raw.min_responses, 1, MIN_RESPONSES_MOST)
    if least is None:
        problems_.add(
            "min_responses", N_("Enter a whole number from 1 to %(most)s."), most=MIN_RESPONSES_MOST
        )
    return _CleanSettings(
        slug=slug, texts=texts, opens_at=opens, closes_at=closes, project_id=project_id,
        audience=raw.audience, results_public=raw.results_public, min_responses=least or MIN_RESPONSES_DEFAULT,
    )  # fmt: skip


def save_settings(
    session: Session,
    user: StaffUser,
    survey: Survey | None,
    raw: SettingsInput,
    *,
    address: str,
    now: datetime | None = None,
) -> Survey:
    """Create (``survey`` None, with an empty first version) or change a survey's settings. Raises
    EditRefused, having written nothing."""
    now = now or utcnow()
    found = Problems()
    clean = _check_settings(session, survey, raw, found, now)
    if found:
        raise EditRefused(found)
    created = survey is None
    if survey is None:
        survey = Survey(
            slug=clean.slug, owner_id=user.id or 0, title_zh_hans=clean.texts["title_zh_Hans"], salt=""
        )
    survey.slug = clean.slug
    for key, value in clean.texts.items():
        name, loc = key.split("_", 1)
        setattr(survey, f"{name}_{COLUMN[loc]}", value)
    survey.opens_at = clean.opens_at
    survey.closes_at = clean.closes_at
    survey.project_id = clean.project_id
    survey.audience = clean.audience
    survey.results_public = clean.results_public
    survey.min_responses = clean.min_responses
    survey.updated_at = now
    if created:
        service.create_survey(session, survey)
    else:
        session.add(survey)
        session.flush()
    audit(session, user, "survey-created" if created else "survey-saved", address=address, detail=survey.slug)
    return survey


# --- opening, closing, hiding ----------------------------------------------------------------------

LIFE_ACTIONS = ("open", "close", "reopen", "hide", "unhide")


def change_life(
    session: Session,
    user: StaffUser,
    survey: Survey,
    action: str,
    *,
    address: str,
    now: datetime | None = None,
) -> None:
    """Open now, close now, reopen, hide (closed and hidden), unhide. Raises EditRefused."""
    now = now or utcnow()
    state = service.state_of(survey, now)
    allowed = {
        "open": state in {SurveyState.DRAFT, SurveyState.SCHEDULED},
        "reopen": state == SurveyState.CLOSED,
        "close": state in {SurveyState.OPEN, SurveyState.SCHEDULED},
        "hide": not survey.hidden,
        "unhide": survey.hidden,
    }
    found = Problems()
    if not allowed.get(action, False):
        found.add("life", FORGED)
    elif action in {"open", "reopen"} and survey.hidden:
        found.add("life", N_("Show the survey again before opening it."))
    elif action in {"open", "reopen"} and problems(service.definition_of(session, survey)):
        found.add("life", NOT_READY)
    if found:
        raise EditRefused(found)
    if action == "open":
        survey.opens_at = now
        if survey.closes_at is not None and survey.closes_at <= now:
            survey.closes_at = None
    elif action == "reopen":
        survey.opens_at = min(survey.opens_at or now, now)
        survey.closes_at = None
    elif action == "close":
        survey.closes_at = now
        if survey.opens_at is not None and survey.opens_at > now:
            survey.opens_at = now
    elif action == "hide":
        survey.hidden = True
        if state in {SurveyState.OPEN, SurveyState.SCHEDULED}:
            survey.closes_at = now
            if survey.opens_at is not None and survey.opens_at > now:
                survey.opens_at = now
    elif action == "unhide":
        survey.hidden = False
    survey.updated_at = now
    session.add(survey)
    session.flush()
    audit(session, user, f"survey-{action}", address=address, detail=survey.slug)


def delete(session: Session, user: StaffUser, survey: Survey, *, address: str) -> None:
    if not service.can_delete(session, survey):
        found = Problems()
        found.add(
            "life", N_("This survey has responses, so it cannot be deleted: close it and hide it instead.")
        )
        raise EditRefused(found)
    slug = survey.slug
    service.delete_survey(session, survey)
    audit(session, user, "survey-deleted", address=address, detail=slug)


# --- editing the questions -------------------------------------------------------------------------


def _refuse(field_id: str, message: str, **values: Any) -> EditRefused:
    found = Problems()
    found.add(field_id, message, **values)
    return EditRefused(found)


def _texts(
    form: Mapping[str, Any], prefix: str, most: int, found: Problems, multiline: bool = False
) -> dict[str, str]:
    texts: dict[str, str] = {}
    for loc in LOCALES:
        value = clean_text(_text(form, f"{prefix}{loc}", most), multiline=multiline)
        if len(value) > most:
            found.add(f"{prefix}{loc}", TOO_LONG, max=most)
        elif value:
            texts[loc] = value
    return texts


def section_label(definition: Definition, key: str) -> str:
    """How staff name a section or question in messages: its number and its words."""
    for n, section in enumerate(definition.sections, start=1):
        if section.key == key:
            return f"{n}. {section.title.get('zh_Hans', '')}".strip()
    for n, question in enumerate(definition.questions(), start=1):
        if question.key == key:
            return f"Q{n}. {question.text.get('zh_Hans', '')}".strip()
    return key


def earlier_for_section(definition: Definition, key: str) -> list[Question]:
    found: list[Question] = []
    for section in definition.sections:
        if section.key == key:
            return found
        found.extend(section.questions)
    return found


def _conditions(definition: Definition) -> list[tuple[str, Condition]]:
    """(where, condition) for every section and question that has one."""
    found: list[tuple[str, Condition]] = []
    for section in definition.sections:
        if section.condition is not None:
            found.append((section.key, section.condition))
        found.extend((q.key, q.condition) for q in section.questions if q.condition is not None)
    return found


def _in_order(definition: Definition) -> bool:
    """Whether every condition still looks at an earlier question."""
    seen: set[str] = set()
    for section in definition.sections:
        if section.condition is not None and section.condition.question not in seen:
            return False
        for question in section.questions:
            if question.condition is not None and question.condition.question not in seen:
                return False
            seen.add(question.key)
    return True


def _needed(
    definition: Definition, question_keys: set[str], option: str = "", field_id: str = "form"
) -> None:
    """Refuse when a condition outside ``question_keys`` looks at one of them (or at ``option``)."""
    for where, condition in _conditions(definition):
        if where in question_keys:
            continue
        if condition.question in question_keys and (not option or condition.option == option):
            raise _refuse(field_id, NEEDED_BY, where=section_label(definition, where))


@dataclass
class ConditionInput:
    question: str = ""
    op: str = ""
    option: str = ""  # "q1:o2": the question and its option
    low: str = ""
    high: str = ""

    @classmethod
    def from_form(cls, form: Mapping[str, Any]) -> ConditionInput:
        return cls(
            *(_text(form, f"cond_{n}", 60).strip()[:60] for n in ("question", "op", "option", "low", "high"))
        )

    @classmethod
    def from_condition(cls, condition: Condition | None) -> ConditionInput:
        if condition is None:
            return cls()

        return cls(
            question=condition.question,
            op=str(condition.op),
            option=f"{condition.question}:{condition.option}" if condition.option else "",
            low=plain_number(condition.low),
            high=plain_number(condition.high),
        )


def check_condition(raw: ConditionInput, earlier: list[Question], found: Problems) -> Condition | None:
    """A display condition as chosen, on one of the ``earlier`` questions; None for "always shown"."""
    if not raw.question:
        return None
    source = next((q for q in earlier if q.key == raw.question), None)
    if source is None or source.kind not in OPS_FOR:
        found.add(
            "cond_question", N_("A condition can only look at an earlier choice, rating or number question.")
        )
        return None
    if raw.op not in {str(op) for op in OPS_FOR[source.kind]}:
        found.add(
            "cond_op", N_("Choose how the answer is compared: this comparison does not fit that question.")
        )
        return None
    op = Op(raw.op)
    if op == Op.BETWEEN:
        low = decimal_number(raw.low, -NUMBER_LIMIT, NUMBER_LIMIT) if raw.low else None
        high = decimal_number(raw.high, -NUMBER_LIMIT, NUMBER_LIMIT) if raw.high else None
        if raw.low and low is None:
            found.add("cond_low", N_("Enter a number, such as 3 or 2.5."))
        elif raw.high and high is None:
            found.add("cond_high", N_("Enter a number, such as 3 or 2.5."))
        elif low is None and high is None:
            found.add("cond_low", N_("Give the lowest number, the highest, or both."))
        elif low is not None and high is not None and low > high:
            found.add("cond_high", N_("The highest number must not be below the lowest."))
        else:
            return Condition(question=source.key, op=op, low=low, high=high)
        return None
    question, _, option = raw.option.partition(":")
    if question != source.key or source.option(option) is None:
        found.add("cond_option", N_("Choose one of the options of the question the condition looks at."))
        return None
    return Condition(question=source.key, op=op, option=option)


# Sections.


@dataclass
class SectionInput:
    title: dict[str, str] = field(default_factory=dict)
    condition: ConditionInput = field(default_factory=ConditionInput)
    raw_title: dict[str, str] = field(default_factory=dict)  # as typed, for showing again


def add_section(definition: Definition, title: str = "") -> Section:
    if len(definition.sections) >= MAX_SECTIONS:
        raise _refuse("new_section", N_("A survey has at most %(most)s sections."), most=MAX_SECTIONS)
    title = clean_text(title)
    if len(title) > TITLE_MAX:
        raise _refuse("new_section", TOO_LONG, max=TITLE_MAX)
    section = Section(key=definition.new_key("s"), title={"zh_Hans": title} if title else {})
    definition.sections.append(section)
    return section


def change_section(definition: Definition, key: str, form: Mapping[str, Any]) -> Section:
    """The section's titles in three languages and its display condition, from its form."""
    section = definition.section(key)
    if section is None:
        raise _refuse("form", FORGED)
    found = Problems()
    title = _texts(form, "title_", TITLE_MAX, found)
    condition = check_condition(ConditionInput.from_form(form), earlier_for_section(definition, key), found)
    if found:
        raise EditRefused(found)
    section.title = title
    section.condition = condition
    return section


def _move(items: list[Any], index: int, step: int) -> bool:
    target = index + step
    if not 0 <= target < len(items):
        return False
    items[index], items[target] = items[target], items[index]
    return True


def move_section(definition: Definition, key: str, step: int) -> None:
    index = next((i for i, s in enumerate(definition.sections) if s.key == key), None)
    if index is None or not _move(definition.sections, index, step):
        raise _refuse("form", FORGED)
    if not _in_order(definition):
        _move(definition.sections, index + step, -step)
        raise _refuse("form", ORDER)


def delete_section(definition: Definition, key: str) -> None:
    section = definition.section(key)
    if section is None:
        raise _refuse("form", FORGED)
    if section.questions:
        raise _refuse("form", N_("Move or delete the section's questions first."))
    definition.sections.remove(section)


# Questions.


def add_question(definition: Definition, section_key: str, kind: str, text: str = "") -> Question:
    section = definition.section(section_key)
    if section is None:
        raise _refuse("form", FORGED)
    if kind not in {k.value for k in Kind}:
        raise _refuse(f"kind-{section_key}", N_("Choose the kind of question."))
    if sum(1 for _ in definition.questions()) >= MAX_QUESTIONS:
        raise _refuse(
            f"kind-{section_key}", N_("A survey has at most %(most)s questions."), most=MAX_QUESTIONS
        )
    text = clean_text(text)
    if len(text) > QUESTION_MAX:
        raise _refuse(f"text-{section_key}", TOO_LONG, max=QUESTION_MAX)
    question = Question(key=definition.new_key("q"), kind=Kind(kind), text={"zh_Hans": text} if text else {})
    section.questions.append(question)
    return question


def move_question(definition: Definition, key: str, step: int) -> None:
    """One place up or down within its section (to the end of the previous section, or the start of the
    next, from its first or last place)."""
    section = definition.section_of(key)
    if section is None:
        raise _refuse("form", FORGED)
    questions = section.questions
    index = next(i for i, q in enumerate(questions) if q.key == key)
    before = definition.to_json()
    if not _move(questions, index, step):
        position = definition.sections.index(section) + step
        if not 0 <= position < len(definition.sections):
            raise _refuse("form", FORGED)
        question = questions.pop(index)
        neighbour = definition.sections[position].questions
        neighbour.insert(len(neighbour) if step < 0 else 0, question)
    _restore_unless_in_order(definition, before)


def move_question_to(definition: Definition, key: str, section_key: str) -> None:
    """To the end of another section."""
    section, target = definition.section_of(key), definition.section(section_key)
    if section is None or target is None:
        raise _refuse("move_to", FORGED)
    if target is section:
        return
    before = definition.to_json()
    question = next(q for q in section.questions if q.key == key)
    section.questions.remove(question)
    target.questions.append(question)
    _restore_unless_in_order(definition, before, "move_to")


def _restore_unless_in_order(definition: Definition, before: str, field_id: str = "form") -> None:
    if not _in_order(definition):
        definition.sections = Definition.from_json(before).sections
        raise _refuse(field_id, ORDER)


def delete_question(definition: Definition, key: str) -> None:
    section = definition.section_of(key)
    if section is None:
        raise _refuse("form", FORGED)
    _needed(definition, {key})
    section.questions = [q for q in section.questions if q.key != key]


@dataclass
class QuestionEdit:
    """What the question form asks: save, or save and then add, move or remove an option or row."""

    action: str = "save"  # save | add-option | add-row | option-up | option-down | option-remove | row-...
    item: str = ""  # the option or row the action is about

    @classmethod
    def from_form(cls, form: Mapping[str, Any]) -> QuestionEdit:
        action, _, item = _text(form, "action", 60).strip()[:60].partition(":")
        return cls(action or "save", item)


def _items(
    form: Any, question: Question, kind: str, found: Problems, definition: Definition, most: int = OPTION_MAX
) -> list[Option]:
    """The options ("o") or rows ("r") posted, in the order posted, with their words; the keys posted
    must be exactly the question's own (anything else is a forged or stale form)."""
    have = question.options if kind == "opt" else question.rows
    keys = _list(form, f"{kind}-keys")
    if sorted(keys) != sorted(o.key for o in have) or len(set(keys)) != len(keys):
        found.add("form", FORGED)
        return have
    items: list[Option] = []
    for key in keys:
        prefix = f"{kind}-{key}-"
        text = _texts(form, prefix, most, found)
        if not text.get("zh_Hans") and f"{prefix}zh_Hans" not in found.messages:
            found.add(f"{prefix}zh_Hans", N_("Write the words in Simplified Chinese, or remove it."))
        items.append(Option(key=key, text=text, other=kind == "opt" and _flag(form, f"{prefix}other")))
    return items


def change_question(definition: Definition, key: str, form: Any) -> Question:
    """Save the question's form (words in three languages, required, personal, options, rows, range,
    condition), then do what the button pressed asks. Refused as a whole, nothing changed."""
    question = definition.question(key)
    if question is None:
        raise _refuse("form", FORGED)
    edit = QuestionEdit.from_form(form)
    found = Problems()
    text = _texts(form, "text_", QUESTION_MAX, found)
    if not text.get("zh_Hans") and "text_zh_Hans" not in found.messages:
        found.add("text_zh_Hans", N_("Write the question in Simplified Chinese."))
    help_ = _texts(form, "help_", HELP_MAX, found, multiline=True)
    has_options = question.kind in CHOICE_KINDS or question.kind == Kind.MATRIX
    options = _items(form, question, "opt", found, definition) if has_options else []
    rows = _items(form, question, "row", found, definition) if question.kind == Kind.MATRIX else []
    if sum(1 for o in options if o.other) > 1:
        found.add("options", N_("Only one option can be “other, please say”."))
    if question.kind == Kind.MATRIX and any(o.other for o in options):
        found.add("options", N_("A matrix's scale has no “other, please say”."))

    most: int | None = None
    if question.kind == Kind.MULTIPLE and _text(form, "max_choices").strip():
        most = whole_number(_text(form, "max_choices", 10), 1, max(len(options), 1))
        if most is None:
            found.add(
                "max_choices",
                N_("Enter a whole number from 1 to %(most)s (the number of options), or leave it empty."),
                most=max(len(options), 1),
            )
    low = high = None
    unit: dict[str, str] = {}
    if question.kind == Kind.NUMBER:
        for name in ("low", "high"):
            typed = _text(form, name, 30).strip()
            value = decimal_number(typed, -NUMBER_LIMIT, NUMBER_LIMIT) if typed else None
            if typed and value is None:
                found.add(name, N_("Enter a number, such as 3 or 2.5."))
            if name == "low":
                low = value
            else:
                high = value
        if low is not None and high is not None and low > high:
            found.add("high", N_("The highest number must not be below the lowest."))
        unit = _texts(form, "unit_", UNIT_MAX, found)
    condition = check_condition(ConditionInput.from_form(form), definition.earlier(key), found)

    new: dict[str, dict[str, str]] = {}
    for kind, wanted, offered in (
        ("opt", "add-option", has_options),
        ("row", "add-row", question.kind == Kind.MATRIX),
    ):
        words = _texts(form, f"{kind}-new-", OPTION_MAX, found) if offered else {}
        if words and not words.get("zh_Hans"):
            found.add(f"{kind}-new-zh_Hans", N_("Write the words in Simplified Chinese."))
        elif edit.action == wanted and not words:
            found.add(f"{kind}-new-zh_Hans", N_("Write the new words in Simplified Chinese, then add them."))
        if words:
            new[kind] = words
    if (len(options) + ("opt" in new) > MAX_OPTIONS) or (len(rows) + ("row" in new) > MAX_OPTIONS):
        found.add("options", N_("A question has at most %(most)s options or rows."), most=MAX_OPTIONS)

    kind_of_item, _, verb = edit.action.partition("-")
    if kind_of_item in {"option", "row"} and verb in {"up", "down", "remove"}:
        items = options if kind_of_item == "option" else rows
        index = next((i for i, o in enumerate(items) if o.key == edit.item), None)
        if index is None:
            found.add("form", FORGED)
        elif verb == "remove":
            if kind_of_item == "option":
                _needed_option(definition, key, edit.item, found)
            items.pop(index)
        else:
            _move(items, index, -1 if verb == "up" else 1)
    elif edit.action not in {"save", "add-option", "add-row"}:
        found.add("form", FORGED)
    if found:
        raise EditRefused(found)

    # Options removed from a question that other conditions use are caught above; the words,
    # flags and order are now the form's.
    if "opt" in new:
        options.append(
            Option(key=definition.new_key("o"), text=new["opt"], other=_flag(form, "opt-new-other"))
        )
        if question.kind == Kind.MATRIX:
            options[-1].other = False
        if sum(1 for o in options if o.other) > 1:
            raise _refuse("opt-new-other", N_("Only one option can be “other, please say”."))
    if "row" in new:
        rows.append(Option(key=definition.new_key("r"), text=new["row"]))
    question.text, question.help = text, help_
    question.required = _flag(form, "required")
    question.personal = _flag(form, "personal")
    question.options, question.rows = options, rows
    question.max_choices = most
    question.low, question.high, question.unit = low, high, unit
    question.condition = condition
    return question


def _needed_option(definition: Definition, question: str, option: str, found: Problems) -> None:
    for where, condition in _conditions(definition):
        if condition.question == question and condition.option == option:
            found.add("form", NEEDED_BY, where=section_label(definition, where))


# --- storing a change --------------------------------------------------------------------------


@dataclass(frozen=True)
class Changed:
    new_version: bool
    version: int


def change_definition(
    session: Session,
    user: StaffUser,
    survey: Survey,
    edit: Callable[[Definition], Any],
    *,
    address: str,
    now: datetime | None = None,
) -> Changed:
    """Apply ``edit`` to the survey's current questions and keep them (a new version when the
    answered version's structure changed). An open survey takes no change that leaves it with a
    problem. Raises EditRefused, having written nothing."""
    definition = service.definition_of(session, survey)
    edit(definition)
    if service.state_of(survey, now) in {SurveyState.OPEN, SurveyState.SCHEDULED} and not survey.hidden:
        left = problems(definition)
        if left:
            _where, message, values = left[0]
            found = Problems()
            found.add("open", OPEN_PROBLEM)
            found.add("problem", message, **values)
            raise EditRefused(found)
    saved = service.save_definition(session, survey, definition)
    action = "survey-version" if saved.new_version else "survey-questions"
    audit(session, user, action, address=address, detail=f"{survey.slug} v{survey.version}")
    return Changed(saved.new_version, survey.version)
