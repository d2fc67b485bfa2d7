"""The resident's pages: report, confirmation, the ticket's public page, tracking and the board."""

from __future__ import annotations

import hashlib
import time
from typing import Any

import segno
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect
from markupsafe import Markup
from sqlmodel import Session

from portal import access, numbers
from portal.contact import last_four, mask_name, mask_phone, mask_phones_in_text, normalize_mobile
from portal.directory.service import Reference
from portal.dispatch.notes import describe_public_update
from portal.evaluation.models import EVALUATION_KINDS, LEVELS, SOLVED
from portal.evaluation.service import rounds_of
from portal.i18n import N_, Translator
from portal.media import (
    MAX_PHOTOS,
    ProcessedPhoto,
    read_one_upload,
)
from portal.progress import service as progress_service
from portal.progress import texts
from portal.progress.texts import typed_text
from portal.security import RateLimit, sign_value, unsign_value
from portal.services import (
    DigitsClosed,
    Services,
    digits_closed,
    limit_guessing,
    limit_key,
    public_base_url,
    rate_limit,
    services_of,
)
from portal.settings import Settings
from portal.templating import cached_or_rendered, render, render_and_cache
from portal.tickets import confirm, service
from portal.tickets.codes import new_form_key, normalize_code, valid_form_key
from portal.tickets.forms import (
    LAT_RANGE,
    LNG_RANGE,
    FormErrors,
    ReportInput,
    check_description,
    check_location,
    check_phone,
    clean_text,
    parse_coordinate,
    validate_report,
)
from portal.tickets.lifecycle import ACTION_LABELS, OPEN_STATUSES, STATUS_LABELS, Action, Status
from portal.tickets.models import Ticket, TicketEvent
from portal.tickets.service import PHOTO_SOURCES
from portal.web import TAKES_PHOTOS, in_thread, is_htmx, page_of

KEPT_PHOTOS = "kept-photos"
LAST_REPORT = "last-report"
LAST_REPORT_SECONDS = 15 * 60
RECEIPT = "receipt"
RECEIPT_SECONDS = 2 * 3600  # the receipt's details show in the browser that sent the report, for a while
MAX_RECEIPTS = 10
NO_STORE = {"Cache-Control": "no-store"}


# --- reporting -------------------------------------------------------------------------------


def _report_page(
    request: Request[Any, Any, Any],
    services: Services,
    raw: ReportInput,
    errors: FormErrors | None = None,
    kept: list[dict[str, Any]] | None = None,
    *,
    status_code: int = 200,
) -> Response[str]:
    reference = services.reference.get()
    t = page_of(request).t
    return render(
        request,
        "report/form.html",
        {
            "form": raw,
            "errors": errors.translated(t) if errors else {},
            "groups": reference.grouped_categories(),
            "streets": [(s, reference.communities_of(s)) for s in reference.streets],
            "kept": kept or [],
            "max_photos": MAX_PHOTOS,
            "similar": _similar_for(services, raw),
        },
        status_code=status_code,
    )


def _similar_for(services: Services, raw: ReportInput) -> list[Ticket]:
    """Without JavaScript the similar tickets appear when the form comes back with a message."""
    reference = services.reference.get()
    category = reference.category_by_slug.get(raw.category)
    if category is None:
        return []
    grid = None
    if raw.lat and raw.lng:
        lat = parse_coordinate(raw.lat, LAT_RANGE)
        lng = parse_coordinate(raw.lng, LNG_RANGE)
        grid = services.locator.locate(lat, lng) if lat is not None and lng is not None else None
    community = reference.community_by_slug.get(raw.community)
    if grid is None and community is None:
        return []
    with Session(services.engine) as session:
        return service.similar_open_tickets(
            session,
            category.id or 0,
            grid_id=grid.grid_id if grid else None,
            community_id=community.id if community else None,
        )


@get("/report", sync_to_thread=False)
def report_form(request: Request[Any, Any, Any]) -> Response[str]:
    services = services_of(request)
    raw = ReportInput(form_key=new_form_key(services.settings.secret_key))
    raw.category = request.query_params.get("category", "")
    return _report_page(request, services, raw)


def _raw_from_form(form: Any) -> ReportInput:
    def text(name: str) -> str:
        value = form.get(name, "")
        return value if isinstance(value, str) else ""

    return ReportInput(
        form_key=text("form_key"),
        category=text("category"),
        description=text("description"),
        lat=text("lat"),
        lng=text("lng"),
        community=text("community"),
        address=text("address"),
        name=text("name"),
        phone=text("phone"),
        visibility=text("visibility") or "public",
        kept_photos=text("kept_photos"),
    )


