"""Import every table so that SQLModel's metadata is complete (Alembic and tests read it)."""

from portal.accounts.models import AuditEntry, StaffSession, StaffUser
from portal.directory.models import Category, CategoryGroup, Department
from portal.dispatch.models import SupervisionOrder
from portal.evaluation.models import Evaluation, PeerRequest, Rating
from portal.places.models import Community, GridCell, Street
from portal.tickets.models import Follower, Photo, Ticket, TicketEvent

__all__ = [
    "AuditEntry",
    "Category",
    "CategoryGroup",
    "Community",
    "Department",
    "Evaluation",
    "Follower",
    "GridCell",
    "PeerRequest",
    "Photo",
    "Rating",
    "StaffSession",
    "StaffUser",
    "Street",
    "SupervisionOrder",
    "Ticket",
    "TicketEvent",
]
