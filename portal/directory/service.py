"""A read-mostly snapshot of the reference rows (categories, departments, places) that every page shows."""

from __future__ import annotations

import threading
import time

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from portal.cluster import REFERENCE, StampWatch
from portal.directory.models import Category, CategoryGroup, Department
from portal.places.models import Community, Street


class Reference:
    """Reference rows with lookups by id and by slug."""

    def __init__(
        self,
        groups: list[CategoryGroup],
        categories: list[Category],
        departments: dict[int, Department],
        streets: list[Street],
        communities: list[Community],
    ) -> None:
        self.groups = groups
        self.categories = categories
        self.departments = departments
        self.streets = streets
        self.communities = communities
        self.category_by_id: dict[int | None, Category] = {c.id: c for c in categories}
        self.category_by_slug: dict[str, Category] = {c.slug: c for c in categories}
        self.street_by_id: dict[int | None, Street] = {s.id: s for s in streets}
        self.street_by_slug: dict[str, Street] = {s.slug: s for s in streets}
        self.community_by_id: dict[int | None, Community] = {c.id: c for c in communities}
        self.community_by_slug: dict[str, Community] = {c.slug: c for c in communities}

    def grouped_categories(self) -> list[tuple[CategoryGroup, list[Category]]]:
        return [(g, [c for c in self.categories if c.group_id == g.id]) for g in self.groups]

    def communities_of(self, street: Street) -> list[Community]:
        return [c for c in self.communities if c.street_id == street.id]


def load_reference(session: Session) -> Reference:
    return Reference(
        groups=list(
            session.exec(select(CategoryGroup).order_by(col(CategoryGroup.position), col(CategoryGroup.id)))
        ),
        categories=list(
            session.exec(
                select(Category)
                .where(col(Category.active).is_(True))
                .order_by(col(Category.position), col(Category.id))
            )
        ),
        departments={d.id or 0: d for d in session.exec(select(Department))},
        streets=list(session.exec(select(Street).order_by(col(Street.position), col(Street.id)))),
        communities=list(session.exec(select(Community).order_by(col(Community.id)))),
    )


class ReferenceCache:
    """The reference rows, kept in memory. An administrator's change bumps a stamp in the database
    (``portal.cluster``), which every instance reads at most once a second: the change shows on every
    instance within a second (at once on the one that made it). Every ``ttl`` seconds the rows are
    read again whatever happened, for changes made behind the portal's back."""

    def __init__(self, engine: Engine, ttl: float = 60.0, check_every: float = 1.0) -> None:
        self._engine = engine
        self._ttl = ttl
        self._value: Reference | None = None
        self._loaded = 0.0
        self._lock = threading.Lock()
        self._changes = StampWatch(engine, REFERENCE, check_every)

    def get(self) -> Reference:
        now = time.monotonic()
        changed = self._changes.moved()
        if changed or self._value is None or now - self._loaded > self._ttl:
            with self._lock, Session(self._engine, expire_on_commit=False) as session:
                self._value = load_reference(session)
                for row in [*self._value.categories, *self._value.streets, *self._value.communities]:
                    session.expunge(row)
                self._loaded = now
        return self._value

    @property
    def stamp(self) -> float:
        """When the snapshot was loaded: pages rendered from an older one are stale."""
        self.get()
        return self._loaded

    def invalidate(self) -> None:
        self._value = None
