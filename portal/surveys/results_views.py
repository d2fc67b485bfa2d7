"""/surveys/{slug}/results (charts and tables), its downloads (results.csv, results.json: one row per
response; summary.csv: the page's figures per question), and /staff/surveys/{id}/texts, where the
survey's owner, a press lead or an administrator approves text answers for the public results."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy import and_
from sqlmodel import Session, col, func, select

from portal.accounts.auth import StaffCookieMiddleware, current_staff, session_user, staff_guard
from portal.accounts.models import StaffUser
from portal.accounts.service import audit
from portal.accounts.views import staff_context
from portal.i18n import N_, Translator
from portal.numbers import whole_number
from portal.progress import texts
from portal.services import Services, client_address, rate_limit, services_of
from portal.stats.figures import percent
from portal.surveys import charts
from portal.surveys.access import SURVEY_ROLES, SURVEY_STAFF, may_approve_texts
from portal.surveys.definition import CHOICE_KINDS, KIND_LABELS, TEXT_KINDS, Kind
from portal.surveys.downloads import columns, csv_bytes, json_value, response_rows
from portal.surveys.models import Survey, SurveyAnswer, SurveyResponse
from portal.surveys.results import (
    NPS_FORMULA,
    SUMMARY_COLUMNS,
    SUMMARY_NOTES,
    Asked,
    FilterRefused,
    Results,
    asked_in,
    compute,
    filter_choices,
    parse_filter,
    public,
    public_text,
    responses_by_version,
    summary_rows,
)
from portal.templating import render
from portal.web import in_thread, page_of

SLUG_LENGTH = 60
# Figures of a survey this big are computed at a cost: they count against the address's limit.
LIMITED_FROM = 5000
TOO_FEW = N_("%(count)s responses so far; figures appear from %(minimum)s.")
TEXTS_PER_PAGE = 50
APPROVAL_SAVED = {
    "approved": N_("The answer is approved: it shows in the public results, masked."),
    "unapproved": N_("The answer is withdrawn from the public results."),
}


# --- who may see what ------------------------------------------------------------------------------


def _survey_by_slug(session: Session, slug: str) -> Survey:
    survey = (
        session.exec(select(Survey).where(Survey.slug == slug)).first()
        if slug and len(slug) <= SLUG_LENGTH
        else None
    )
    if survey is None:
        raise NotFoundException()
    return survey


def _survey_staff(request: Request[Any, Any, Any], services: Services) -> StaffUser | None:
    """The signed-in staff member who runs surveys, if any (they see results that are not public)."""
    user = session_user(request, services.settings, services.reader)
    return user if user is not None and user.role in SURVEY_ROLES else None


def _is_survey_staff(request: Request[Any, Any, Any], services: Services) -> bool:
    return _survey_staff(request, services) is not None


def _visible(request: Request[Any, Any, Any], services: Services, survey: Survey) -> bool:
    """Public results for everyone; any survey's results for the staff who run surveys."""
    return public(survey) or _is_survey_staff(request, services)


# --- the words of a question, in the reader's language -------------------------------------------------


def words_of(locale: str, config: str) -> Callable[[dict[str, str]], str]:
    def words(values: dict[str, str]) -> str:
        return texts.pick(
            values.get("zh_Hans", ""), values.get("zh_Hant", ""), values.get("en", ""), locale, config
        ).text

    return words


def _option_words(asked: Asked, words: Callable[[dict[str, str]], str]) -> dict[str, str]:
    return {o.key: words(o.text) or o.key for o in asked.question.options}


def _title(survey: Survey, locale: str, config: str) -> str:
    return texts.field(survey, "title", locale, config).text


def _charts(results: Results, words: Callable[[dict[str, str]], str]) -> dict[str, Any]:
    """Each question's chart, measured for the template."""
    drawn: dict[str, Any] = {}
    for r in results.questions:
        if r.personal:
            continue
        if r.shares:
            labels = _option_words(r.asked, words)
            drawn[r.key] = charts.share_chart([(labels[s.key], s.percent) for s in r.shares])
        elif r.points and r.answered:
            drawn[r.key] = charts.share_chart([(str(p.value), p.percent) for p in r.points])
        elif r.months:
            total = sum(m.count for m in r.months)
            drawn[r.key] = charts.share_chart([(m.month, percent(m.count, total)) for m in r.months])
        elif r.matrix:
            rows = {row.key: words(row.text) or row.key for row in r.asked.question.rows}
            drawn[r.key] = charts.stacked_chart(
                [(rows[m.key], [s.percent for s in m.shares]) for m in r.matrix]
            )
    return drawn


# --- /surveys/{slug}/results ---------------------------------------------------------------------------


