"""Consistency checks for the demonstration data in portal.demo_data."""

from __future__ import annotations

import itertools
import re

import pytest
from shapely.geometry import Point, Polygon
from shapely.ops import unary_union

from portal import demo_data as dd

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
HAN_RE = re.compile(r"[\u4e00-\u9fff]")

STREET_SLUGS = {s.slug for s in dd.STREETS}
COMMUNITY_STREET = {c.slug: s.slug for s in dd.STREETS for c in s.communities}
DEPARTMENT_SLUGS = {d.slug for d in dd.DEPARTMENTS}
GROUP_SLUGS = {g.slug for g in dd.CATEGORY_GROUPS}
CATEGORY_SLUGS = {c.slug for c in dd.CATEGORIES}


@pytest.fixture(scope="module")
def cells() -> list[dd.DemoGridCell]:
    return dd.grid_cells()


@pytest.fixture(scope="module")
def polygons(cells: list[dd.DemoGridCell]) -> list[Polygon]:
    return [Polygon(c.polygon) for c in cells]


def _all_names() -> list[dd.Names]:
    names = [s.names for s in dd.STREETS]
    names += [c.names for s in dd.STREETS for c in s.communities]
    names += [d.names for d in dd.DEPARTMENTS]
    names += [g.names for g in dd.CATEGORY_GROUPS]
    names += [c.names for c in dd.CATEGORIES] + [c.hints for c in dd.CATEGORIES]
    return names


# --- places ---------------------------------------------------------------


def test_six_streets_with_three_names() -> None:
    assert len(dd.STREETS) == 6
    assert {s.names.zh_Hans for s in dd.STREETS} == {
        "集美街道",
        "侨英街道",
        "杏林街道",
        "杏滨街道",
        "灌口镇",
        "后溪镇",
    }
    assert {s.names.zh_Hant for s in dd.STREETS} == {
        "集美街道",
        "僑英街道",
        "杏林街道",
        "杏濱街道",
        "灌口鎮",
        "後溪鎮",
    }
    for street in dd.STREETS:
        assert street.names.en.isascii() and street.names.en.strip()


def test_every_name_has_three_locales() -> None:
    for names in _all_names():
        assert names.zh_Hans.strip() and HAN_RE.search(names.zh_Hans), names
        assert names.zh_Hant.strip() and HAN_RE.search(names.zh_Hant), names
        assert names.en.strip() and names.en.isascii(), names


def test_communities() -> None:
    slugs = [c.slug for s in dd.STREETS for c in s.communities]
    assert len(slugs) == len(set(slugs)), "community slugs must be unique across streets"
    assert len(STREET_SLUGS) == len(dd.STREETS)
    for street in dd.STREETS:
        assert 2 <= len(street.communities) <= 4
        assert 117.93 <= street.lng <= 118.13 and 24.55 <= street.lat <= 24.72
        for community in street.communities:
            assert community.names.zh_Hans.endswith("社区")
            # near their street's centre (within ~5 km)
            assert abs(community.lat - street.lat) < 0.05 and abs(community.lng - street.lng) < 0.05


# --- departments and categories -------------------------------------------


def test_departments() -> None:
    assert 7 <= len(dd.DEPARTMENTS) <= 10
    assert len(DEPARTMENT_SLUGS) == len(dd.DEPARTMENTS)


def test_category_groups() -> None:
    assert 5 <= len(dd.CATEGORY_GROUPS) <= 7
    assert len(GROUP_SLUGS) == len(dd.CATEGORY_GROUPS)
    for group in dd.CATEGORY_GROUPS:
        assert group.icon in dd.ICONS


def test_categories_reference_existing_things() -> None:
    assert 12 <= len(dd.CATEGORIES) <= 15
    assert len(CATEGORY_SLUGS) == len(dd.CATEGORIES)
    for category in dd.CATEGORIES:
        assert category.group in GROUP_SLUGS, category.slug
        assert category.department in DEPARTMENT_SLUGS, category.slug
        assert category.icon in dd.ICONS, category.slug
        assert 2 <= category.response_hours <= 24
        assert 1 <= category.resolution_days <= 15
    assert {c.group for c in dd.CATEGORIES} == GROUP_SLUGS, "every group has a category"


# --- grid cells --------------------------------------------------------------


def test_grid_is_deterministic(cells: list[dd.DemoGridCell]) -> None:
    assert dd.grid_cells() == cells


def test_grid_cells_codes_and_references(cells: list[dd.DemoGridCell]) -> None:
    assert len(cells) >= 40
    codes = [c.code for c in cells]
    assert len(codes) == len(set(codes))
    for cell in cells:
        assert re.fullmatch(r"JM-\d{2}-\d{2}", cell.code)
        assert cell.street in STREET_SLUGS
        assert COMMUNITY_STREET[cell.community] == cell.street


def test_grid_polygons_valid(cells: list[dd.DemoGridCell], polygons: list[Polygon]) -> None:
    for cell, poly in zip(cells, polygons, strict=True):
        assert cell.polygon[0] == cell.polygon[-1], cell.code
        assert len(cell.polygon) >= 4
        assert poly.is_valid and poly.area > 0, cell.code
        for lng, lat in cell.polygon:
            assert 117.9 <= lng <= 118.2 and 24.5 <= lat <= 24.75