TOO_MANY_PHOTOS = N_("You can add up to four photos.")
OVER_10_MB = N_("This photo is larger than 10 MB. Choose a smaller one or take a new photo.")


async def read_uploads(form: Any) -> list[ProcessedPhoto | str]:
    """The chosen photos, each checked and shrunk by the photo workers, or the message id saying why
    not. A file over the size limit is read no further than that; files after the fourth are not read."""
    uploads: list[ProcessedPhoto | str] = []
    for item in form.getall("photos", []):
        if not isinstance(item, UploadFile) or not item.filename:
            continue
        if len(uploads) == MAX_PHOTOS:
            uploads.append(TOO_MANY_PHOTOS)
            break
        if (read := await read_one_upload(item, OVER_10_MB)) is not None:
            uploads.append(read)
    return uploads


@post("/report", opt={TAKES_PHOTOS: True})
async def report_submit(request: Request[Any, Any, Any]) -> Response[Any]:
    services = services_of(request)
    rate_limit(request, services, "report")
    form = await request.form()
    raw = _raw_from_form(form)
    uploads = await read_uploads(form)
    return await in_thread(_handle_report, request, services, raw, uploads)


def _kept_photos(services: Services, raw: ReportInput, errors: FormErrors) -> list[dict[str, Any]]:
    """The photos an earlier try of this form kept. One that is gone (the form was left for days and
    the unused-photo cleanup removed it) is reported, never dropped without a word."""
    payload = unsign_value(services.settings.secret_key, KEPT_PHOTOS, raw.kept_photos)
    if not isinstance(payload, list):
        return []
    entries = [p for p in payload if isinstance(p, dict)][:MAX_PHOTOS]
    kept = [p for p in entries if services.media.keep(str(p.get("d", "")))]
    if len(kept) < len(entries):
        errors.add("photos", N_("Your earlier photos are no longer kept. Please choose them again."))
    return kept


def store_uploads(
    services: Services, uploads: list[ProcessedPhoto | str], kept: list[dict[str, Any]], errors: FormErrors
) -> None:
    """Keep every good photo, so a resident fixing another field need not choose them again."""
    t_errors: list[str] = []
    for processed in uploads:
        if len(kept) >= MAX_PHOTOS:
            errors.add("photos", TOO_MANY_PHOTOS)
            break
        if isinstance(processed, str):
            t_errors.append(processed)
            continue
        services.media.save(processed)
        kept.append({"d": processed.digest, "w": processed.width, "h": processed.height})
    if t_errors:
        errors.add("photos", t_errors[0])


def _handle_report(
    request: Request[Any, Any, Any], services: Services, raw: ReportInput, uploads: list[ProcessedPhoto | str]
) -> Response[Any]:
    settings = services.settings
    errors = FormErrors()
    if not valid_form_key(settings.secret_key, raw.form_key):
        raw.form_key = new_form_key(settings.secret_key)
        errors.add("form", N_("This form had expired. Check your report and send it again."))

    kept = _kept_photos(services, raw, errors)
    store_uploads(services, uploads, kept, errors)
    reference = services.reference.get()
    clean = validate_report(
        raw,
        categories=reference.category_by_slug,
        communities=reference.community_by_slug,
        locator=services.locator,
        errors=errors,
    )
    fingerprint = _fingerprint(raw)
    with Session(services.engine, expire_on_commit=False) as session:
        # Before the checks: after Back the browser may have lost the community chosen, and the
        # resident should find the report they sent, not a complaint about the place.
        earlier = _same_report_just_sent(request, services, session, fingerprint)
    if earlier is not None:
        return Redirect(f"/report/done?key={earlier.submission_key}&again=1", status_code=303)
    if errors or clean is None:
        raw.kept_photos = sign_value(settings.secret_key, KEPT_PHOTOS, kept) if kept else ""
        return _report_page(request, services, raw, errors, kept, status_code=422)

    photos = [service.StoredPhoto(p["d"], int(p["w"]), int(p["h"])) for p in kept]
    locale = page_of(request).locale
    with Session(services.engine, expire_on_commit=False) as session:
        if (
            clean.phone
            and service.find_by_key(session, raw.form_key) is None
            and _phone_used_too_often(services, clean.phone)
        ):
            errors.add(
                "phone",
                N_("This number was given with many reports today. Leave it out, or try again tomorrow."),
            )
            raw.kept_photos = sign_value(settings.secret_key, KEPT_PHOTOS, kept) if kept else ""
            return _report_page(request, services, raw, errors, kept, status_code=422)
        ticket, created = service.submit_report(session, clean, photos, key=raw.form_key, locale=locale)
        session.commit()
    if created and ticket.reporter_phone:
        t = page_of(request).t
        base = public_base_url(request)
        text = (
            t.gettext(
                "Jimei: report %(code)s received. Follow it at %(link)s",
                code=ticket.code,
                link=f"{base}/t/{ticket.code}",
            )
            if base
            else t.gettext("Jimei: report %(code)s received. Keep this code to follow it.", code=ticket.code)
        )
        services.sms.send(ticket.reporter_phone, text)
    response: Response[Any] = Redirect(
        f"/report/done?key={raw.form_key}" + ("" if created else "&again=1"), status_code=303
    )
    if created or _sent_from_here(request, settings.secret_key, ticket):
        # A replayed form key (from another browser's history, say) only learns the code again.
        access.grant(request, response, settings, ticket.code)
        _keep_receipt(request, response, settings, ticket)
        response.set_cookie(
            LAST_REPORT,
            sign_value(settings.secret_key, LAST_REPORT, {"k": ticket.submission_key, **fingerprint}),
            max_age=LAST_REPORT_SECONDS,
            httponly=True,
            samesite="lax",
            secure=settings.secure_cookies,
        )
    return response


