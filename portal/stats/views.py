"""/stats: the public figures with charts and tables, and their CSV and JSON downloads."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any, cast

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from portal.i18n import N_, Translator
from portal.pagecache import LruCache
from portal.services import Services, rate_limit, services_of
from portal.stats import aggregate, charts
from portal.stats.facts import freshness
from portal.stats.figures import DEFINITIONS, Weights
from portal.stats.period import Period, PeriodError, current_month, parse_period, today
from portal.stats.report import (
    FIGURE_COLUMN_NOTES,
    FIGURE_COLUMNS,
    GROUPINGS,
    TICKET_COLUMN_NOTES,
    TICKET_COLUMNS,
    Report,
    build_report,
)
from portal.templating import cached_or_rendered, render, render_and_cache
from portal.web import in_thread, page_of

RATES = (
    ("response_rate", N_("Response rate")),
    ("resolution_rate", N_("Resolution rate")),
    ("satisfaction_rate", N_("Satisfaction rate")),
)


@dataclass(frozen=True)
class Asked:
    """What the reader asked for, read and checked once per request."""

    month: str
    start: str
    end: str
    grouping: str
    period: Period | None
    refusal: str = ""  # the message id when the period makes no sense


def _asked(request: Request[Any, Any, Any]) -> Asked:
    q = request.query_params
    grouping = q.get("by", "department")
    month, start, end = (str(q.get(name, ""))[:20] for name in ("month", "from", "to"))
    grouping = grouping if grouping in GROUPINGS else "department"
    try:
        return Asked(month, start, end, grouping, parse_period(month, start, end))
    except PeriodError as refused:
        return Asked(month, start, end, grouping, None, refused.message)


def _weights(services: Services) -> Weights:
    return Weights(*services.settings.stats_weights)


def _report(services: Services, period: Period, grouping: str, t: Translator) -> Report:
    with services.reader.connect() as connection:
        counted = aggregate.count(connection, period, grouping)
    return build_report(
        counted, period, grouping, services.reference.get(), locale=t.locale, weights=_weights(services),
        district_name=t.gettext(N_("Jimei District")),
    )  # fmt: skip


class ReportCache:
    """Reports by what was asked, each with the freshness stamp it was computed at.

    A report is reused while the data has not changed, or for ``max_age`` seconds after it was
    computed even if it has: on a busy day a new event arrives every few seconds, and a year's
    figures take a second or two to compute. The page says when its figures were computed.
    """

    def __init__(self, max_entries: int = 64) -> None:
        self._entries: LruCache[tuple[Hashable, float, object]] = LruCache(max_entries)

    def stamp_for(self, key: Hashable, current: Hashable, max_age: float) -> Hashable:
        entry = self._entries.get(key)
        if entry is not None and (entry[0] == current or time.monotonic() - entry[1] < max_age):
            return entry[0]
        return current

    def get(self, key: Hashable, stamp: Hashable) -> object | None:
        entry = self._entries.get(key)
        return entry[2] if entry is not None and entry[0] == stamp else None

    def put(self, key: Hashable, stamp: Hashable, report: object) -> None:
        self._entries.put(key, (stamp, time.monotonic(), report))

    def clear(self) -> None:
        self._entries.clear()


def _cached_report(
    request: Request[Any, Any, Any], services: Services, period: Period, grouping: str, stamp: Hashable
) -> Report:
    t = page_of(request).t
    cache: ReportCache = request.app.state.stats_reports
    key = _cache_key("figures", period, grouping, t.locale)
    report = cache.get(key, stamp)
    if report is None:
        rate_limit(request, services, "stats")  # computing is the expensive part: limit it per address
        report = _report(services, period, grouping, t)
        cache.put(key, stamp, report)
    return cast(Report, report)


def _cached_tickets(
    request: Request[Any, Any, Any], services: Services, period: Period, stamp: Hashable
) -> list[dict[str, Any]]:
    cache: ReportCache = request.app.state.stats_tickets  # a few only: a long list takes megabytes
    key = _cache_key("tickets", period, "", "")
    rows = cache.get(key, stamp)
    if rows is None:
        rate_limit(request, services, "stats")
        with services.reader.connect() as connection:
            rows = aggregate.ticket_rows(connection, period, services.reference.get())
        cache.put(key, stamp, rows)
    return cast(list[dict[str, Any]], rows)


def _cache_key(what: str, period: Period | None, grouping: str, locale: str) -> Hashable:
    return (what, period, grouping, locale) if what == "figures" else (what, period)


def _stamp(
    request: Request[Any, Any, Any], services: Services, asked: Asked, what: str = "figures"
) -> Hashable:
    """The freshness stamp the answer is built for: the data's own, or a recent report's."""
    with services.reader.connect() as connection:
        current = freshness(connection)
    cache: ReportCache = (
        request.app.state.stats_tickets if what == "tickets" else request.app.state.stats_reports
    )
    key = _cache_key(what, asked.period, asked.grouping, page_of(request).t.locale)
    return cache.stamp_for(key, current, services.settings.stats_max_age)


@get("/stats")
async def stats_page(request: Request[Any, Any, Any]) -> Response[str]:
    services = services_of(request)
    asked = _asked(request)
    stamp = _stamp(request, services, asked)
    key = ("stats", stamp, services.reference.stamp, today())
    return await cached_or_rendered(
        request, key, "stats/page.html", lambda: in_thread(_stats_page, request, services, key, stamp, asked)
    )


def _stats_page(
    request: Request[Any, Any, Any], services: Services, key: tuple[Any, ...], stamp: Hashable, asked: Asked
) -> Response[str]:
    t = page_of(request).t
    period, grouping = asked.period, asked.grouping
    if period is None:
        form = {"month": asked.month, "from": asked.start, "to": asked.end, "by": grouping}
        refusal: dict[str, Any] = {
            "form": form,
            # the message goes beside the days when the reader gave days, else beside the month
            "errors": {"from" if asked.start or asked.end else "period": t.gettext(asked.refusal)},
            "report": None,
        }
        return render(request, "stats/page.html", {**refusal, **_choices(t)}, status_code=400)
    report = _cached_report(request, services, period, grouping, stamp)
    weights = report.weights
    definitions = _definitions(t, weights)
    league_chart = charts.bar_chart([(row.name, row.composite) for row in report.league])
    month_labels = [
        t.month(m.period.first, "yMMM" if len(report.months) > 12 else "MMM") for m in report.months
    ]
    trend = charts.line_chart(
        month_labels,
        [(t.gettext(label), [getattr(m.tally, field) for m in report.months]) for field, label in RATES],
    )
    form = {
        "month": f"{period.first:%Y-%m}" if period.is_month else "",
        "from": "" if period.is_month else period.first.isoformat(),
        "to": "" if period.is_month else period.last.isoformat(),
        "by": grouping,
    }
    context: dict[str, Any] = {
        "form": form,
        "report": report,
        "definitions": definitions,
        "league_chart": league_chart,
        "trend": trend,
        "month_labels": month_labels,
        "RATES": RATES,
        "query": f"{period.query()}&by={grouping}",
        "computed_at": report.computed_at,
        **_choices(t),
    }
    return render_and_cache(request, key, "stats/page.html", context)


def _definitions(t: Translator, weights: Weights) -> list[tuple[str, str]]:
    """The definitions printed under the figures, in the reader's language, with the weights in force."""
    return [
        (t.gettext(name), t.gettext(text, response=weights.response, resolution=weights.resolution,
                                    satisfaction=weights.satisfaction, total=weights.total))
        for name, text in DEFINITIONS
    ]  # fmt: skip


