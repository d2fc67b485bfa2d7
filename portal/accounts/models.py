"""Staff accounts and the audit log of what they do."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from portal.db import UTCDateTime, utcnow
from portal.i18n import N_


class StaffRole(StrEnum):
    ADMIN = "admin"
    DISPATCHER = "dispatcher"
    DEPARTMENT = "department"
    PRESS = "press"
    PRESS_LEAD = "press_lead"  # approves the press office's stories
    VOLUNTEER = "volunteer"
    GRID_WORKER = "grid_worker"


PRESS_ROLES = frozenset({StaffRole.PRESS, StaffRole.PRESS_LEAD, StaffRole.ADMIN})
"""Write projects and stories; approving a story takes the lead or the administrator, never its writer."""

APPROVER_ROLES = frozenset({StaffRole.PRESS_LEAD, StaffRole.ADMIN})

CENTRE_ROLES = frozenset({StaffRole.ADMIN, StaffRole.DISPATCHER})
"""The command centre: sees every ticket, dispatches, supervises, gives the mutual evaluation."""


ROLE_LABELS = {
    StaffRole.ADMIN: N_("Administrator"),
    StaffRole.DISPATCHER: N_("Dispatcher (command centre)"),
    StaffRole.DEPARTMENT: N_("Department staff"),
    StaffRole.PRESS: N_("Press office"),
    StaffRole.PRESS_LEAD: N_("Press office lead (approves stories)"),
    StaffRole.VOLUNTEER: N_("Community volunteer"),
    StaffRole.GRID_WORKER: N_("Grid worker"),
}


class StaffUser(SQLModel, table=True):
    __tablename__ = "staff_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=40, unique=True)
    display_name: str = Field(max_length=60)
    password_hash: str = Field(max_length=200)
    role: str = Field(max_length=20)
    department_id: int | None = Field(default=None, foreign_key="department.id")
    active: bool = True
    # Failed sign-ins before this (an administrator's "Unlock") no longer count towards a lock.
    unlocked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    last_login_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class StaffSession(SQLModel, table=True):
    """One sign-in. The cookie names it; ending it here ends every copy of that cookie on every instance."""

    __tablename__ = "staff_session"

    # SHA-256 of the random token in the cookie: a copy of this table does not sign anyone in.
    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="staff_user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    last_seen_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    ended_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class AuditEntry(SQLModel, table=True):
    """One staff action: who, what, which ticket, when, from which address. Only ever inserted."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    user_id: int | None = Field(default=None, foreign_key="staff_user.id", index=True)
    username: str = Field(default="", max_length=40)
    action: str = Field(max_length=40)
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", index=True)
    detail: str = Field(default="", max_length=500)
    address: str = Field(default="", max_length=64)


AUDIT_LABELS = {
    "login": N_("Signed in"),
    "logout": N_("Signed out"),
    "login-failed": N_("Failed sign-in"),
    "login-locked": N_("Sign-in refused: too many failures from this address"),
    "password-changed": N_("Changed own password"),
    "user-created": N_("Created an account"),
    "user-deactivate": N_("Switched off an account"),
    "user-activate": N_("Switched on an account"),
    "user-unlock": N_("Unlocked an account"),
    "user-password": N_("Set an account's password"),
    "user-signout": N_("Signed an account out everywhere"),
    "department-saved": N_("Saved a department"),
    "category-saved": N_("Saved a category"),
    "place-saved": N_("Saved a place"),
    "dispatch": N_("Dispatched"),
    "reject": N_("Rejected"),
    "merge": N_("Merged"),
    "accept": N_("Accepted"),
    "return": N_("Returned"),
    "progress": N_("Posted progress"),
    "resolve": N_("Resolved"),
    "supervise": N_("Supervision order"),
    "update": N_("Changed details"),
    "evaluate-self": N_("Self-evaluation"),
    "evaluate-mutual": N_("Mutual evaluation"),
    "evaluate-peer": N_("Peer evaluation"),
    "ask-peer": N_("Asked a department for a peer evaluation"),
    "phone-revealed": N_("Showed a reporter's phone number"),
    "project-tagged": N_("Counted a ticket towards a project"),
    "project-untagged": N_("Stopped counting a ticket towards a project"),
    "project-created": N_("Created a project"),
    "project-saved": N_("Saved a project"),
    "milestones-saved": N_("Saved a project's milestones"),
    "project-photos": N_("Changed a project's photos"),
    "story-created": N_("Started a story"),
    "story-saved": N_("Saved a story's draft"),
    "story-withdrawn": N_("Changed a story in review (it left the review queue)"),
    "story-submitted": N_("Submitted a story for review"),
    "story-approved": N_("Approved and published a story"),
    "story-scheduled": N_("Approved a story for publishing later"),
    "story-sent-back": N_("Sent a story back to its writer"),
    "story-unpublished": N_("Unpublished a story"),
    "story-converted": N_("Accepted the converted Traditional text of a story"),
    "story-image": N_("Uploaded an image for a story"),
    "survey-created": N_("Created a survey"),
    "survey-saved": N_("Saved a survey's settings"),
    "survey-questions": N_("Changed a survey's questions"),
    "survey-version": N_("Changed an answered survey's questions (a new version)"),
    "survey-open": N_("Opened a survey"),
    "survey-close": N_("Closed a survey"),
    "survey-reopen": N_("Reopened a survey"),
    "survey-hide": N_("Closed and hid a survey"),
    "survey-unhide": N_("Showed a hidden survey again"),
    "survey-deleted": N_("Deleted an unanswered survey"),
}