def _receipts(request: Request[Any, Any, Any], secret: str) -> dict[str, int]:
    """The form keys of the reports this browser sent lately, with when their receipts expire."""
    payload = unsign_value(secret, RECEIPT, request.cookies.get(RECEIPT))
    if not isinstance(payload, dict):
        return {}
    now = time.time()
    return {str(k): int(v) for k, v in payload.items() if isinstance(v, int) and v > now}


def _sent_from_here(request: Request[Any, Any, Any], secret: str, ticket: Ticket) -> bool:
    return ticket.submission_key in _receipts(request, secret)


def _keep_receipt(
    request: Request[Any, Any, Any], response: Response[Any], settings: Settings, ticket: Ticket
) -> None:
    receipts = _receipts(request, settings.secret_key)
    receipts.setdefault(ticket.submission_key, int(time.time() + RECEIPT_SECONDS))
    newest = dict(sorted(receipts.items(), key=lambda item: item[1])[-MAX_RECEIPTS:])
    response.set_cookie(
        RECEIPT,
        sign_value(settings.secret_key, RECEIPT, newest),
        max_age=RECEIPT_SECONDS,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/report",
    )


def _phone_used_too_often(services: Services, phone: str) -> bool:
    """The reporter's own number is not confirmed by a code (that would lose reports whose SMS is
    late), so that nobody can flood someone else's phone with reports, a number serves a few a day."""
    limit = services.settings.rate_limits["report_phone"]
    return not services.limiter.hit(
        "report_phone", confirm.phone_limit_key(services.settings.secret_key, phone), limit
    ).allowed


def _fingerprint(raw: ReportInput) -> dict[str, str]:
    """The report's words (kind and description) and its place, each as a short digest."""

    def digest(*parts: str) -> str:
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32] if any(parts) else ""

    words = digest(raw.category, " ".join(clean_text(raw.description, multiline=True).split()))
    place = digest(raw.lat, raw.lng, raw.community, " ".join(clean_text(raw.address).split()))
    return {"f": words, "p": place}


def _same_report_just_sent(
    request: Request[Any, Any, Any], services: Services, session: Session, fingerprint: dict[str, str]
) -> Ticket | None:
    """Back, then send again, gives the form a fresh key with the same words, and the browser may
    have lost the place chosen: the first ticket stands. The same words for another place (two
    broken lamps) are a new report."""
    last = unsign_value(services.settings.secret_key, LAST_REPORT, request.cookies.get(LAST_REPORT))
    if not isinstance(last, dict) or last.get("f") != fingerprint["f"]:
        return None
    if fingerprint["p"] and last.get("p") != fingerprint["p"]:
        return None
    return service.find_by_key(session, str(last.get("k", "")))


def qr_svg(url: str, *, scale: int = 4) -> Markup:
    qr = segno.make(url, error="m")
    return Markup(qr.svg_inline(scale=scale, dark="#000", light="#fff", omitsize=False))  # noqa: S704


@get("/report/done", sync_to_thread=True)
def report_done(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[Session],
    key: FromQuery[str] = "",
    again: FromQuery[str] = "",
) -> Response[str]:
    services = services_of(request)
    ticket = (
        service.find_by_key(db_session, key) if valid_form_key(services.settings.secret_key, key) else None
    )
    if ticket is None:
        raise NotFoundException()
    base = public_base_url(request)
    url = f"{base}/t/{ticket.code}" if base else ""
    mine = _sent_from_here(request, services.settings.secret_key, ticket)
    return render(
        request,
        "report/done.html",
        {
            "ticket": ticket,
            "again": bool(again),
            "mine": mine,
            "ticket_url": url,
            "qr": qr_svg(url, scale=5) if url else "",
            "photos": service.photos_of(db_session, ticket, approved_only=False) if mine else [],
        },
        headers=NO_STORE,
    )