def _choices(t: Translator) -> dict[str, Any]:
    """The last twelve months for the month picker, newest first."""
    months: list[tuple[str, str]] = []
    first = current_month().first
    for _ in range(12):
        months.append((f"{first:%Y-%m}", t.month(first)))
        first = current_month(first - timedelta(days=1)).first
    return {"months": months}


@get("/stats/columns", sync_to_thread=False)
def stats_columns(request: Request[Any, Any, Any]) -> Response[str]:
    """What every column of the downloads means, for anyone who opens one (the README's table)."""
    t = page_of(request).t
    weights = _weights(services_of(request))
    values = {"response": weights.response, "resolution": weights.resolution,
              "satisfaction": weights.satisfaction, "total": weights.total}  # fmt: skip

    def notes(groups: tuple[tuple[tuple[str, ...], str], ...]) -> list[tuple[tuple[str, ...], str]]:
        return [(columns, t.gettext(text, **values)) for columns, text in groups]

    return render(
        request,
        "stats/columns.html",
        {"figure_columns": notes(FIGURE_COLUMN_NOTES), "ticket_columns": notes(TICKET_COLUMN_NOTES)},
    )


@get("/stats/{name:str}")
async def stats_download(request: Request[Any, Any, Any], name: FromPath[str]) -> Response[Any]:
    services = services_of(request)
    what, _, fmt = name.partition(".")
    if what not in {"figures", "tickets"} or fmt not in {"csv", "json"}:
        raise NotFoundException()
    asked = _asked(request)
    return await in_thread(
        _download, request, services, what, fmt, asked, _stamp(request, services, asked, what)
    )