def test_grid_cells_do_not_overlap(polygons: list[Polygon]) -> None:
    for a, b in itertools.combinations(polygons, 2):
        assert a.intersection(b).area < 1e-12


def test_grid_has_no_gaps(polygons: list[Polygon]) -> None:
    union = unary_union(polygons)
    assert union.geom_type == "Polygon"
    assert len(union.interiors) == 0
    assert union.area == pytest.approx(sum(p.area for p in polygons), rel=1e-9)
    assert union.area == pytest.approx(union.envelope.area, rel=1e-9)


def test_every_community_has_a_cell(cells: list[dd.DemoGridCell]) -> None:
    assert {c.community for c in cells} == set(COMMUNITY_STREET)


def test_grid_covers_street_centres(cells: list[dd.DemoGridCell], polygons: list[Polygon]) -> None:
    union = unary_union(polygons)
    for street in dd.STREETS:
        centre = Point(street.lng, street.lat)
        assert union.covers(centre), street.slug
        owners = {c.street for c, p in zip(cells, polygons, strict=True) if p.covers(centre)}
        assert street.slug in owners, street.slug


# --- tickets ---------------------------------------------------------------


def test_ticket_references() -> None:
    assert 50 <= len(dd.TICKETS) <= 70
    for t in dd.TICKETS:
        assert t.category in CATEGORY_SLUGS
        assert t.street in STREET_SLUGS
        assert COMMUNITY_STREET.get(t.community) == t.street, t.description


def test_ticket_spread() -> None:
    assert {t.street for t in dd.TICKETS} == STREET_SLUGS
    assert {t.category for t in dd.TICKETS} == CATEGORY_SLUGS
    private = sum(not t.public for t in dd.TICKETS)
    assert 0.08 <= private / len(dd.TICKETS) <= 0.25


def test_ticket_statuses() -> None:
    statuses = [t.status for t in dd.TICKETS]
    assert set(statuses) <= set(dd.STATUSES)
    assert set(statuses) == set(dd.STATUSES), "each status appears"


def test_ticket_phones_and_reporters() -> None:
    for t in dd.TICKETS:
        assert t.reporter_phone == "" or PHONE_RE.match(t.reporter_phone), t.reporter_phone
    assert any(t.reporter_phone == "" for t in dd.TICKETS)
    assert any(t.reporter_name == "" for t in dd.TICKETS)


def test_ticket_fields() -> None:
    for t in dd.TICKETS:
        assert 20 <= len(t.description) <= 150, t.description
        assert t.address.strip()
        assert 0 <= t.days_ago <= 90
        if t.status in {"in_progress", "resolved", "closed"}:
            assert t.progress_note, t.description
        else:
            assert t.progress_note == "", t.description
        if t.status in {"resolved", "closed"}:
            assert t.resolution_note, t.description
        else:
            assert t.resolution_note == "", t.description
        if t.status == "rejected":
            assert t.reject_reason, t.description
        else:
            assert t.reject_reason == "", t.description


def test_mostly_simplified_chinese_descriptions() -> None:
    chinese = sum(bool(HAN_RE.search(t.description)) for t in dd.TICKETS)
    assert chinese >= 0.8 * len(dd.TICKETS)


def test_no_markup_in_what_a_visitor_reads() -> None:
    """Attack strings belong in tests, not in the text a visitor of the demonstration reads."""
    for t in dd.TICKETS:
        for text in (t.description, t.address, t.progress_note, t.resolution_note, t.reject_reason):
            assert not re.search(r"[<>]|script|javascript:", text, re.IGNORECASE), text


# --- loaded as a visitor meets it -------------------------------------------


def test_loaded_demo_is_settled_with_the_clock(engine, services) -> None:  # type: ignore[no-untyped-def]
    """The first deadline sweep after `portal demo` finds nothing to do: the orders the sweep would
    have issued are already in the history, rating windows that ended are closed, and the figures a
    visitor sees do not change a few minutes after the portal starts."""
    from sqlmodel import Session, select

    from portal.demo import load_reference_data, load_tickets
    from portal.dispatch.models import SupervisionOrder
    from portal.jobs import run_jobs
    from portal.tickets.models import Ticket, TicketEvent

    with Session(engine, expire_on_commit=False) as session:
        made = load_tickets(session, load_reference_data(session), services.media)
        session.commit()
        assert made == len(dd.TICKETS)
        before = {t.code: (t.status, t.version) for t in session.exec(select(Ticket))}
        orders = list(session.exec(select(SupervisionOrder)))
        events = list(session.exec(select(TicketEvent).order_by(TicketEvent.ticket_id, TicketEvent.seq)))

    summary = run_jobs(services, photos=False)
    assert "0 supervision order(s) issued; 0 ticket(s) closed unrated" in summary

    with Session(engine) as session:
        after = {t.code: (t.status, t.version) for t in session.exec(select(Ticket))}
    assert after == before
    # A calm district: no supervision order is still open, and every timeline reads in order of time.
    assert all(order.status != "open" for order in orders)
    for earlier, later in itertools.pairwise(events):
        if earlier.ticket_id == later.ticket_id:
            assert earlier.at <= later.at


def test_readme_lists_every_demo_account() -> None:
    from pathlib import Path

    from portal.demo import DEMO_STAFF

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for username in [s[0] for s in DEMO_STAFF] + [f"dept-{d.slug}" for d in dd.DEPARTMENTS]:
        assert f"| `{username}` |" in readme, username