@get("/report/check", sync_to_thread=False)
def report_check(request: Request[Any, Any, Any], field: FromQuery[str] = "") -> Response[str]:
    """Inline validation of one field while the resident types (htmx sends the field under its own name)."""
    checks = {"description": check_description, "phone": check_phone}
    check = checks.get(field)
    value = request.query_params.get(field, "")[:4000] if check else ""
    problem = check(value) if check else None
    t = page_of(request).t
    return render(
        request,
        "components/_field_error.html",
        {
            "field_id": field if check else "unknown",
            "message": t.gettext(problem) if problem else "",
        },
    )


@get("/report/locate", sync_to_thread=True)
def report_locate(
    request: Request[Any, Any, Any],
    lat: FromQuery[str] = "",
    lng: FromQuery[str] = "",
    community: FromQuery[str] = "",
    category: FromQuery[str] = "",
) -> Response[str]:
    """Where the resident is (from the phone's position), and similar open reports there (htmx)."""
    services = services_of(request)
    reference = services.reference.get()
    raw = ReportInput(lat=lat, lng=lng, community=community, category=category)
    errors = FormErrors()
    grid = None
    if lat or lng:
        found = check_location(raw, reference.community_by_slug, services.locator, errors)
        grid = found[2] if found else None
    t = page_of(request).t
    return render(
        request,
        "report/_location.html",
        {
            "problem": t.gettext(problem) if (problem := errors.messages.get("location")) else "",
            "street": reference.street_by_id.get(grid.street_id) if grid else None,
            "community": reference.community_by_id.get(grid.community_id) if grid else None,
            "grid": grid,
            "similar": [] if errors else _similar_for(services, raw),
        },
    )


# --- the ticket's page -----------------------------------------------------------------------


def ticket_or_404(session: Session, code: str) -> Ticket:
    normal = normalize_code(code)
    ticket = service.find_by_code(session, normal) if normal else None
    if ticket is None:
        raise NotFoundException()
    return ticket


def ticket_context(request: Request[Any, Any, Any], session: Session, ticket: Ticket) -> dict[str, Any]:
    services = services_of(request)
    reference = services.reference.get()
    unlocked = access.has_access(request, services.settings.secret_key, ticket.code)
    t = page_of(request).t
    every = service.timeline(session, ticket)
    locale, config = page_of(request).locale, services.settings.hant_conversion
    notes = {e.id: public_note(t, reference, e) for e in every}
    # What people typed is shown to 繁體 readers converted (and marked); it stays stored as typed.
    typed = {
        e.id: typed_text(notes[e.id] or "", locale, config) for e in every if e.action != Action.UPDATE.value
    }
    notes.update({i: shown.text for i, shown in typed.items() if notes[i]})
    description = typed_text(
        ticket.description if unlocked else mask_phones_in_text(ticket.description), locale, config
    )
    events = [e for e in every if notes[e.id] is not None]
    photos = service.photo_sets(service.photos_of(session, ticket, approved_only=not unlocked), events)
    merged_into = session.get(Ticket, ticket.merged_into_id) if ticket.merged_into_id else None
    return {
        "ticket": ticket,
        "unlocked": unlocked,
        "show_text": ticket.is_public or unlocked,
        "description": description.text,
        "converted": description.converted or any(shown.converted for shown in typed.values()),
        "typed": lambda text: typed_text(text, locale, config).text,
        "category": reference.category_by_id.get(ticket.category_id),
        "street": reference.street_by_id.get(ticket.street_id),
        "community": reference.community_by_id.get(ticket.community_id),
        "department": reference.departments.get(ticket.department_id or 0),
        "departments": reference.departments,  # peer evaluations name their department
        "events": events,
        "public_note_of": lambda event: notes[event.id],
        "photos": photos.reported,
        "event_photos": photos.by_event,
        "PHOTO_SOURCES": PHOTO_SOURCES,
        "is_open": Status(ticket.status) in OPEN_STATUSES,
        "merged_into": merged_into,
        "rounds": rounds_of(session, ticket),
        "LEVELS": LEVELS,
        "SOLVED": SOLVED,
        "EVALUATION_KINDS": EVALUATION_KINDS,
        "masked_name": mask_name(ticket.reporter_name),
        "masked_phone": mask_phone(ticket.reporter_phone) if ticket.reporter_phone else "",
        "can_unlock": bool(ticket.reporter_phone) and not unlocked,
        "STATUS_LABELS": STATUS_LABELS,
        "ACTION_LABELS": ACTION_LABELS,
        "Status": Status,
    }


