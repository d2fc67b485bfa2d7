"""/staff/surveys: the press office and the command centre build surveys and run them (open, close,
hide, delete while unanswered). Plain forms that post and redirect; every change is audited."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy import func
from sqlmodel import Session, col, select

from portal.accounts.auth import StaffCookieMiddleware, current_staff, staff_guard
from portal.accounts.views import staff_context
from portal.i18n import N_
from portal.numbers import whole_number
from portal.progress.editing import EditRefused
from portal.progress.models import Project
from portal.progress.texts import field, pick
from portal.services import client_address, services_of
from portal.surveys import building, service
from portal.surveys.access import SURVEY_STAFF, may_approve_texts
from portal.surveys.building import ConditionInput, SettingsInput
from portal.surveys.definition import (
    KIND_LABELS,
    LOCALES,
    OP_LABELS,
    OPS_FOR,
    Definition,
    Kind,
    Question,
    plain_number,
    problems,
)
from portal.surveys.models import (
    AUDIENCE_LABELS,
    SURVEY_STATE_LABELS,
    Audience,
    Survey,
    SurveyResponse,
)
from portal.templating import render
from portal.web import MAX_BODY, in_thread, page_of

# Three languages of a survey's texts or of a question's forty options, about 9 bytes a character
# once URL-encoded: well above the default small-form limit. Even a pasted 100,000-character title
# gets its "too long" message beside the field rather than a bare refusal.
SURVEY_FORM = {**SURVEY_STAFF, MAX_BODY: 1024 * 1024}

SAVED = {
    "created": N_("The survey is made. Now add its questions."),
    "settings": N_("The survey's settings are saved."),
    "questions": N_("The questions are saved."),
    "open": N_("The survey is open."),
    "close": N_("The survey is closed."),
    "reopen": N_("The survey is open again."),
    "hide": N_("The survey is closed and hidden."),
    "unhide": N_("The survey is shown again (still closed)."),
    "deleted": N_("The survey is deleted."),
}
NEW_VERSION = N_(
    "Saved as version %(version)s: the responses so far stay with the version they answered, and new ones answer version %(version)s."
)
LOCALE_NAMES = {
    "zh_Hans": N_("Simplified Chinese"),
    "zh_Hant": N_("Traditional Chinese"),
    "en": N_("English"),
}
LOCALE_TAGS = {"zh_Hans": "zh-Hans", "zh_Hant": "zh-Hant", "en": "en"}


def _survey_or_404(session: Session, survey_id: str) -> Survey:
    number = whole_number(survey_id)
    survey = session.get(Survey, number) if number is not None else None
    if survey is None:
        raise NotFoundException()
    return survey


def _words(request: Request[Any, Any, Any]) -> Callable[[dict[str, str]], str]:
    """A question's, option's or section's words for this reader (converted from Simplified Chinese
    for 繁體 readers when not written)."""
    locale = page_of(request).locale
    config = services_of(request).settings.hant_conversion

    def words(texts: dict[str, str]) -> str:
        return pick(
            texts.get("zh_Hans", ""), texts.get("zh_Hant", ""), texts.get("en", ""), locale, config
        ).text

    return words


def _base(request: Request[Any, Any, Any], survey: Survey | None = None) -> dict[str, Any]:
    page = page_of(request)
    config = services_of(request).settings.hant_conversion
    t = page.t
    saved = request.query_params.get("saved", "")
    message = ""
    if saved == "version" and survey is not None:
        message = t.gettext(NEW_VERSION, version=survey.version)
    elif saved in SAVED:
        message = t.gettext(SAVED[saved])
    return {
        **staff_context(request),
        "survey": survey,
        "survey_title": (lambda s: field(s, "title", page.locale, config).text),
        # The text answers' page is for those who may approve them (the owner, press leads, admins).
        "may_approve": (lambda s: may_approve_texts(current_staff(request), s)),
        "words": _words(request),
        "saved": message,
        "STATE_LABELS": SURVEY_STATE_LABELS,
        "KIND_LABELS": KIND_LABELS,
        "OP_LABELS": OP_LABELS,
        "SURVEY_LOCALES": [(loc, t.gettext(LOCALE_NAMES[loc]), LOCALE_TAGS[loc]) for loc in LOCALES],
    }


def _refused(request: Request[Any, Any, Any], refused: EditRefused) -> dict[str, str]:
    return refused.problems.translated(page_of(request).t)


# --- the list ------------------------------------------------------------------------------------


@get("/", guards=[staff_guard], opt=SURVEY_STAFF, sync_to_thread=True)
def survey_list(request: Request[Any, Any, Any], db_session: NamedDependency[Session]) -> Response[str]:
    surveys = list(
        db_session.exec(select(Survey).order_by(col(Survey.created_at).desc(), col(Survey.id).desc()))
    )
    counts = dict(
        db_session.exec(
            select(SurveyResponse.survey_id, func.count()).group_by(col(SurveyResponse.survey_id))
        ).all()
    )
    ids = {s.project_id for s in surveys if s.project_id}
    projects = (
        {p.id: p for p in db_session.exec(select(Project).where(col(Project.id).in_(ids)))} if ids else {}
    )
    page = page_of(request)
    config = services_of(request).settings.hant_conversion
    rows = [
        {
            "survey": s,
            "state": service.state_of(s),
            "responses": counts.get(s.id or 0, 0),
            "project": field(projects[s.project_id], "title", page.locale, config).text
            if s.project_id in projects
            else "",
        }
        for s in surveys
    ]
    return render(request, "staff/surveys/list.html", {**_base(request), "rows": rows})


# --- settings ------------------------------------------------------------------------------------


def _settings_page(
    request: Request[Any, Any, Any],
    session: Session,
    survey: Survey | None,
    form: SettingsInput,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response[str]:
    page = page_of(request)
    t = page.t
    config = services_of(request).settings.hant_conversion
    projects = list(session.exec(select(Project).order_by(col(Project.slug))))
    context: dict[str, Any] = {
        **_base(request, survey),
        "form": form,
        "errors": errors or {},
        "project_options": [(p.id, field(p, "title", page.locale, config).text) for p in projects],
        "audiences": [(a.value, t.gettext(AUDIENCE_LABELS[a])) for a in Audience],
    }
    if survey is not None:
        context.update(_survey_facts(session, survey))
    return render(request, "staff/surveys/settings.html", context, status_code=status_code)


def _survey_facts(session: Session, survey: Survey) -> dict[str, Any]:
    definition = service.definition_of(session, survey)
    return {
        "state": service.state_of(survey),
        "responses": service.response_count(session, survey),
        "can_delete": service.can_delete(session, survey),
        "problem_count": len(problems(definition)),
    }


@get("/new", guards=[staff_guard], opt=SURVEY_STAFF, sync_to_thread=True)
def new_survey(request: Request[Any, Any, Any], db_session: NamedDependency[Session]) -> Response[str]:
    return _settings_page(request, db_session, None, SettingsInput())


@get("/{survey_id:str}", guards=[staff_guard], opt=SURVEY_STAFF, sync_to_thread=True)
def edit_survey(
    request: Request[Any, Any, Any], db_session: NamedDependency[Session], survey_id: FromPath[str]
) -> Response[str]:
    survey = _survey_or_404(db_session, survey_id)
    return _settings_page(request, db_session, survey, SettingsInput.from_survey(survey))


@post("/", guards=[staff_guard], opt=SURVEY_FORM)
async def create_survey(request: Request[Any, Any, Any]) -> Response[Any]:
    form = await request.form()
    return await in_thread(_save_settings, request, None, SettingsInput.from_form(form))


@post("/{survey_id:str}", guards=[staff_guard], opt=SURVEY_FORM)
async def change_survey(request: Request[Any, Any, Any], survey_id: FromPath[str]) -> Response[Any]:
    form = await request.form()
    return await in_thread(_save_settings, request, survey_id, SettingsInput.from_form(form))


def _save_settings(
    request: Request[Any, Any, Any], survey_id: str | None, raw: SettingsInput
) -> Response[Any]:
    services = services_of(request)
    with Session(services.engine, expire_on_commit=False) as session:
        survey = _survey_or_404(session, survey_id) if survey_id is not None else None
        try:
            saved = building.save_settings(
                session, current_staff(request), survey, raw, address=client_address(request)
            )
        except EditRefused as refused:
            session.rollback()
            survey = _survey_or_404(session, survey_id) if survey_id is not None else None
            return _settings_page(request, session, survey, raw, _refused(request, refused), status_code=422)
        session.commit()
    request.app.state.page_cache.forget_everywhere()
    if survey_id is None:
        return Redirect(f"/staff/surveys/{saved.id}/questions?saved=created", status_code=303)
    return Redirect(f"/staff/surveys/{saved.id}?saved=settings", status_code=303)


@post("/{survey_id:str}/life", guards=[staff_guard], opt=SURVEY_STAFF)
async def change_life(request: Request[Any, Any, Any], survey_id: FromPath[str]) -> Response[Any]:
    form = await request.form()
    action = str(form.get("action", ""))[:20]
    return await in_thread(_change_life, request, survey_id, action)


def _change_life(request: Request[Any, Any, Any], survey_id: str, action: str) -> Response[Any]:
    services = services_of(request)
    with Session(services.engine, expire_on_commit=False) as session:
        survey = _survey_or_404(session, survey_id)
        try:
            building.change_life(
                session, current_staff(request), survey, action, address=client_address(request)
            )
        except EditRefused as refused:
            session.rollback()
            survey = _survey_or_404(session, survey_id)
            errors = _refused(request, refused)
            return _settings_page(
                request, session, survey, SettingsInput.from_survey(survey), errors, status_code=422
            )
        session.commit()
    request.app.state.page_cache.forget_everywhere()
    return Redirect(f"/staff/surveys/{survey_id}?saved={action}", status_code=303)


@post("/{survey_id:str}/delete", guards=[staff_guard], opt=SURVEY_STAFF)
async def delete_survey(request: Request[Any, Any, Any], survey_id: FromPath[str]) -> Response[Any]:
    return await in_thread(_delete_survey, request, survey_id)


def _delete_survey(request: Request[Any, Any, Any], survey_id: str) -> Response[Any]:
    services = services_of(request)
    with Session(services.engine, expire_on_commit=False) as session:
        survey = _survey_or_404(session, survey_id)
        try:
            building.delete(session, current_staff(request), survey, address=client_address(request))
        except EditRefused as refused:
            session.rollback()
            survey = _survey_or_404(session, survey_id)
            errors = _refused(request, refused)
            return _settings_page(
                request, session, survey, SettingsInput.from_survey(survey), errors, status_code=422
            )
        session.commit()
    request.app.state.page_cache.forget_everywhere()
    return Redirect("/staff/surveys?saved=deleted", status_code=303)


# --- the questions -------------------------------------------------------------------------------


def _numbered(definition: Definition) -> dict[str, int]:
    return {q.key: n for n, q in enumerate(definition.questions(), start=1)}


def _editor_facts(request: Request[Any, Any, Any], session: Session, survey: Survey) -> dict[str, Any]:
    """What every page of the questions editor shows: the version, whether it is frozen, the problems."""
    t = page_of(request).t
    definition = service.definition_of(session, survey)
    answered = service.response_count(session, survey, service.version_row(session, survey).id)
    numbers = _numbered(definition)
    found = [
        (where, numbers.get(where), t.gettext(message, **values))
        for where, message, values in problems(definition)
    ]
    return {
        "definition": definition,
        "numbers": numbers,
        "answered": answered,
        "problem_list": found,
        "state": service.state_of(survey),
    }


def _questions_page(
    request: Request[Any, Any, Any],
    session: Session,
    survey: Survey,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response[str]:
    t = page_of(request).t
    context = {
        **_base(request, survey),
        **_editor_facts(request, session, survey),
        "errors": errors or {},
        "typed": typed or {},
        "kinds": [(k.value, t.gettext(KIND_LABELS[k])) for k in Kind],
    }
    return render(request, "staff/surveys/questions.html", context, status_code=status_code)


@get("/{survey_id:str}/questions", guards=[staff_guard], opt=SURVEY_STAFF, sync_to_thread=True)
def questions(
    request: Request[Any, Any, Any], db_session: NamedDependency[Session], survey_id: FromPath[str]
) -> Response[str]:
    return _questions_page(request, db_session, _survey_or_404(db_session, survey_id))


@post("/{survey_id:str}/questions", guards=[staff_guard], opt=SURVEY_FORM)
async def change_questions(request: Request[Any, Any, Any], survey_id: FromPath[str]) -> Response[Any]:
    form = await request.form()
    typed = {str(k): v[:2000] for k, v in form.items() if isinstance(v, str) and k != "_csrf_token"}
    return await in_thread(_change_questions, request, survey_id, typed)


def _overview_edit(typed: dict[str, str]) -> Callable[[Definition], Any] | None:
    """The change a button of the overview asks for (``action`` is ``verb:key``)."""
    verb, _, key = typed.get("action", "").partition(":")
    if verb == "add-section":
        return partial(building.add_section, title=typed.get("new_section", ""))
    if verb == "add-question":
        return lambda d: building.add_question(
            d, key, typed.get(f"kind-{key}", ""), typed.get(f"text-{key}", "")
        )
    moves = {
        "section-up": partial(building.move_section, key=key, step=-1),
        "section-down": partial(building.move_section, key=key, step=1),
        "section-delete": partial(building.delete_section, key=key),
        "question-up": partial(building.move_question, key=key, step=-1),
        "question-down": partial(building.move_question, key=key, step=1),
        "question-delete": partial(building.delete_question, key=key),
    }
    return moves.get(verb)


def _change_questions(
    request: Request[Any, Any, Any], survey_id: str, typed: dict[str, str]
) -> Response[Any]:
    edit = _overview_edit(typed)
    if edit is None:
        raise NotFoundException()

    def again(session: Session, errors: dict[str, str]) -> Response[Any]:
        survey = _survey_or_404(session, survey_id)
        return _questions_page(request, session, survey, errors, typed, status_code=422)

    anchor = typed.get("action", "").partition(":")[2]
    return _apply(request, survey_id, edit, again, anchor=anchor, to_new_question=True)


def _apply(
    request: Request[Any, Any, Any],
    survey_id: str,
    edit: Callable[[Definition], Any],
    again: Callable[[Session, dict[str, str]], Response[Any]],
    *,
    path: str = "",
    anchor: str = "",
    to_new_question: bool = False,
) -> Response[Any]:
    """Apply one change to the questions; the page again with the problems when refused, else back to
    the editor (``path``: a page of it, ``anchor``: a place on it) saying whether a new version was
    made. A question just added goes straight to its own form."""
    services = services_of(request)
    made: list[Any] = []

    def edit_and_keep(definition: Definition) -> None:
        made.append(edit(definition))

    with Session(services.engine, expire_on_commit=False) as session:
        survey = _survey_or_404(session, survey_id)
        try:
            changed = building.change_definition(
                session, current_staff(request), survey, edit_and_keep, address=client_address(request)
            )
        except EditRefused as refused:
            session.rollback()
            return again(session, _refused(request, refused))
        session.commit()
    request.app.state.page_cache.forget_everywhere()
    saved = "version" if changed.new_version else "questions"
    new = made[0] if made else None
    if to_new_question and isinstance(new, Question):
        return Redirect(f"/staff/surveys/{survey_id}/questions/{new.key}?saved={saved}", status_code=303)
    anchor = getattr(new, "key", "") if to_new_question and new is not None else anchor
    where = f"#{anchor}" if anchor else ""
    return Redirect(f"/staff/surveys/{survey_id}/questions{path}?saved={saved}{where}", status_code=303)


# --- one question --------------------------------------------------------------------------------


def _condition_choices(
    request: Request[Any, Any, Any], earlier: list[Question], numbers: dict[str, int]
) -> dict[str, Any]:
    t = page_of(request).t
    words = _words(request)
    sources = [q for q in earlier if q.kind in OPS_FOR]
    return {
        "sources": [(q.key, f"{numbers.get(q.key, '')}. {words(q.text)}") for q in sources],
        "ops": [
            (op.value, t.gettext(OP_LABELS[op]))
            for op in dict.fromkeys(o for q in sources for o in OPS_FOR[q.kind])
        ],
        "option_groups": [
            (
                f"{numbers.get(q.key, '')}. {words(q.text)}",
                [(f"{q.key}:{o.key}", words(o.text)) for o in q.options],
            )
            for q in sources
            if q.options
        ],
    }


def _form_of_question(question: Question) -> dict[str, Any]:
    """The question's form fields as saved (names as the form posts them)."""
    values: dict[str, Any] = {}
    for loc in LOCALES:
        values[f"text_{loc}"] = question.text.get(loc, "")
        values[f"help_{loc}"] = question.help.get(loc, "")
        values[f"unit_{loc}"] = question.unit.get(loc, "")
    values["required"] = question.required
    values["personal"] = question.personal
    values["max_choices"] = "" if question.max_choices is None else str(question.max_choices)
    values["low"] = plain_number(question.low)
    values["high"] = plain_number(question.high)
    for kind, items in (("opt", question.options), ("row", question.rows)):
        for item in items:
            for loc in LOCALES:
                values[f"{kind}-{item.key}-{loc}"] = item.text.get(loc, "")
            values[f"{kind}-{item.key}-other"] = item.other
    condition = ConditionInput.from_condition(question.condition)
    for name in ("question", "op", "option", "low", "high"):
        values[f"cond_{name}"] = getattr(condition, name)
    return values