def _download(
    request: Request[Any, Any, Any], services: Services, what: str, fmt: str, asked: Asked, stamp: Hashable
) -> Response[Any]:
    t = page_of(request).t
    period, grouping = asked.period, asked.grouping
    if period is None:
        message = t.gettext(asked.refusal)
        if fmt == "json":
            return _json({"error": message}, status=400)
        return Response(message + "\n", status_code=400, media_type="text/plain")  # Litestar adds the charset
    stem = f"jimei-{what}-{period.first.isoformat()}-{period.last.isoformat()}"
    if what == "figures":
        report = _cached_report(request, services, period, grouping, stamp)
        rows = [row.values() for row in report.figure_rows()]
        columns: tuple[str, ...] = FIGURE_COLUMNS
        meta: dict[str, Any] = {
            "weights": {"response": report.weights.response, "resolution": report.weights.resolution,
                        "satisfaction": report.weights.satisfaction},
            "grouping": grouping,
            "definitions": [{"name": name, "text": text} for name, text in _definitions(t, report.weights)],
        }  # fmt: skip
    else:
        rows = _cached_tickets(request, services, period, stamp)
        columns, meta = TICKET_COLUMNS, {}
    if fmt == "json":
        body = {"period": {"first_day": period.first.isoformat(), "last_day": period.last.isoformat()},
                **meta, "rows": [{c: _json_value(row[c]) for c in columns} for row in rows]}  # fmt: skip
        return _json(body, filename=f"{stem}.json")
    return _csv(columns, rows, filename=f"{stem}.csv")


def _json_value(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def _json(body: Any, *, status: int = 200, filename: str | None = None) -> Response[bytes]:
    headers = {"Content-Disposition": f'inline; filename="{filename}"'} if filename else {}
    data = json.dumps(body, ensure_ascii=False, indent=1).encode()
    return Response(data, status_code=status, media_type="application/json", headers=headers)


def _csv(columns: tuple[str, ...], rows: list[dict[str, Any]], *, filename: str) -> Response[bytes]:
    """UTF-8 with a byte-order mark, so that spreadsheet programs read the Chinese names correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(row[c]) for c in columns])
    return Response(
        buffer.getvalue().encode("utf-8-sig"),
        media_type="text/csv",  # Litestar adds "; charset=utf-8" to every text/ type
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """One cell as text. A text that a spreadsheet would run as a formula (an admin can name a
    department ``=HYPERLINK(...)``) gets a leading apostrophe; numbers, negative ones too, stay numbers."""
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    return str(value)


route_handlers = [stats_page, stats_columns, stats_download]
