"""Import every table so that SQLModel's metadata is complete (Alembic and tests read it)."""

from portal.accounts.models import AuditEntry, StaffSession, StaffUser
from portal.cluster import ChangeStamp, JobRun
from portal.directory.models import Category, CategoryGroup, Department
from portal.dispatch.models import SupervisionOrder
from portal.evaluation.models import Evaluation, PeerRequest, Rating
from portal.places.models import Community, GridCell, Street
from portal.progress.models import (
    CampaignCategory,
    Milestone,
    Project,
    ProjectArea,
    ProjectDepartment,
    ProjectFollower,
    ProjectPhoto,
    ProjectTicket,
    Story,
    StoryImage,
    StoryText,
)
from portal.stats.models import StatFact, StatMonth, StatMonthStamp
from portal.surveys.models import Survey, SurveyAnswer, SurveyDraft, SurveyResponse, SurveyVersion
from portal.tickets.counts import BoardCount
from portal.tickets.models import Follower, Photo, Ticket, TicketEvent, UsedCode

__all__ = [
    "AuditEntry",
    "BoardCount",
    "CampaignCategory",
    "Category",
    "CategoryGroup",
    "ChangeStamp",
    "Community",
    "Department",
    "Evaluation",
    "Follower",
    "GridCell",
    "JobRun",
    "Milestone",
    "PeerRequest",
    "Photo",
    "Project",
    "ProjectArea",
    "ProjectDepartment",
    "ProjectFollower",
    "ProjectPhoto",
    "ProjectTicket",
    "Rating",
    "StaffSession",
    "StaffUser",
    "StatFact",
    "StatMonth",
    "StatMonthStamp",
    "Story",
    "StoryImage",
    "StoryText",
    "Street",
    "SupervisionOrder",
    "Survey",
    "SurveyAnswer",
    "SurveyDraft",
    "SurveyResponse",
    "SurveyVersion",
    "Ticket",
    "TicketEvent",
    "UsedCode",
]