def _question_page(
    request: Request[Any, Any, Any],
    session: Session,
    survey: Survey,
    key: str,
    typed: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response[str]:
    facts = _editor_facts(request, session, survey)
    definition: Definition = facts["definition"]
    question = definition.question(key)
    if question is None:
        raise NotFoundException()
    values = _form_of_question(question)
    if typed is not None:  # what was typed, for the fields the form has
        values = {**{k: ("" if isinstance(v, str) else False) for k, v in values.items()}, **typed}
        for name in ("required", "personal"):
            values[name] = typed.get(name) == "on"
        for item in (*question.options, *question.rows):
            name = f"opt-{item.key}-other"
            values[name] = typed.get(name) == "on"
    section = definition.section_of(key)
    context = {
        **_base(request, survey),
        **facts,
        **_condition_choices(request, definition.earlier(key), facts["numbers"]),
        "question": question,
        "section": section,
        "values": values,
        "errors": errors or {},
        "other_sections": [
            (s.key, f"{n}. {_words(request)(s.title)}")
            for n, s in enumerate(definition.sections, start=1)
            if s is not section
        ],
    }
    return render(request, "staff/surveys/question.html", context, status_code=status_code)


@get("/{survey_id:str}/questions/{key:str}", guards=[staff_guard], opt=SURVEY_STAFF, sync_to_thread=True)
def question_form(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[Session],
    survey_id: FromPath[str],
    key: FromPath[str],
) -> Response[str]:
    return _question_page(request, db_session, _survey_or_404(db_session, survey_id), key)


@post("/{survey_id:str}/questions/{key:str}", guards=[staff_guard], opt=SURVEY_FORM)
async def save_question(
    request: Request[Any, Any, Any], survey_id: FromPath[str], key: FromPath[str]
) -> Response[Any]:
    form = await request.form()
    return await in_thread(_save_question, request, survey_id, key, form)


def _save_question(request: Request[Any, Any, Any], survey_id: str, key: str, form: Any) -> Response[Any]:
    typed = {str(k): v for k, v in form.items() if isinstance(v, str) and k != "_csrf_token"}
    action = typed.get("action", "save")
    if action == "move-to":
        edit: Callable[[Definition], Any] = partial(
            building.move_question_to, key=key, section_key=typed.get("move_to", "")
        )
    else:
        edit = partial(building.change_question, key=key, form=form)

    def again(session: Session, errors: dict[str, str]) -> Response[Any]:
        survey = _survey_or_404(session, survey_id)
        shown = None if action == "move-to" else typed  # the move's own form has none of the fields
        return _question_page(request, session, survey, key, shown, errors, status_code=422)

    with Session(services_of(request).engine) as session:  # an unknown question: 404, not a form
        if service.definition_of(session, _survey_or_404(session, survey_id)).question(key) is None:
            raise NotFoundException()
    if action in {"save", "move-to"}:
        return _apply(request, survey_id, edit, again, anchor=key)
    return _apply(request, survey_id, edit, again, path=f"/{key}", anchor="options")


# --- one section ---------------------------------------------------------------------------------


def _section_page(
    request: Request[Any, Any, Any],
    session: Session,
    survey: Survey,
    key: str,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response[str]:
    facts = _editor_facts(request, session, survey)
    definition: Definition = facts["definition"]
    section = definition.section(key)
    if section is None:
        raise NotFoundException()
    values: dict[str, Any] = {f"title_{loc}": section.title.get(loc, "") for loc in LOCALES}
    condition = ConditionInput.from_condition(section.condition)
    values.update({f"cond_{n}": getattr(condition, n) for n in ("question", "op", "option", "low", "high")})
    if typed is not None:
        values.update(typed)
    context = {
        **_base(request, survey),
        **facts,
        **_condition_choices(request, building.earlier_for_section(definition, key), facts["numbers"]),
        "section": section,
        "section_number": definition.sections.index(section) + 1,
        "values": values,
        "errors": errors or {},
    }
    return render(request, "staff/surveys/section.html", context, status_code=status_code)


@get("/{survey_id:str}/sections/{key:str}", guards=[staff_guard], opt=SURVEY_STAFF, sync_to_thread=True)
def section_form(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[Session],
    survey_id: FromPath[str],
    key: FromPath[str],
) -> Response[str]:
    return _section_page(request, db_session, _survey_or_404(db_session, survey_id), key)


@post("/{survey_id:str}/sections/{key:str}", guards=[staff_guard], opt=SURVEY_FORM)
async def save_section(
    request: Request[Any, Any, Any], survey_id: FromPath[str], key: FromPath[str]
) -> Response[Any]:
    form = await request.form()
    typed = {str(k): v for k, v in form.items() if isinstance(v, str) and k != "_csrf_token"}
    return await in_thread(_save_section, request, survey_id, key, typed)


def _save_section(
    request: Request[Any, Any, Any], survey_id: str, key: str, typed: dict[str, str]
) -> Response[Any]:
    def again(session: Session, errors: dict[str, str]) -> Response[Any]:
        return _section_page(
            request, session, _survey_or_404(session, survey_id), key, typed, errors, status_code=422
        )

    with Session(services_of(request).engine) as session:
        if service.definition_of(session, _survey_or_404(session, survey_id)).section(key) is None:
            raise NotFoundException()
    return _apply(
        request, survey_id, partial(building.change_section, key=key, form=typed), again, anchor=key
    )


survey_staff_router = Router(
    path="/staff/surveys",
    route_handlers=[
        survey_list,
        new_survey,
        create_survey,
        edit_survey,
        change_survey,
        change_life,
        delete_survey,
        questions,
        change_questions,
        question_form,
        save_question,
        section_form,
        save_section,
    ],
    middleware=[StaffCookieMiddleware],
)