def public_note(t: Translator, reference: Reference, event: TicketEvent) -> str | None:
    """The step's note as the public timeline shows it; None keeps the step off it: what the public
    cannot see (a photo reviewed, the priority changed) and the "me too" count."""
    if event.action == Action.SUPPORT.value:
        return None
    if event.action == Action.UPDATE.value:
        return describe_public_update(t, reference, event.internal_note) or None
    return event.public_note


@get("/t/{code:str}")
async def ticket_page(request: Request[Any, Any, Any], code: FromPath[str]) -> Response[Any]:
    """The ticket's public page. Its public form comes from the page cache, checked against the
    ticket's version with one indexed read (kept on the event loop: it is cheaper than a thread hop)."""
    services = services_of(request)
    normal = normalize_code(code)
    if normal is None:
        raise NotFoundException()
    if normal != code:
        return Redirect(f"/t/{normal}", status_code=301)
    if access.has_access(request, services.settings.secret_key, normal):
        return await in_thread(_ticket_page, request, services, normal, None)
    version = service.ticket_version(services.reader, normal)
    if version is None:
        raise NotFoundException()
    key = ("ticket", normal, version, services.reference.stamp)
    return await cached_or_rendered(
        request, key, "tickets/page.html", lambda: in_thread(_ticket_page, request, services, normal, key)
    )


def _ticket_page(
    request: Request[Any, Any, Any], services: Services, code: str, key: tuple[Any, ...] | None
) -> Response[Any]:
    with Session(services.engine, expire_on_commit=False) as session:
        ticket = ticket_or_404(session, code)
        context = ticket_context(request, session, ticket)
    if key is None:  # unlocked: the private details must not stay in a shared cache or the back history
        return render(request, "tickets/page.html", context, headers=NO_STORE)
    return render_and_cache(request, key, "tickets/page.html", context)


@get("/t/{code:str}/qr.svg", sync_to_thread=True)
def ticket_qr(
    request: Request[Any, Any, Any], db_session: NamedDependency[Session], code: FromPath[str]
) -> Response[bytes]:
    ticket = ticket_or_404(db_session, code)
    base = public_base_url(request)
    if not base:  # a code pointing wherever the Host header said would be worse than none
        raise NotFoundException()
    svg = str(qr_svg(f"{base}/t/{ticket.code}", scale=8))
    return Response(
        content=('<?xml version="1.0" encoding="utf-8"?>\n' + svg).encode(),
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=86400"},
    )


def _unlock(request: Request[Any, Any, Any], services: Services, ticket: Ticket, digits: str) -> str | None:
    """None when the digits match the reporter's phone; otherwise the message to show."""
    limit_guessing(request, services, ticket.code)
    typed = numbers.digits(clean_text(digits), 4)
    if typed is None:
        return N_("Enter the last four digits of the phone number given with the report.")
    if not ticket.reporter_phone or last_four(ticket.reporter_phone) != typed:
        return N_("Those digits do not match this ticket. Check them and try again.")
    return None


@post("/t/{code:str}/unlock")
async def ticket_unlock(
    request: Request[Any, Any, Any], db_session: NamedDependency[Session], code: FromPath[str]
) -> Response[Any]:
    form = await request.form()
    return await in_thread(_ticket_unlock, request, db_session, code, form)


def _ticket_unlock(
    request: Request[Any, Any, Any], db_session: Session, code: str, form: Any
) -> Response[Any]:
    services = services_of(request)
    ticket = ticket_or_404(db_session, code)
    try:
        problem = _unlock(request, services, ticket, str(form.get("digits", "")))
    except DigitsClosed:
        return _unlock_answer(request, db_session, ticket, closed=True, status_code=429)
    if problem is not None:
        return _unlock_answer(request, db_session, ticket, error=("digits", problem), status_code=422)
    return _granted(request, services, ticket)


def _granted(request: Request[Any, Any, Any], services: Services, ticket: Ticket) -> Response[Any]:
    response: Response[Any] = Redirect(f"/t/{ticket.code}", status_code=303)
    access.grant(request, response, services.settings, ticket.code)
    return response


def _unlock_answer(
    request: Request[Any, Any, Any],
    db_session: Session,
    ticket: Ticket,
    *,
    closed: bool = False,
    note: str = "",
    error: tuple[str, str] | None = None,
    status_code: int = 200,
) -> Response[Any]:
    """The ticket's page with its "is this your report?" section as it stands for this browser."""
    t = page_of(request).t
    context = ticket_context(request, db_session, ticket)
    context.update(
        unlock_closed=closed,
        unlock_note=note,
        unlock_errors={error[0]: t.gettext(error[1])} if error else {},
    )
    return render(request, "tickets/page.html", context, status_code=status_code, headers=NO_STORE)


