"""Who may do what with a survey: the press office and the command centre build and run them; the
survey's owner, a press lead or an administrator approves text answers for the public results."""

from __future__ import annotations

from portal.accounts.models import APPROVER_ROLES, CENTRE_ROLES, PRESS_ROLES, StaffUser
from portal.surveys.models import Survey

SURVEY_ROLES = frozenset(PRESS_ROLES | CENTRE_ROLES)
# ``opt`` for a staff route of surveys (read by ``portal.accounts.auth.staff_guard``).
SURVEY_STAFF = {"roles": sorted(SURVEY_ROLES)}


def may_approve_texts(user: StaffUser, survey: Survey) -> bool:
    return user.id == survey.owner_id or user.role in APPROVER_ROLES
