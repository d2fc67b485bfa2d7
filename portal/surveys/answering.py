"""Answering a survey, section by section: the browser's survey cookie, the half-answered draft it
keys, which section comes next, and the values a section's form shows again.

A browser is known by a long-lived random cookie; the database only ever holds keyed hashes of it
(the draft's ``browser``, and for a survey anyone may answer, the response's ``respondent``). A
draft is written at every section sent, even one with mistakes (what was typed is kept as typed),
so that a resident who closes the page finds it again where it was; it is deleted when the
response is stored, or after a month.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from litestar import Request
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from portal.db import utcnow
from portal.progress.texts import Shown, pick
from portal.surveys.definition import (
    CHOICE_KINDS,
    Answers,
    Definition,
    Kind,
    Question,
    Section,
    answers_from_json,
    answers_to_json,
    plain_number,
    shown,
)
from portal.surveys.forms import field_id, read_question
from portal.surveys.models import Survey, SurveyDraft, SurveyState
from portal.surveys.service import state_of
from portal.tickets.forms import FormErrors
from portal.web import page_of

BROWSER_COOKIE = "survey_browser"
BROWSER_COOKIE_SECONDS = 2 * 365 * 24 * 3600
DRAFT_DAYS = 30
# Inside a draft's JSON, beside the question keys (``q1``…): the current section's values as typed.
TYPED = "_typed"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
_GIVEN = "survey_browser_given"  # the request's state: a token given with this response


# --- the browser -----------------------------------------------------------------------------------


def browser_token(request: Request[Any, Any, Any]) -> str | None:
    """This browser's survey cookie, when it has a well-formed one (or the one given to it earlier
    in this request)."""
    given = request.scope.get("state", {}).get(_GIVEN)
    if isinstance(given, str):
        return given
    token = request.cookies.get(BROWSER_COOKIE, "")
    return token if _TOKEN.match(token) else None


def ensure_browser_token(request: Request[Any, Any, Any], *, secure: bool) -> str:
    """The browser's survey cookie, given now when it has none (sent with this response)."""
    token = browser_token(request)
    if token is None:
        token = secrets.token_urlsafe(24)
        flags = "; Secure" if secure else ""
        page_of(request).set_cookies.append(
            f"{BROWSER_COOKIE}={token}; Path=/surveys; Max-Age={BROWSER_COOKIE_SECONDS}; HttpOnly; "
            f"SameSite=Lax{flags}"
        )
        # Later reads in this request see it through the request's own state. Never through
        # request.cookies: Litestar caches the parsed Cookie header, so that dict is shared by every
        # later request sending the same header (other residents would get this token).
        request.scope.setdefault("state", {})[_GIVEN] = token
    return token


def draft_key(secret: str, token: str) -> str:
    """The keyed hash a draft is found by (the cookie itself is never stored)."""
    return hmac.new(secret.encode(), f"survey-draft:{token}".encode(), hashlib.sha256).hexdigest()


# --- which survey ------------------------------------------------------------------------------------


def public_survey(session: Session, slug: str) -> Survey | None:
    """A survey residents may see (open, scheduled or closed); None for an unknown, hidden or never
    opened one (those answer 404)."""
    if not slug or len(slug) > 60:
        return None
    survey = session.exec(select(Survey).where(Survey.slug == slug)).first()
    if survey is None or survey.hidden or state_of(survey) == SurveyState.DRAFT:
        return None
    return survey


def listed_surveys(session: Session, now: datetime | None = None) -> tuple[list[Survey], list[Survey]]:
    """The open surveys (closing soonest first), and the closed ones whose results are public
    (latest closed first)."""
    now = now or utcnow()
    rows = session.exec(
        select(Survey).where(col(Survey.hidden).is_(False), col(Survey.opens_at).is_not(None))
    ).all()
    open_ = [s for s in rows if state_of(s, now) == SurveyState.OPEN]
    closed = [s for s in rows if state_of(s, now) == SurveyState.CLOSED and s.results_public]
    far = datetime.max.replace(tzinfo=now.tzinfo)
    open_.sort(key=lambda s: (s.closes_at or far, s.slug))
    closed.sort(key=lambda s: s.closes_at or now, reverse=True)
    return open_, closed


# --- drafts ------------------------------------------------------------------------------------------


def this_browser(
    request: Request[Any, Any, Any], session: Session, survey: Survey, *, secret: str, secure: bool
) -> tuple[str, str, SurveyDraft | None]:
    """This browser's token (given one if new), its draft key, and its draft of the survey."""
    token = ensure_browser_token(request, secure=secure)
    browser = draft_key(secret, token)
    return token, browser, find_draft(session, survey, browser)