@post("/t/{code:str}/unlock/sms")
async def ticket_unlock_sms(
    request: Request[Any, Any, Any], db_session: NamedDependency[Session], code: FromPath[str]
) -> Response[Any]:
    """Past the digits' ceiling: text a code to the phone given with the report."""
    return await in_thread(_ticket_unlock_sms, request, db_session, code)


def _ticket_unlock_sms(request: Request[Any, Any, Any], db_session: Session, code: str) -> Response[Any]:
    services = services_of(request)
    ticket = ticket_or_404(db_session, code)
    if not ticket.reporter_phone or not digits_closed(services, ticket.code):
        raise NotFoundException()  # only once the digits are closed: else anyone could text the reporter
    note = confirm.text_code(
        request, services, ticket.reporter_phone, _unlock_subject(ticket),
        N_("Jimei: code %(code)s, to see your report %(ticket)s. Valid 10 minutes. If you did not ask "
           "for it, ignore this message."),
        keep_phone_out=True, ticket=ticket.code,
    )  # fmt: skip
    return _unlock_answer(request, db_session, ticket, closed=True, note=note)


def _unlock_subject(ticket: Ticket) -> str:
    """What an unlocking code is for (a "me too" code, sent to any number, never opens a ticket)."""
    return f"unlock:{ticket.code}"


@post("/t/{code:str}/unlock/code")
async def ticket_unlock_code(
    request: Request[Any, Any, Any], db_session: NamedDependency[Session], code: FromPath[str]
) -> Response[Any]:
    form = await request.form()
    return await in_thread(_ticket_unlock_code, request, db_session, code, form)


def _ticket_unlock_code(
    request: Request[Any, Any, Any], db_session: Session, code: str, form: Any
) -> Response[Any]:
    services = services_of(request)
    secret = services.settings.secret_key
    ticket = ticket_or_404(db_session, code)
    note = str(form.get("note", ""))
    pending = confirm.read(secret, note, phone=ticket.reporter_phone) if ticket.reporter_phone else None
    if pending is None or pending.ticket != _unlock_subject(ticket) or pending.expired:
        expired = N_("This code has expired. Ask for a new one.")
        return _unlock_answer(
            request, db_session, ticket, closed=True, error=("unlock-sms", expired), status_code=422
        )
    checked = confirm.check_code(request, services, pending, str(form.get("code", "")))
    if checked is confirm.Checked.USED:
        return _unlock_answer(
            request, db_session, ticket, closed=True, error=("unlock-sms", confirm.USED_CODE), status_code=422
        )
    if checked is confirm.Checked.WRONG:
        wrong = N_("That is not the code we sent. Check the SMS and try again.")
        return _unlock_answer(
            request, db_session, ticket, closed=True, note=note, error=("unlock-code", wrong), status_code=422
        )
    return _granted(request, services, ticket)


@post("/t/{code:str}/support")
async def ticket_support(
    request: Request[Any, Any, Any], db_session: NamedDependency[Session], code: FromPath[str]
) -> Response[Any]:
    """Me too: count this browser once, and send a code to a phone that wants to follow the ticket."""
    form = await request.form()
    return await in_thread(_ticket_support, request, db_session, code, form)


def _ticket_support(
    request: Request[Any, Any, Any], db_session: Session, code: str, form: Any
) -> Response[Any]:
    services = services_of(request)
    rate_limit(request, services, "support")
    ticket = ticket_or_404(db_session, code)
    raw_phone = clean_text(str(form.get("phone", "")))
    phone = normalize_mobile(raw_phone) if raw_phone else ""
    problem: str | None = None
    if phone is None:
        problem = N_("Enter an 11-digit mainland mobile number, like 13812345678, or leave it empty.")
    elif Status(ticket.status) not in OPEN_STATUSES or not ticket.is_public:
        problem = N_("This ticket is no longer open. If the problem is back, please report it again.")
    if problem is not None or phone is None:
        return _support_answer(request, db_session, ticket, error=("support-phone", problem or ""))
    # A phone given is counted when its code comes back, once per number; without one, once per
    # browser and once a day per address (fresh cookies do not make a new person). The reporter's
    # own browser is counted already.
    counted = not phone and _new_supporter(request, services, ticket)
    if counted:
        service.count_supporter(db_session, ticket)
    notice = (
        ""  # the code form says what happens next
        if phone
        else N_("Thank you. We counted you as another resident with this problem.")
        if counted
        else N_("You already support this ticket: each person counts once.")
    )
    note = _send_confirmation(request, services, ticket, phone) if phone else ""
    if not is_htmx(request) and not note:
        response: Response[Any] = Redirect(
            f"/t/{ticket.code}?supported={'1' if counted else 'again'}", status_code=303
        )
    else:
        response = _support_answer(request, db_session, ticket, notice=notice, note=note, phone=phone)
    if counted:
        access.remember_support(request, response, services.settings, ticket.code)
    return response


