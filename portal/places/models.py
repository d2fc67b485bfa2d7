"""Streets, communities and grid cells: the district's administrative map."""

from __future__ import annotations

from sqlmodel import Field

from portal.localized import LocalizedName


class Street(LocalizedName, table=True):
    """A subdistrict (街道) or town (镇)."""

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=40, unique=True)
    lat: float
    lng: float
    position: int = 0


class Community(LocalizedName, table=True):
    """A community (社区) or village inside one street."""

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=40, unique=True)
    street_id: int = Field(foreign_key="street.id", index=True)
    lat: float
    lng: float


class GridCell(LocalizedName, table=True):
    """A grid cell (网格): a polygon with a responsible grid worker."""

    __tablename__ = "grid_cell"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=20, unique=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    street_id: int = Field(foreign_key="street.id", index=True)
    # GeoJSON Polygon geometry; small enough to keep as text and index in memory with shapely.
    boundary: str
