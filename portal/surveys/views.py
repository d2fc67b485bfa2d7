"""The public survey pages: /surveys (open surveys, and closed ones with public results) and
/surveys/{slug} (answering one, section by section), and the staff preview that shows exactly the
same pages without storing anything.

Without JavaScript the conditions are applied when a section is sent: a section whose answers open
more questions in it comes back with them (and a note). With htmx a change to a question that some
condition looks at posts the section to ``…/live``, which answers only the questions that appear or
disappear (out-of-band swaps), so nothing typed elsewhere is touched and the focus stays put.

Every section sent is kept in the browser's draft, mistakes and all; the last one stores the
response (checked once more) through ``service.submit`` and deletes the draft.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.exceptions import NotFoundException, TooManyRequestsException
from litestar.params import FromPath
from litestar.response import Redirect
from sqlmodel import Session

from portal.accounts.auth import StaffCookieMiddleware, staff_guard
from portal.contact import mask_phone, normalize_mobile
from portal.i18n import N_
from portal.numbers import whole_number
from portal.progress.texts import Shown
from portal.progress.texts import field as text_field
from portal.security import sign_value, unsign_value
from portal.services import rate_limit, services_of
from portal.settings import Settings
from portal.surveys import answering, service
from portal.surveys.access import SURVEY_STAFF
from portal.surveys.definition import (
    KIND_LABELS,
    Answers,
    Definition,
    Kind,
    Question,
    Section,
    answers_from_json,
    answers_to_json,
    kept,
    shown,
)
from portal.surveys.forms import REQUIRED, field_id, missing, read_section
from portal.surveys.models import Audience, Survey, SurveyState
from portal.templating import render
from portal.tickets import confirm
from portal.tickets.forms import FormErrors, clean_text
from portal.web import MAX_BODY, in_thread, page_of

ANSWERED_COOKIE = "survey_answered"
ANSWERED_PURPOSE = "survey-answered"
ANSWERED_SECONDS = 3600
NO_STORE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
# A long text pasted whole (100,000 Chinese characters are about 900 KB URL-encoded) must reach the
# checks, which then say it is too long; the fields themselves are cut to forms.FIELD_MAX first.
SURVEY_FORM = {MAX_BODY: 1024 * 1024}
PREVIEW_FORM = {**SURVEY_STAFF, MAX_BODY: 1024 * 1024}

NOT_OPEN_YET = N_("This survey opens on %(date)s. Come back then.")
CLOSED = N_("This survey closed on %(date)s: it takes no more answers.")
ANSWERED_BROWSER = N_(
    "You have already answered this survey from this browser, and each browser answers once. "
    "Thank you for taking part."
)
ANSWERED_PHONE = N_(
    "This phone number has already answered this survey, and each number answers once. Thank you for "
    "taking part."
)
RESUMED = N_("You started this survey earlier (last saved %(date)s). Your answers are kept: continue below.")
MORE_QUESTIONS = N_("Your answers opened more questions in this section. Answer them below, then continue.")
CHANGED = N_("Your answers changed which questions apply in this section. Check them, then continue.")
ANSWER_EARLIER = N_("A required question was not answered yet. Answer it, then continue.")
BAD_PHONE = N_("Enter an 11-digit mainland mobile number, like 13812345678.")
EXPIRED = N_("This code has expired. Enter your number again for a new one.")
WRONG_CODE = N_("That is not the code we sent. Check the SMS and try again.")
CODE_SMS = N_("Jimei: code %(code)s, to answer the survey “%(survey)s”. Valid 10 minutes.")
NAMED_ERROR = N_("%(question)s: %(problem)s")
STALE = N_(
    "That page was out of date (sent from an earlier page or another tab), so nothing was changed. "
    "This is where you are: continue below."
)
SURVEY_CHANGED = N_("This survey changed while you were answering: check your answers in this section.")
APPEARED = N_("A question appeared below: %(question)s")
REMOVED = N_("A question no longer applies and was removed: %(question)s")


def _values(form: Any) -> dict[str, list[str]]:
    """A posted form as name → values (several for a multiple choice)."""
    found: dict[str, list[str]] = {}
    for name, value in form.multi_items():
        if isinstance(value, str):
            found.setdefault(str(name), []).append(value)
    return found


# --- what a section page shows ---------------------------------------------------------------------


@dataclass
class QuestionView:
    question: Question
    text: Shown
    help: Shown
    unit: Shown
    options: list[tuple[Any, Shown]]
    rows: list[tuple[Any, Shown]]
    shown: bool
    live: bool  # a condition looks at it: with htmx, a change posts the section to …/live

    @property
    def has_other(self) -> bool:
        return any(o.other for o in self.question.options)

    @property
    def fid(self) -> str:
        return field_id(self.question)


def _words(request: Request[Any, Any, Any]) -> Any:
    locale = page_of(request).locale
    config = services_of(request).settings.hant_conversion
    return lambda texts: answering.words(texts, locale, config)


def _question_views(
    request: Request[Any, Any, Any], definition: Definition, section: Section, answers: Answers
) -> list[QuestionView]:
    words = _words(request)
    visible = shown(definition, answers).questions
    sources = answering.condition_sources(definition)
    return [
        QuestionView(
            question=q,
            text=words(q.text),
            help=words(q.help),
            unit=words(q.unit),
            options=[(o, words(o.text)) for o in q.options],
            rows=[(r, words(r.text)) for r in q.rows],
            shown=q.key in visible,
            live=q.key in sources,
        )
        for q in section.questions
    ]


@dataclass
class Where:
    """The addresses a section's form posts to (the public ones, or the preview's)."""

    post: str
    live: str
    preview: bool = False


def _survey_texts(request: Request[Any, Any, Any], survey: Survey) -> dict[str, Any]:
    locale = page_of(request).locale
    config = services_of(request).settings.hant_conversion
    title = text_field(survey, "title", locale, config)
    intro = text_field(survey, "intro", locale, config)
    thanks = text_field(survey, "thanks", locale, config)
    return {
        "survey": survey,
        "title": title,
        "intro": intro,
        "intro_paragraphs": answering.paragraphs(intro.text),
        "thanks": thanks,
        "thanks_paragraphs": answering.paragraphs(thanks.text),
    }


def _section_page(
    request: Request[Any, Any, Any],
    survey: Survey,
    definition: Definition,
    section: Section,
    answers: Answers,
    values: Mapping[str, Sequence[str]],
    where: Where,
    *,
    errors: FormErrors | None = None,
    note: str = "",
    resumed: str = "",
    carried: str = "",
    busy_minutes: int = 0,
    status_code: int = 200,
) -> Response[str]:
    t = page_of(request).t
    number, total = answering.position(definition, answers, section)
    texts = _survey_texts(request, survey)
    section_title = _words(request)(section.title)
    questions = _question_views(request, definition, section, answers)
    everything = [texts["title"], texts["intro"], section_title]
    for view in questions:
        everything += [
            view.text,
            view.help,
            view.unit,
            *(w for _, w in view.options),
            *(w for _, w in view.rows),
        ]
    translated = errors.translated(t) if errors else {}
    context = {
        **texts,
        "summary": _summary(t, questions, translated),
        "marked": {
            "converted": any(w.converted for w in everything),
            "untranslated": any(w.untranslated for w in everything),
        },
        "section": section,
        "section_title": section_title,
        "questions": questions,
        "values": values,
        "errors": translated,
        "note": t.gettext(note) if note else "",
        "resumed": resumed,
        "number": number,
        "total": total,
        "first": answering.section_before(definition, answers, section) is None,
        "last": answering.section_after(definition, answers, section) is None,
        "where": where,
        "carried": carried,
        "busy_minutes": busy_minutes,
        "Kind": Kind,
        "KIND_LABELS": KIND_LABELS,
    }
    return render(request, "surveys/survey.html", context, status_code=status_code, headers=NO_STORE)


SUMMARY_WORDS = 40


def _summary(t: Any, questions: Sequence[QuestionView], errors: Mapping[str, str]) -> list[tuple[str, str]]:
    """The error summary: (link target or "" when the field is not on the page, what it says), each
    entry naming its question (its words, shortened if long)."""
    entries: list[tuple[str, str]] = []
    for name, message in errors.items():
        view = next((v for v in questions if name in (v.fid, f"{v.fid}-other")), None)
        if view is None:
            entries.append(("", message))
            continue
        words = view.text.text.rstrip(" ?？:：")  # "您住在哪个街道：请回答这个问题。", not "？："
        if len(words) > SUMMARY_WORDS:
            words = words[: SUMMARY_WORDS - 1].rstrip() + "…"
        on_page = view.shown and (name == view.fid or view.has_other)
        entries.append((name if on_page else "", t.gettext(NAMED_ERROR, question=words, problem=message)))
    return entries


def _message_page(
    request: Request[Any, Any, Any], survey: Survey, message: str, *, status_code: int = 200, **values: Any
) -> Response[str]:
    t = page_of(request).t
    context = {**_survey_texts(request, survey), "message": t.gettext(message, **values)}
    return render(request, "surveys/message.html", context, status_code=status_code, headers=NO_STORE)


def _refusal(request: Request[Any, Any, Any], survey: Survey, *, posting: bool) -> Response[str] | None:
    """The page for a survey that takes no answers now (not open yet, or closed)."""
    t = page_of(request).t
    state = service.state_of(survey)
    status = 409 if posting else 200
    if state == SurveyState.SCHEDULED:
        return _message_page(
            request, survey, NOT_OPEN_YET, status_code=status, date=t.datetime(survey.opens_at)
        )
    if state == SurveyState.CLOSED:
        return _message_page(request, survey, CLOSED, status_code=status, date=t.datetime(survey.closes_at))
    return None


def _survey_or_404(session: Session, slug: str) -> Survey:
    survey = answering.public_survey(session, slug)
    if survey is None:
        raise NotFoundException()
    return survey


# --- one section sent --------------------------------------------------------------------------------


@dataclass
class Step:
    """What a section sent leads to: ``errors``/``reveal``/``changed`` (the same section again),
    ``back``/``next`` (another section), or ``finish`` (store the response)."""

    kind: str
    section: Section
    answers: Answers
    typed: dict[str, list[str]] = field(default_factory=dict)
    errors: FormErrors = field(default_factory=FormErrors)
    note: str = ""


def take_step(
    definition: Definition, values: Mapping[str, Sequence[str]], earlier: Answers, at: str = ""
) -> Step:
    """What a section sent leads to, given the answers kept so far and the section the resident is
    at (``at``, the draft's)."""
    key = (values.get("section") or [""])[0]
    going_back = (values.get("go") or [""])[0] == "back"
    earlier, problems = answering.recheck(definition, earlier)
    if key not in {s.key for s in answering.shown_sections(definition, earlier)}:
        # A section the answers kept do not show (an old page: the Back button, a second tab):
        # nothing changes, and the resident is brought where they are.
        here = answering.current_section(definition, earlier, at)
        if here is None:
            raise NotFoundException()
        return Step("stale", here, earlier, note=STALE)
    section = answering.current_section(definition, earlier, key)
    if section is None:
        raise NotFoundException()
    read = read_section(definition, section, values, earlier)
    answers = {**answering.others(definition, earlier, section), **read.answers}
    if going_back:
        before = answering.section_before(definition, answers, section) or section
        return Step("back", before, answers, typed=read.typed if read.errors else {})
    visible = shown(definition, answers).questions
    rendered = set(values.get("shown") or [])
    if rendered:
        # Questions the page showed whose answers now hide them (changed without JavaScript), and
        # questions the answers now open: the same section again, with the page as it now is.
        gone = [q for q in section.questions if q.key in rendered and q.key not in visible]
        new = [q for q in section.questions if q.key in visible and q.key not in rendered]
        if gone or new:
            for question in gone + new:
                fid = field_id(question)
                for name in (fid, f"{fid}-other"):
                    read.errors.messages.pop(name, None)
                    read.errors.values.pop(name, None)
            typed = {k: v for k, v in read.typed.items() if not any(k.startswith(field_id(q)) for q in gone)}
            kind = "errors" if read.errors else ("reveal" if new else "changed")
            return Step(kind, section, answers, typed, read.errors, MORE_QUESTIONS if new else CHANGED)
    if read.errors:
        return Step("errors", section, answers, read.typed, read.errors)
    troubled = answering.first_troubled(definition, answers, problems, but=section)
    if troubled is not None:
        # The survey changed (a new version) since an earlier section was answered: back to it.
        errors = problems[troubled.key]
        return Step("errors" if errors else "changed", troubled, answers, {}, errors, SURVEY_CHANGED)
    after = answering.section_after(definition, answers, section)
    if after is not None:
        return Step("next", after, answers)
    final = kept(definition, answers)
    gaps = missing(definition, final)
    if gaps:
        # A section skipped (a forged post, or answers changed earlier): back to the first gap.
        target = definition.section_of(gaps[0].key) or section
        errors = FormErrors()
        for question in gaps:
            if definition.section_of(question.key) is target:
                errors.add(field_id(question), REQUIRED)
        return Step("errors", target, final, {}, errors, ANSWER_EARLIER if target is not section else "")
    return Step("finish", section, final)


def _section_values(step: Step) -> dict[str, list[str]]:
    return step.typed or answering.form_values(step.section, step.answers)


# --- /surveys ------------------------------------------------------------------------------------------


@get("/surveys", sync_to_thread=True)
def survey_list(request: Request[Any, Any, Any]) -> Response[str]:
    services = services_of(request)
    locale = page_of(request).locale
    config = services.settings.hant_conversion
    with Session(services.engine, expire_on_commit=False) as session:
        open_, closed = answering.listed_surveys(session)
    return render(
        request,
        "surveys/list.html",
        {
            "open_surveys": [(s, text_field(s, "title", locale, config)) for s in open_],
            "closed_surveys": [(s, text_field(s, "title", locale, config)) for s in closed],
        },
        headers=NO_STORE,
    )


# --- /surveys/{slug} -----------------------------------------------------------------------------------


def _where(survey: Survey) -> Where:
    return Where(post=f"/surveys/{survey.slug}", live=f"/surveys/{survey.slug}/live")


@get("/surveys/{slug:str}")
async def survey_page(request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
    return await in_thread(_survey_page, request, slug)


def _survey_page(request: Request[Any, Any, Any], slug: str) -> Response[Any]:
    services = services_of(request)
    secret = services.settings.secret_key
    t = page_of(request).t
    with Session(services.engine, expire_on_commit=False) as session:
        survey = _survey_or_404(session, slug)
        refused = _refusal(request, survey, posting=False)
        if refused is not None:
            return refused
        token, _browser, draft = answering.this_browser(
            request, session, survey, secret=secret, secure=services.settings.secure_cookies
        )
        if survey.audience == Audience.PHONE:
            if draft is None or not draft.respondent:
                return _phone_page(request, survey)
            if service.already_answered(session, survey, draft.respondent):
                return _message_page(request, survey, ANSWERED_PHONE)
        elif service.already_answered(session, survey, service.browser_key(secret, survey, token)):
            return _message_page(request, survey, ANSWERED_BROWSER)
        definition = service.definition_of(session, survey)
    answers, typed = answering.draft_contents(draft)
    answers, problems = answering.recheck(definition, answers)
    section = answering.current_section(definition, answers, draft.section if draft else "")
    if section is None:
        raise NotFoundException()
    # The browser's Back button: the address names an earlier section (each section's page has its
    # own), which is shown with its saved answers; a later one than reached is not.
    wanted = request.query_params.get("s", "")[:20]
    asked = answering.current_section(definition, answers, wanted)
    if (
        asked is not None
        and asked.key == wanted
        and answering.position(definition, answers, asked) < answering.position(definition, answers, section)
    ):
        section = asked
    troubled = answering.first_troubled(definition, answers, problems)
    if troubled is not None:
        # A new version since these answers were given: the first section they no longer fit.
        return _section_page(
            request, survey, definition, troubled, answers, answering.form_values(troubled, answers),
            _where(survey), errors=problems[troubled.key], note=SURVEY_CHANGED,
        )  # fmt: skip
    if not wanted:
        # Every section is shown at an address of its own, so that the browser's Back button steps
        # back through them; the plain address leads to where this browser got to.
        again = "&resumed=1" if draft is not None and draft.section else ""
        return Redirect(f"/surveys/{survey.slug}?s={section.key}{again}", status_code=303, headers=NO_STORE)
    values = answering.section_values(section, answers, typed)
    resumed = ""
    if draft is not None and request.query_params.get("resumed") == "1":
        resumed = t.gettext(RESUMED, date=t.datetime(draft.updated_at))
    return _section_page(
        request, survey, definition, section, answers, values, _where(survey), resumed=resumed
    )


@post("/surveys/{slug:str}", opt=SURVEY_FORM)
async def answer_section(request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
    values = _values(await request.form())
    return await in_thread(_answer_section, request, slug, values)


def _answer_section(
    request: Request[Any, Any, Any], slug: str, values: dict[str, list[str]]
) -> Response[Any]:
    services = services_of(request)
    secret = services.settings.secret_key
    with Session(services.engine, expire_on_commit=False) as session:
        survey = _survey_or_404(session, slug)
        refused = _refusal(request, survey, posting=True)
        if refused is not None:
            return refused
        token, browser, draft = answering.this_browser(
            request, session, survey, secret=secret, secure=services.settings.secure_cookies
        )
        if survey.audience == Audience.PHONE:
            if draft is None or not draft.respondent:
                return Redirect(f"/surveys/{survey.slug}", status_code=303)
            respondent = draft.respondent
            answered = ANSWERED_PHONE
        else:
            respondent = service.browser_key(secret, survey, token)
            answered = ANSWERED_BROWSER
        if service.already_answered(session, survey, respondent):
            return _message_page(request, survey, answered, status_code=409)
        version = service.version_row(session, survey)
        definition = Definition.from_json(version.definition)
        earlier, _ = answering.draft_contents(draft)
        step = take_step(definition, values, earlier, draft.section if draft else "")
        if step.kind == "finish":
            try:
                rate_limit(request, services, "survey_submit")
            except TooManyRequestsException as limited:
                # Many neighbours behind one address (a carrier's, a community centre's): the answers
                # stay in this browser's draft, and the page says when to send them again.
                answering.save_draft(
                    session, survey, browser, step.answers, step.section.key,
                    typed=answering.form_values(step.section, step.answers),
                )  # fmt: skip
                return _busy_page(request, survey, definition, step, limited)
            if service.submit(session, survey, version, step.answers, respondent) is None:
                return _message_page(request, survey, answered, status_code=409)
            answering.delete_draft(session, survey, browser)
            _mark_answered(request, services.settings, survey)
            return Redirect(f"/surveys/{survey.slug}/thanks", status_code=303)
        if step.kind != "stale":  # an out-of-date page changes nothing
            answering.save_draft(session, survey, browser, step.answers, step.section.key, typed=step.typed)
    if step.kind in ("next", "back"):
        return Redirect(f"/surveys/{survey.slug}?s={step.section.key}", status_code=303)
    status = 422 if step.errors else (409 if step.kind == "stale" else 200)
    return _section_page(
        request, survey, definition, step.section, step.answers, _section_values(step), _where(survey),
        errors=step.errors, note=step.note, status_code=status,
    )  # fmt: skip


def _busy_page(
    request: Request[Any, Any, Any],
    survey: Survey,
    definition: Definition,
    step: Step,
    limited: TooManyRequestsException,
) -> Response[str]:
    wait = whole_number(str((limited.headers or {}).get("Retry-After", "")), 1, 10**7) or 3600
    minutes = max(1, math.ceil(wait / 60))
    response = _section_page(
        request, survey, definition, step.section, step.answers,
        answering.form_values(step.section, step.answers), _where(survey),
        busy_minutes=minutes, status_code=429,
    )  # fmt: skip
    response.headers["Retry-After"] = str(wait)
    return response


# --- with htmx: questions appear as soon as the answer that opens them is chosen ----------------------


def _live(
    request: Request[Any, Any, Any],
    definition: Definition,
    values: Mapping[str, Sequence[str]],
    earlier: Answers,
) -> Response[str]:
    key = (values.get("section") or [""])[0]
    section = answering.current_section(definition, earlier, key)
    if section is None:
        raise NotFoundException()
    answers = answering.lenient_answers(definition, section, values, earlier)
    rendered = set(values.get("shown") or [])
    views = _question_views(request, definition, section, answers)
    changed = [v for v in views if v.shown != (v.question.key in rendered)]
    t = page_of(request).t
    said = [t.gettext(APPEARED if v.shown else REMOVED, question=v.text.text) for v in changed]
    number, total = answering.position(definition, answers, section)
    context = {
        "last": answering.section_after(definition, answers, section) is None,
        "changed": changed,
        "said": " ".join(said),
        "number": number,
        "total": total,
        "values": values,
        "errors": {},
        "live_url": request.url.path,
    }
    return render(request, "surveys/_live.html", context, headers=NO_STORE)


@post("/surveys/{slug:str}/live", opt=SURVEY_FORM)
async def live_section(request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
    values = _values(await request.form())
    return await in_thread(_live_section, request, slug, values)


def _live_section(request: Request[Any, Any, Any], slug: str, values: dict[str, list[str]]) -> Response[Any]:
    services = services_of(request)
    with Session(services.engine, expire_on_commit=False) as session:
        survey = _survey_or_404(session, slug)
        refused = _refusal(request, survey, posting=True)  # a scheduled survey's questions stay unseen
        if refused is not None:
            return refused
        token = answering.browser_token(request)
        draft = (
            answering.find_draft(session, survey, answering.draft_key(services.settings.secret_key, token))
            if token
            else None
        )
        definition = service.definition_of(session, survey)
    earlier, _ = answering.draft_contents(draft)
    return _live(request, definition, values, earlier)


# --- phone-verified surveys: the number first, confirmed by a code --------------------------------------


def _phone_page(
    request: Request[Any, Any, Any],
    survey: Survey,
    *,
    errors: dict[str, str] | None = None,
    note: str = "",
    phone: str = "",
    typed: str = "",
    status_code: int = 200,
) -> Response[str]:
    t = page_of(request).t
    context = {
        **_survey_texts(request, survey),
        "errors": {k: t.gettext(v) for k, v in (errors or {}).items()},
        "note": note,
        "masked_phone": mask_phone(phone) if phone else "",
        "typed": typed,
    }
    return render(request, "surveys/phone.html", context, status_code=status_code, headers=NO_STORE)


@post("/surveys/{slug:str}/phone")
async def phone_start(request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
    form = await request.form()
    return await in_thread(_phone_start, request, slug, str(form.get("phone", ""))[:40])


def _phone_start(request: Request[Any, Any, Any], slug: str, typed: str) -> Response[Any]:
    services = services_of(request)
    with Session(services.engine, expire_on_commit=False) as session:
        survey = _survey_or_404(session, slug)
    refused = _refusal(request, survey, posting=True)
    if refused is not None:
        return refused
    if survey.audience != Audience.PHONE:
        return Redirect(f"/surveys/{survey.slug}", status_code=303)
    phone = normalize_mobile(clean_text(typed))
    if phone is None:
        return _phone_page(request, survey, errors={"phone": BAD_PHONE}, typed=typed, status_code=422)
    title = _survey_texts(request, survey)["title"].text
    note = confirm.text_code(request, services, phone, f"survey:{survey.slug}", CODE_SMS, survey=title)
    return _phone_page(request, survey, note=note, phone=phone)


@post("/surveys/{slug:str}/confirm")
async def phone_confirm(request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
    form = await request.form()
    return await in_thread(
        _phone_confirm, request, slug, str(form.get("note", ""))[:2000], str(form.get("code", ""))[:20]
    )


def _phone_confirm(request: Request[Any, Any, Any], slug: str, note: str, typed: str) -> Response[Any]:
    services = services_of(request)
    secret = services.settings.secret_key
    with Session(services.engine, expire_on_commit=False) as session:
        survey = _survey_or_404(session, slug)
        refused = _refusal(request, survey, posting=True)
        if refused is not None:
            return refused
        pending = confirm.read(secret, note)
        if pending is None or pending.ticket != f"survey:{survey.slug}" or pending.expired:
            return _phone_page(request, survey, errors={"phone": EXPIRED}, status_code=422)
        checked = confirm.check_code(request, services, pending, typed)
        if checked is confirm.Checked.USED:
            return _phone_page(request, survey, errors={"phone": confirm.USED_CODE}, status_code=422)
        if checked is confirm.Checked.WRONG:
            return _phone_page(
                request, survey, errors={"code": WRONG_CODE}, note=note, phone=pending.phone, status_code=422
            )
        respondent = service.phone_key(secret, survey, pending.phone)
        if service.already_answered(session, survey, respondent):
            return _message_page(request, survey, ANSWERED_PHONE, status_code=409)
        _token, browser, draft = answering.this_browser(
            request, session, survey, secret=secret, secure=services.settings.secure_cookies
        )
        answers, typed_values = answering.draft_contents(draft)
        answering.save_draft(
            session, survey, browser, answers, draft.section if draft else "",
            typed=typed_values, respondent=respondent,
        )  # fmt: skip
    return Redirect(f"/surveys/{survey.slug}?s=start", status_code=303)


@post("/surveys/{slug:str}/restart")
async def restart(request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
    return await in_thread(_restart, request, slug)


def _restart(request: Request[Any, Any, Any], slug: str) -> Response[Any]:
    """Start again: the draft's answers are forgotten (a confirmed number stays confirmed)."""
    services = services_of(request)
    secret = services.settings.secret_key
    with Session(services.engine, expire_on_commit=False) as session:
        survey = _survey_or_404(session, slug)
        token = answering.browser_token(request)
        if token is not None:
            browser = answering.draft_key(secret, token)
            draft = answering.find_draft(session, survey, browser)
            if draft is not None and draft.respondent:
                answering.save_draft(session, survey, browser, {}, "", respondent=draft.respondent)
            elif draft is not None:
                answering.delete_draft(session, survey, browser)
    return Redirect(f"/surveys/{survey.slug}?s=start", status_code=303)


def _mark_answered(request: Request[Any, Any, Any], settings: Settings, survey: Survey) -> None:
    """A short-lived signed cookie that lets this browser see the thanks (a phone survey's response
    is not keyed by the browser)."""
    until = int(time.time()) + ANSWERED_SECONDS
    value = sign_value(settings.secret_key, ANSWERED_PURPOSE, [survey.slug, until])
    flags = "; Secure" if settings.secure_cookies else ""
    page_of(request).set_cookies.append(
        f"{ANSWERED_COOKIE}={value}; Path=/surveys/{survey.slug}/thanks; Max-Age={ANSWERED_SECONDS}; "
        f"HttpOnly; SameSite=Lax{flags}"
    )


def _just_answered(
    request: Request[Any, Any, Any], session: Session, settings: Settings, survey: Survey
) -> bool:
    signed = unsign_value(settings.secret_key, ANSWERED_PURPOSE, request.cookies.get(ANSWERED_COOKIE))
    if (
        isinstance(signed, list)
        and len(signed) == 2
        and signed[0] == survey.slug
        and isinstance(signed[1], int)
        and signed[1] >= time.time()
    ):
        return True
    token = answering.browser_token(request)
    return (
        survey.audience == Audience.BROWSER
        and token is not None
        and service.already_answered(session, survey, service.browser_key(settings.secret_key, survey, token))
    )


@get("/surveys/{slug:str}/thanks", sync_to_thread=True)
def thanks_page(request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
    """The thanks, for the browser that has just answered; anyone else is sent to the survey."""
    services = services_of(request)
    with Session(services.engine, expire_on_commit=False) as session:
        survey = _survey_or_404(session, slug)
        if not _just_answered(request, session, services.settings, survey):
            return Redirect(f"/surveys/{survey.slug}", status_code=303)
    return render(
        request, "surveys/thanks.html", {**_survey_texts(request, survey), "preview": False}, headers=NO_STORE
    )


# --- the staff preview: the same pages, nothing stored --------------------------------------------------


def _preview_survey(session: Session, survey_id: str) -> Survey:
    number = whole_number(survey_id)
    survey = session.get(Survey, number) if number is not None else None
    if survey is None:
        raise NotFoundException()
    return survey


def _preview_where(survey: Survey) -> Where:
    base = f"/staff/surveys/{survey.id}/preview"
    return Where(post=base, live=f"{base}/live", preview=True)


@get("/{survey_id:str}/preview", guards=[staff_guard], opt=SURVEY_STAFF)
async def preview_page(request: Request[Any, Any, Any], survey_id: FromPath[str]) -> Response[str]:
    return await in_thread(_preview_page, request, survey_id)


def _preview_page(request: Request[Any, Any, Any], survey_id: str) -> Response[str]:
    with Session(services_of(request).engine, expire_on_commit=False) as session:
        survey = _preview_survey(session, survey_id)
        definition = service.definition_of(session, survey)
    section = answering.current_section(definition, {}, "")
    if section is None:
        return _message_page(request, survey, N_("This survey has no questions yet."))
    return _section_page(request, survey, definition, section, {}, {}, _preview_where(survey), carried="{}")


@post("/{survey_id:str}/preview", guards=[staff_guard], opt=PREVIEW_FORM)
async def preview_section(request: Request[Any, Any, Any], survey_id: FromPath[str]) -> Response[Any]:
    values = _values(await request.form())
    return await in_thread(_preview_section, request, survey_id, values)


def _preview_section(
    request: Request[Any, Any, Any], survey_id: str, values: dict[str, list[str]]
) -> Response[Any]:
    with Session(services_of(request).engine, expire_on_commit=False) as session:
        survey = _preview_survey(session, survey_id)
        definition = service.definition_of(session, survey)
    earlier = answers_from_json((values.get("carried") or ["{}"])[0])
    step = take_step(definition, values, earlier)
    if step.kind == "finish":
        context = {**_survey_texts(request, survey), "preview": True}
        return render(request, "surveys/thanks.html", context, headers=NO_STORE)
    return _section_page(
        request, survey, definition, step.section, step.answers, _section_values(step), _preview_where(survey),
        errors=step.errors, note=step.note, carried=answers_to_json(step.answers),
        status_code=422 if step.errors else 200,
    )  # fmt: skip


@post("/{survey_id:str}/preview/live", guards=[staff_guard], opt=PREVIEW_FORM)
async def preview_live(request: Request[Any, Any, Any], survey_id: FromPath[str]) -> Response[Any]:
    values = _values(await request.form())
    return await in_thread(_preview_live, request, survey_id, values)


def _preview_live(
    request: Request[Any, Any, Any], survey_id: str, values: dict[str, list[str]]
) -> Response[Any]:
    with Session(services_of(request).engine, expire_on_commit=False) as session:
        definition = service.definition_of(session, _preview_survey(session, survey_id))
    return _live(request, definition, values, answers_from_json((values.get("carried") or ["{}"])[0]))


preview_router = Router(
    path="/staff/surveys",
    route_handlers=[preview_page, preview_section, preview_live],
    middleware=[StaffCookieMiddleware],
)

route_handlers = [
    survey_list,
    survey_page,
    answer_section,
    live_section,
    phone_start,
    phone_confirm,
    restart,
    thanks_page,
]