SUPPORT_PER_ADDRESS = RateLimit(1, 86400)


def _known_supporter(request: Request[Any, Any, Any], services: Services, ticket: Ticket) -> bool:
    """This browser supports the ticket already, or sent the report."""
    secret = services.settings.secret_key
    return ticket.code in access.supported_codes(request, secret) or access.has_access(
        request, secret, ticket.code
    )


def _new_supporter(request: Request[Any, Any, Any], services: Services, ticket: Ticket) -> bool:
    if _known_supporter(request, services, ticket):
        return False
    key = f"{ticket.code}:{limit_key(request)}"
    return services.limiter.hit("support-ticket", key, SUPPORT_PER_ADDRESS).allowed


def _send_confirmation(
    request: Request[Any, Any, Any], services: Services, ticket: Ticket, phone: str
) -> str:
    """Text a code to the phone that wants to follow the ticket; the note for the form."""
    return confirm.text_code(
        request, services, phone, ticket.code,
        N_("Jimei: code %(code)s, for updates on report %(ticket)s. Valid 10 minutes."), ticket=ticket.code,
    )  # fmt: skip


def _support_answer(
    request: Request[Any, Any, Any],
    db_session: Session,
    ticket: Ticket,
    *,
    notice: str = "",
    note: str = "",
    phone: str = "",
    error: tuple[str, str] | None = None,
) -> Response[Any]:
    """The "me too" section again (for htmx, with the supporter count swapped out of band), or the page."""
    t = page_of(request).t
    context = ticket_context(request, db_session, ticket)
    context.update(
        support_notice=t.gettext(notice) if notice else "",
        confirm_note=note,
        confirm_phone=mask_phone(phone) if phone else "",
        support_errors={error[0]: t.gettext(error[1])} if error else {},
        count_out_of_band=is_htmx(request),
    )
    return render(
        request,
        "tickets/page.html",
        context,
        fragment="tickets/_support.html",
        status_code=422 if error else 200,
        headers=NO_STORE,
    )


@post("/t/{code:str}/support/confirm")
async def ticket_support_confirm(
    request: Request[Any, Any, Any], db_session: NamedDependency[Session], code: FromPath[str]
) -> Response[Any]:
    """The code from the SMS: only now does the phone follow the ticket."""
    form = await request.form()
    return await in_thread(_ticket_support_confirm, request, db_session, code, form)


def _ticket_support_confirm(
    request: Request[Any, Any, Any], db_session: Session, code: str, form: Any
) -> Response[Any]:
    services = services_of(request)
    secret = services.settings.secret_key
    ticket = ticket_or_404(db_session, code)
    note = str(form.get("note", ""))
    pending = confirm.read(secret, note)
    if pending is None or pending.ticket != ticket.code or pending.expired:
        problem = N_("This code has expired. Press “Me too” again for a new one.")
        return _support_answer(request, db_session, ticket, error=("support-phone", problem))
    checked = confirm.check_code(request, services, pending, str(form.get("code", "")))
    if checked is confirm.Checked.USED:
        return _support_answer(request, db_session, ticket, error=("support-phone", confirm.USED_CODE))
    if checked is confirm.Checked.WRONG:
        problem = N_("That is not the code we sent. Check the SMS and try again.")
        return _support_answer(
            request, db_session, ticket, note=note, phone=pending.phone, error=("confirm-code", problem)
        )
    locale = page_of(request).locale
    if _known_supporter(request, services, ticket):
        service.follow(db_session, ticket, pending.phone, locale)
    else:  # counted once per number, however many browsers it confirms from
        service.add_supporter(db_session, ticket, pending.phone, locale)
    notice = N_("Thank you. You now follow this ticket: we will text you when it moves on.")
    if is_htmx(request):
        response = _support_answer(request, db_session, ticket, notice=notice)
    else:
        response = Redirect(f"/t/{ticket.code}?supported=following", status_code=303)
    access.remember_support(request, response, services.settings, ticket.code)
    return response


# --- tracking and the board ------------------------------------------------------------------


@get("/track", sync_to_thread=False)
def track_form(request: Request[Any, Any, Any]) -> Response[str]:
    return render(request, "tickets/track.html", {"code": "", "errors": {}})


@post("/track")
async def track_lookup(
    request: Request[Any, Any, Any], db_session: NamedDependency[Session]
) -> Response[Any]:
    form = await request.form()
    return await in_thread(_track_lookup, request, db_session, form)