def find_draft(
    session: Session, survey: Survey, browser: str, now: datetime | None = None
) -> SurveyDraft | None:
    draft = session.exec(
        select(SurveyDraft).where(SurveyDraft.survey_id == survey.id, SurveyDraft.browser == browser)
    ).first()
    if draft is not None and draft.updated_at < (now or utcnow()) - timedelta(days=DRAFT_DAYS):
        return None
    return draft


def draft_contents(draft: SurveyDraft | None) -> tuple[Answers, dict[str, list[str]]]:
    """The answers kept in a draft, and the current section's values as typed (when they had
    mistakes)."""
    if draft is None:
        return {}, {}
    try:
        data = json.loads(draft.answers or "{}")
    except ValueError:
        data = {}
    typed_raw = data.pop(TYPED, {}) if isinstance(data, dict) else {}
    typed = (
        {str(k): [str(v) for v in vs] for k, vs in typed_raw.items() if isinstance(vs, list)}
        if isinstance(typed_raw, dict)
        else {}
    )
    return answers_from_json(json.dumps(data if isinstance(data, dict) else {})), typed


def save_draft(
    session: Session,
    survey: Survey,
    browser: str,
    answers: Answers,
    section: str,
    *,
    typed: Mapping[str, Sequence[str]] | None = None,
    respondent: str | None = None,
) -> SurveyDraft:
    """Keep what this browser has answered so far and where it is (committed). Two sends at once
    (a double tap on "Next") may both find no draft: the second then updates the first's."""
    try:
        return _save_draft(session, survey, browser, answers, section, typed, respondent)
    except IntegrityError:
        session.rollback()
        return _save_draft(session, survey, browser, answers, section, typed, respondent)


def _save_draft(
    session: Session,
    survey: Survey,
    browser: str,
    answers: Answers,
    section: str,
    typed: Mapping[str, Sequence[str]] | None,
    respondent: str | None,
) -> SurveyDraft:
    draft = session.exec(
        select(SurveyDraft).where(SurveyDraft.survey_id == survey.id, SurveyDraft.browser == browser)
    ).first()
    if draft is None:
        draft = SurveyDraft(survey_id=survey.id or 0, browser=browser)
    elif find_draft(session, survey, browser) is None:  # a month old: start afresh
        draft.respondent = ""
    data = json.loads(answers_to_json(answers))
    if typed:
        data[TYPED] = {k: list(v) for k, v in typed.items()}
    draft.answers = json.dumps(data, ensure_ascii=False)
    draft.section = section
    draft.version = survey.version
    if respondent is not None:
        draft.respondent = respondent
    draft.updated_at = utcnow()
    session.add(draft)
    session.commit()
    return draft


def delete_draft(session: Session, survey: Survey, browser: str) -> None:
    session.exec(
        delete(SurveyDraft).where(
            col(SurveyDraft.survey_id) == survey.id, col(SurveyDraft.browser) == browser
        )
    )
    session.commit()


def delete_old_drafts(session: Session, now: datetime | None = None) -> int:
    """Drafts untouched for a month are forgotten (the background jobs)."""
    cutoff = (now or utcnow()) - timedelta(days=DRAFT_DAYS)
    old = list(session.exec(select(SurveyDraft.id).where(col(SurveyDraft.updated_at) < cutoff)))
    if old:
        session.exec(delete(SurveyDraft).where(col(SurveyDraft.id).in_(old)))
        session.flush()
    return len(old)


# --- the way through the sections -------------------------------------------------------------------


def shown_sections(definition: Definition, answers: Answers) -> list[Section]:
    keys = shown(definition, answers).sections
    return [s for s in definition.sections if s.key in keys and s.questions]


def current_section(definition: Definition, answers: Answers, key: str) -> Section | None:
    """The section ``key`` when the answers still show it, else the first shown one."""
    sections = shown_sections(definition, answers)
    return next((s for s in sections if s.key == key), sections[0] if sections else None)


def section_after(definition: Definition, answers: Answers, section: Section) -> Section | None:
    """The next shown section after this one (None: this was the last)."""
    order = [s.key for s in definition.sections]
    here = order.index(section.key)
    return next((s for s in shown_sections(definition, answers) if order.index(s.key) > here), None)


def section_before(definition: Definition, answers: Answers, section: Section) -> Section | None:
    order = [s.key for s in definition.sections]
    here = order.index(section.key)
    earlier = [s for s in shown_sections(definition, answers) if order.index(s.key) < here]
    return earlier[-1] if earlier else None


