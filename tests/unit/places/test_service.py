from __future__ import annotations

import json

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
