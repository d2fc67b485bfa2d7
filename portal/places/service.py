"""Finding the grid cell, community and street of a point, and listing places for forms."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass

from shapely import STRtree
from shapely.geometry import Point, shape
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from portal.cluster import REFERENCE, StampWatch
from portal.places.models import GridCell


@dataclass(frozen=True)
class GridMatch:
    grid_id: int
    grid_code: str
    community_id: int
    street_id: int


class GridIndex:
    """An in-memory spatial index of the grid cells' polygons (708 in Jimei: small, fast to build)."""

    def __init__(self, cells: list[GridCell]) -> None:
        self._cells = cells
        self._polygons = [shape(json.loads(cell.boundary)) for cell in cells]
        self._tree = STRtree(self._polygons) if self._polygons else None

    def locate(self, lat: float, lng: float) -> GridMatch | None:
        if self._tree is None:
            return None
        point = Point(lng, lat)
        hits = self._tree.query(point, predicate="intersects")
        if len(hits) == 0:
            return None
        cell = self._cells[int(min(hits))]  # a point on a shared edge goes to the first cell, every time
        assert cell.id is not None
        return GridMatch(cell.id, cell.code, cell.community_id, cell.street_id)

    def __len__(self) -> int:
        return len(self._cells)


class GridLocator:
    """Builds the index on first use, rebuilds it at once when this instance changed the grid, within
    a second when another instance did, and every ``ttl`` seconds whatever happened (as
    ``ReferenceCache`` does for names, on the same stamp)."""

    def __init__(self, engine: Engine, ttl: float = 60.0, check_every: float = 1.0) -> None:
        self._engine = engine
        self._ttl = ttl
        self._index: GridIndex | None = None
        self._loaded = 0.0
        self._lock = threading.Lock()
        self._changes = StampWatch(engine, REFERENCE, check_every)

    def index(self) -> GridIndex:
        changed = self._changes.moved()
        with self._lock:
            now = time.monotonic()
            if changed or self._index is None or now - self._loaded > self._ttl:
                with Session(self._engine) as session:
                    self._index = GridIndex(list(session.exec(select(GridCell).order_by(col(GridCell.id)))))
                self._loaded = now
            return self._index

    def locate(self, lat: float, lng: float) -> GridMatch | None:
        return self.index().locate(lat, lng)

    def invalidate(self) -> None:
        with self._lock:
            self._index = None
