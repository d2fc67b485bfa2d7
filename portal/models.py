"""Import every table so that SQLModel's metadata is complete (Alembic and tests read it)."""

from portal.directory.models import Category, CategoryGroup, Department
from portal.places.models import Community, GridCell, Street
from portal.tickets.models import Follower, Photo, Ticket, TicketEvent

__all__ = [
    "Category",
    "CategoryGroup",
    "Community",
    "Department",
    "Follower",
    "GridCell",
    "Photo",
    "Street",
    "Ticket",
    "TicketEvent",
]