@get("/surveys/{slug:str}/results")
async def results_page(request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[str]:
    return await in_thread(_results_page, request, services_of(request), slug)


def _results_page(request: Request[Any, Any, Any], services: Services, slug: str) -> Response[str]:
    t = page_of(request).t
    config = services.settings.hant_conversion
    words = words_of(t.locale, config)
    with Session(services.engine, expire_on_commit=False) as session:
        survey = _survey_by_slug(session, slug)
        user = _survey_staff(request, services)
        staff = user is not None
        if not (public(survey) or staff):
            raise NotFoundException()
        _versions, asked = asked_in(session, survey)
        refusal = ""
        try:
            chosen = parse_filter(str(request.query_params.get("filter", "")), asked)
        except FilterRefused as refused:
            chosen, refusal = None, t.gettext(refused.message)
        if refusal:
            results = compute(session, survey, None)
        else:
            _limit_big(request, services, session, survey)
            results = compute(session, survey, chosen)
    context = {
        "survey": survey,
        "title": _title(survey, t.locale, config),
        "results": results,
        "charts": _charts(results, words),
        "words": words,
        "option_words": lambda a: _option_words(a, words),
        "filters": filter_choices(asked),
        "refusal": refusal,
        "errors": {"filter": refusal} if refusal else {},
        "too_few": t.gettext(TOO_FEW, count=results.total, minimum=results.minimum),
        "columns": [(c, next((a for a in asked if a.key == c.question), None)) for c in columns(asked)],
        "summary_notes": SUMMARY_NOTES,
        "nps_formula": NPS_FORMULA,
        "KIND_LABELS": KIND_LABELS,
        "Kind": Kind,
        "CHOICE_KINDS": CHOICE_KINDS,
        "TEXT_KINDS": TEXT_KINDS,
        "staff": staff,
        "may_approve": user is not None and may_approve_texts(user, survey),
        "fill": charts.fill,
    }
    headers = {"X-Robots-Tag": "noindex"} if not public(survey) else {}
    return render(
        request, "surveys/results.html", context, status_code=400 if refusal else 200, headers=headers
    )


def _limit_big(request: Request[Any, Any, Any], services: Services, session: Session, survey: Survey) -> None:
    count = session.exec(
        select(func.count()).select_from(SurveyResponse).where(SurveyResponse.survey_id == survey.id)
    ).one()
    if int(count) >= LIMITED_FROM:
        rate_limit(request, services, "stats")


# --- downloads -----------------------------------------------------------------------------------------


@get("/surveys/{slug:str}/results.csv")
async def results_csv(request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[bytes]:
    return await in_thread(_responses_download, request, services_of(request), slug, "csv")


@get("/surveys/{slug:str}/results.json")
async def results_json(request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[bytes]:
    return await in_thread(_responses_download, request, services_of(request), slug, "json")


@get("/surveys/{slug:str}/summary.csv")
async def summary_csv(request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[bytes]:
    return await in_thread(_summary_download, request, services_of(request), slug)


def _refused(t: Translator, fmt: str, message: str, status: int) -> Response[bytes]:
    if fmt == "json":
        body = json.dumps({"error": message}, ensure_ascii=False).encode()
        return Response(body, status_code=status, media_type="application/json")
    return Response((message + "\n").encode(), status_code=status, media_type="text/plain")


def _responses_download(
    request: Request[Any, Any, Any], services: Services, slug: str, fmt: str
) -> Response[bytes]:
    t = page_of(request).t
    with Session(services.engine, expire_on_commit=False) as session:
        survey = _survey_by_slug(session, slug)
        if not _visible(request, services, survey):
            raise NotFoundException()
        total = sum(c for _n, c in responses_by_version(session, survey))
        minimum = max(1, survey.min_responses)
        if total < minimum:
            return _refused(t, fmt, t.gettext(TOO_FEW, count=total, minimum=minimum), 403)
        _limit_big(request, services, session, survey)
        _versions, asked = asked_in(session, survey)
        names = [c.name for c in columns(asked)]
        rows = list(response_rows(session, survey, asked))
    filename = f"{survey.slug}-results.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if fmt == "json":
        body = {
            "survey": survey.slug,
            "responses": total,
            "columns": names,
            "rows": [{n: json_value(row[n]) for n in names} for row in rows],
        }
        data = json.dumps(body, ensure_ascii=False, indent=1).encode()
        return Response(data, media_type="application/json", headers=headers)
    return Response(csv_bytes(names, rows), media_type="text/csv", headers=headers)


def _summary_download(request: Request[Any, Any, Any], services: Services, slug: str) -> Response[bytes]:
    t = page_of(request).t
    with Session(services.engine, expire_on_commit=False) as session:
        survey = _survey_by_slug(session, slug)
        if not _visible(request, services, survey):
            raise NotFoundException()
        _versions, asked = asked_in(session, survey)
        try:
            chosen = parse_filter(str(request.query_params.get("filter", "")), asked)
        except FilterRefused as refused:
            return _refused(t, "csv", t.gettext(refused.message), 400)
        _limit_big(request, services, session, survey)
        results = compute(session, survey, chosen)
    if not results.breakdown:
        return _refused(t, "csv", t.gettext(TOO_FEW, count=results.total, minimum=results.minimum), 403)
    headers = {"Content-Disposition": f'attachment; filename="{survey.slug}-summary.csv"'}
    return Response(
        csv_bytes(list(SUMMARY_COLUMNS), summary_rows(results)), media_type="text/csv", headers=headers
    )


# --- /staff/surveys/{id}/texts: approving text answers ----------------------------------------------------


def _texts_survey(session: Session, request: Request[Any, Any, Any], survey_id: str) -> Survey:
    number = whole_number(survey_id)
    survey = session.get(Survey, number) if number is not None else None
    if survey is None:
        raise NotFoundException()
    if not may_approve_texts(current_staff(request), survey):
        raise PermissionDeniedException()
    return survey


def _text_keys(asked: list[Asked]) -> tuple[list[str], list[str]]:
    """The questions whose texts may be approved: text questions and choices with an "other" option
    (never a personal question's: those are never public)."""
    text_keys = [a.key for a in asked if a.kind in TEXT_KINDS and not a.question.personal]
    other_keys = [
        a.key for a in asked if a.kind in CHOICE_KINDS and a.other is not None and not a.question.personal
    ]
    return text_keys, other_keys


@get("/surveys/{survey_id:str}/texts", guards=[staff_guard], opt=SURVEY_STAFF, sync_to_thread=True)
def texts_page(request: Request[Any, Any, Any], survey_id: FromPath[str]) -> Response[str]:
    services = services_of(request)
    t = page_of(request).t
    config = services.settings.hant_conversion
    words = words_of(t.locale, config)
    show = request.query_params.get("show", "waiting")
    show = show if show in ("waiting", "approved") else "waiting"
    page = max(1, whole_number(str(request.query_params.get("page", "1"))) or 1)
    with Session(services.engine, expire_on_commit=False) as session:
        survey = _texts_survey(session, request, survey_id)
        _versions, asked = asked_in(session, survey)
        text_keys, other_keys = _text_keys(asked)
        where = and_(
            col(SurveyAnswer.survey_id) == survey.id,
            col(SurveyAnswer.text) != "",
            col(SurveyAnswer.question).in_(text_keys + other_keys),
            col(SurveyAnswer.approved).is_(show == "approved"),
        )
        total = int(session.exec(select(func.count()).select_from(SurveyAnswer).where(where)).one())
        answers = list(
            session.exec(
                select(SurveyAnswer)
                .where(where)
                .order_by(col(SurveyAnswer.id).desc())
                .offset((page - 1) * TEXTS_PER_PAGE)
                .limit(TEXTS_PER_PAGE)
            )
        )
    by_key = {a.key: a for a in asked}
    rows = [
        {
            "answer": answer,
            "question": words(by_key[answer.question].question.text) or answer.question,
            "other": answer.question in other_keys,
            "masked": public_text(answer.text),
        }
        for answer in answers
    ]
    return render(
        request,
        "surveys/staff_texts.html",
        {
            **staff_context(request),
            "survey": survey,
            "title": _title(survey, t.locale, config),
            "rows": rows,
            "show": show,
            "total": total,
            "page_number": page,
            "pages": max(1, -(-total // TEXTS_PER_PAGE)),
            "saved": APPROVAL_SAVED.get(str(request.query_params.get("saved", "")), ""),
            "public_results": public(survey),
        },
    )


@post("/surveys/{survey_id:str}/texts", guards=[staff_guard], opt=SURVEY_STAFF)
async def approve_text(request: Request[Any, Any, Any], survey_id: FromPath[str]) -> Response[Any]:
    form = await request.form()
    return await in_thread(
        _approve_text, request, survey_id, str(form.get("answer", "")), str(form.get("action", "")),
        str(form.get("show", "waiting")),
    )  # fmt: skip


def _approve_text(
    request: Request[Any, Any, Any], survey_id: str, answer_id: str, action: str, show: str
) -> Response[Any]:
    services = services_of(request)
    with Session(services.engine, expire_on_commit=False) as session:
        survey = _texts_survey(session, request, survey_id)
        _versions, asked = asked_in(session, survey)
        text_keys, other_keys = _text_keys(asked)
        number = whole_number(answer_id)
        answer = session.get(SurveyAnswer, number) if number is not None else None
        if (
            answer is None
            or answer.survey_id != survey.id
            or answer.question not in text_keys + other_keys
            or not answer.text
            or action not in ("approve", "unapprove")
        ):
            raise NotFoundException()
        answer.approved = action == "approve"
        session.add(answer)
        audit(
            session,
            current_staff(request),
            "survey_text_approved" if answer.approved else "survey_text_unapproved",
            address=client_address(request),
            detail=f"survey {survey.slug} answer {answer.id} ({answer.question})",
        )
        session.commit()
    request.app.state.page_cache.forget_everywhere()
    show = show if show in ("waiting", "approved") else "waiting"
    saved = "approved" if action == "approve" else "unapproved"
    return Redirect(f"/staff/surveys/{survey_id}/texts?show={show}&saved={saved}", status_code=303)


route_handlers = [results_page, results_csv, results_json, summary_csv]
texts_router = Router(
    path="/staff", route_handlers=[texts_page, approve_text], middleware=[StaffCookieMiddleware]
)
