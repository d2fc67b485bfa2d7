from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, select

from portal.places.models import GridCell
from portal.places.service import GridIndex
from portal.services import Services


def test_every_cell_finds_itself(db: Session) -> None:
    cells = list(db.exec(select(GridCell)))
    assert len(cells) >= 40
    index = GridIndex(cells)
    for cell in cells:
        ring = json.loads(cell.boundary)["coordinates"][0]
        lng = sum(p[0] for p in ring[:-1]) / (len(ring) - 1)
        lat = sum(p[1] for p in ring[:-1]) / (len(ring) - 1)
        found = index.locate(lat, lng)
        assert found is not None and found.grid_id == cell.id and found.street_id == cell.street_id


def test_points_outside_the_district_match_nothing(services: Services) -> None:
    assert services.locator.locate(39.9042, 116.4074) is None  # Beijing
    assert services.locator.locate(24.45, 118.08) is None  # Xiamen Island, not Jimei


def test_another_instances_grid_change_is_seen_within_the_ttl(engine: Any, monkeypatch: Any) -> None:
    """Two instances: the one that did not save the change notices it once its copy is old."""
    from portal.places import service as places

    clock = [1000.0]
    monkeypatch.setattr(places.time, "monotonic", lambda: clock[0])
    other = places.GridLocator(engine, ttl=60)
    before = other.index()
    assert other.index() is before  # fresh: no reload
    clock[0] += 61
    assert other.index() is not before  # old: read again, so an edit elsewhere shows up