def _track_lookup(request: Request[Any, Any, Any], db_session: Session, form: Any) -> Response[Any]:
    services = services_of(request)
    rate_limit(request, services, "track")
    typed = clean_text(str(form.get("code", "")))[:40]
    digits = clean_text(str(form.get("digits", "")))[:10]
    t = page_of(request).t
    normal = normalize_code(typed)
    ticket = service.find_by_code(db_session, normal) if normal else None
    errors: dict[str, str] = {}
    if not typed:
        errors["code"] = t.gettext("Enter the tracking code from your receipt or SMS.")
    elif ticket is None:
        errors["code"] = t.gettext(
            "We could not find a ticket with this code. Check it against your receipt: codes use the letters A–Z (without I and O) and the digits 2–9."
        )
    elif digits and (problem := _unlock(request, services, ticket, digits)) is not None:
        errors["digits"] = t.gettext(problem)
    if errors or ticket is None:
        return render(
            request,
            "tickets/track.html",
            {"code": typed, "digits": digits, "errors": errors},
            status_code=422,
        )
    response: Response[Any] = Redirect(f"/t/{ticket.code}", status_code=303)
    if digits:
        access.grant(request, response, services.settings, ticket.code)
    return response


@get("/tickets")
async def ticket_board(
    request: Request[Any, Any, Any],
    category: FromQuery[str] = "",
    street: FromQuery[str] = "",
    status: FromQuery[str] = "",
    before: FromQuery[str] = "",
    after: FromQuery[str] = "",
    project: FromQuery[str] = "",
) -> Response[str]:
    """The public board, from the page cache while no ticket event has been added since it was rendered
    (and, for a campaign's tickets, ``?project=``, while none was tagged or untagged)."""
    services = services_of(request)
    key: tuple[Any, ...] = ("board", service.newest_event_id(services.reader), services.reference.stamp)
    if project:
        key = (*key, progress_service.tagging_version(services.reader, project[:60]))
    template = "tickets/board.html"
    return await cached_or_rendered(
        request,
        key,
        template,
        lambda: in_thread(
            _ticket_board, request, services, key, category, street, status, before, after, project[:60]
        ),
    )


def _ticket_board(
    request: Request[Any, Any, Any],
    services: Services,
    key: tuple[Any, ...],
    category: str,
    street: str,
    status: str,
    before: str,
    after: str,
    project_slug: str = "",
) -> Response[str]:
    reference = services.reference.get()
    chosen_status = (
        Status(status) if status in {s.value for s in Status} and status != Status.MERGED.value else None
    )
    chosen_street = reference.street_by_slug.get(street)
    with Session(services.engine, expire_on_commit=False) as session:
        project = progress_service.board_project(session, project_slug)
        filters = service.BoardFilters(
            category=reference.category_by_slug.get(category),
            street_id=chosen_street.id if chosen_street else None,
            status=chosen_status,
            tagged=progress_service.tagged_tickets(project.id or 0) if project else None,
            before=service.Position.parse(before[:40]) if before else None,
            after=service.Position.parse(after[:40]) if after and not before else None,
        )
        result = service.board(session, filters)
    locale = page_of(request).locale
    return render_and_cache(
        request,
        key,
        "tickets/board.html",
        {
            "result": result,
            "filters": filters,
            "selected": {
                "category": category if filters.category else "",
                "street": street if chosen_street else "",
                "status": status if chosen_status else "",
                "project": project.slug if project else "",
            },
            "project_title": texts.field(project, "title", locale, services.settings.hant_conversion)
            if project
            else None,
            "reference": reference,
            "groups": reference.grouped_categories(),
            "statuses": [s for s in Status if s != Status.MERGED],
            "STATUS_LABELS": STATUS_LABELS,
            "newer_url": _board_url(request, after=str(result.newer)) if result.newer else None,
            "older_url": _board_url(request, before=str(result.older)) if result.older else None,
            "newest_url": _board_url(request) if result.newer else None,
            "typed": lambda text: typed_text(text, locale, services.settings.hant_conversion).text,
        },
        fragment="tickets/_board_results.html",
    )


def _board_url(
    request: Request[Any, Any, Any], *, before: str | None = None, after: str | None = None
) -> str:
    """The board with the same filters, from another position (none: the newest)."""
    from portal.templating import _query_with

    return _query_with(request, before=before, after=after, page=None)


route_handlers = [
    report_form,
    report_submit,
    report_done,
    report_check,
    report_locate,
    ticket_page,
    ticket_qr,
    ticket_unlock,
    ticket_unlock_sms,
    ticket_unlock_code,
    ticket_support,
    ticket_support_confirm,
    track_form,
    track_lookup,
    ticket_board,
]