def position(definition: Definition, answers: Answers, section: Section) -> tuple[int, int]:
    """(this section's number, how many sections are shown), counting shown sections only."""
    sections = shown_sections(definition, answers)
    keys = [s.key for s in sections]
    number = keys.index(section.key) + 1 if section.key in keys else 1
    return number, max(len(sections), number)


def others(definition: Definition, answers: Answers, section: Section) -> Answers:
    """The answers to questions outside this section."""
    return {k: a for k, a in answers.items() if definition.section_of(k) is not section}


def lenient_answers(
    definition: Definition, section: Section, values: Mapping[str, Sequence[str]], earlier: Answers
) -> Answers:
    """Every answer as typed so far, mistakes left out (to show or hide questions while typing)."""
    combined = others(definition, earlier, section)
    for question in section.questions:
        answer = read_question(question, values, FormErrors())
        if not answer.empty:
            combined[question.key] = answer
    return combined


def form_values(section: Section, answers: Answers) -> dict[str, list[str]]:
    """A section's form filled from stored answers (the field names of ``portal.surveys.forms``)."""
    values: dict[str, list[str]] = {}
    for question in section.questions:
        answer = answers.get(question.key)
        if answer is None or answer.empty:
            continue
        fid = field_id(question)
        if question.kind in CHOICE_KINDS:
            values[fid] = list(answer.options)
            if answer.other:
                values[f"{fid}-other"] = [answer.other]
        elif question.kind == Kind.MATRIX:
            for row, option in answer.rows.items():
                values[f"{fid}-{row}"] = [option]
        elif answer.number is not None:
            values[fid] = [plain_number(answer.number)]
        elif answer.text:
            values[fid] = [answer.text]
    return values


def section_values(
    section: Section, answers: Answers, typed: Mapping[str, Sequence[str]]
) -> dict[str, list[str]]:
    """The section's form: its stored answers, with what was typed in it (mistakes too) on top."""
    values = form_values(section, answers)
    if typed:
        names = {field_id(q) for q in section.questions}
        mine = {k: list(v) for k, v in typed.items() if k.rsplit("-", 1)[0] in names or k in names}
        if mine:
            # What was typed replaces the stored answers of the section whole (an unticked box
            # sends nothing, so merging would bring back what the resident took away).
            return mine
    return values


def condition_sources(definition: Definition) -> set[str]:
    """The questions some condition looks at: changing their answer may show or hide others."""
    found = {s.condition.question for s in definition.sections if s.condition}
    found |= {q.condition.question for q in definition.questions() if q.condition}
    return found


# --- words ---------------------------------------------------------------------------------------------


def words(texts: Mapping[str, str], locale: str, config: str) -> Shown:
    """A question's, option's or section's words for this reader (converted or marked as in pick)."""
    return pick(texts.get("zh_Hans", ""), texts.get("zh_Hant", ""), texts.get("en", ""), locale, config)


def paragraphs(text: str) -> list[str]:
    """Plain text as paragraphs (blank lines between them); never HTML."""
    return [p.strip() for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if p.strip()]


def question_shown(question: Question, visible: set[str]) -> bool:
    return question.key in visible


# --- a draft against the current version ----------------------------------------------------------


def recheck(definition: Definition, answers: Answers) -> tuple[Answers, dict[str, FormErrors]]:
    """A draft's answers checked again against the survey's current version (staff may have made a
    new one while the resident was answering): the answers that still fit, each read again as if its
    section were sent now (answers to questions, options or rows the version no longer has are left
    out), and per section whose answers had to change, the errors to show there (possibly none, for
    a row that was removed)."""
    fitting: Answers = {}
    problems: dict[str, FormErrors] = {}
    for section in definition.sections:
        values = form_values(section, answers)
        for question in section.questions:
            answer = answers.get(question.key)
            if answer is None or answer.empty:
                continue
            errors = FormErrors()
            again = read_question(question, values, errors)
            if errors or again != answer:
                found = problems.setdefault(section.key, FormErrors())
                for name, message in errors.messages.items():
                    found.add(name, message, **errors.values.get(name, {}))
            if not again.empty:
                fitting[question.key] = again
    return fitting, problems


def first_troubled(
    definition: Definition, answers: Answers, problems: Mapping[str, FormErrors], but: Section | None = None
) -> Section | None:
    """The first shown section (other than ``but``) whose answers the current version changed."""
    return next((s for s in shown_sections(definition, answers) if s.key in problems and s is not but), None)
