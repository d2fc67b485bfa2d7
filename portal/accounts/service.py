"""Signing in, locking out, creating staff accounts and writing the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, func, select

from portal.accounts.models import AuditEntry, StaffRole, StaffUser
from portal.accounts.passwords import hash_password, needs_rehash, password_problem, verify_password
from portal.db import utcnow
from portal.i18n import N_

MAX_FAILURES = 5
LOCK_MINUTES = 15


@dataclass(frozen=True)
class SignIn:
    user: StaffUser | None
    problem: str | None = None
    locked_until: datetime | None = None


def find_user(session: Session, username: str) -> StaffUser | None:
    return session.exec(
        select(StaffUser).where(func.lower(StaffUser.username) == username.strip().lower())
    ).first()


def authenticate(
    session: Session, username: str, password: str, *, address: str, now: datetime | None = None
) -> SignIn:
    """Check a password; five failures in a row lock the account for fifteen minutes."""
    now = now or utcnow()
    user = find_user(session, username)
    if user is not None and user.locked_until is not None and user.locked_until > now:
        audit(session, user, "login-locked", address=address)
        return SignIn(
            None,
            N_("This account is locked after too many failed sign-ins. Try again after %(time)s."),
            user.locked_until,
        )
    if not verify_password(user.password_hash if user else None, password) or user is None or not user.active:
        if user is not None:
            _count_failure(session, user, now)
            audit(session, user, "login-failed", address=address)
            if user.locked_until is not None and user.locked_until > now:
                return SignIn(
                    None,
                    N_("This account is locked after too many failed sign-ins. Try again after %(time)s."),
                    user.locked_until,
                )
        return SignIn(None, N_("The user name or password is not right."))
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.add(user)
    audit(session, user, "login", address=address)
    return SignIn(user)


def _count_failure(session: Session, user: StaffUser, now: datetime) -> None:
    user.failed_logins += 1
    if user.failed_logins >= MAX_FAILURES:
        user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
        user.failed_logins = 0
    session.add(user)


class AccountError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: StaffRole,
    display_name: str = "",
    department_id: int | None = None,
) -> StaffUser:
    username = username.strip()
    if (
        not username
        or len(username) > 40
        or not username.replace("_", "").replace(".", "").replace("-", "").isalnum()
    ):
        raise AccountError(N_("A user name has letters, digits, dots, dashes or underscores, at most 40."))
    if find_user(session, username) is not None:
        raise AccountError(N_("That user name is taken."))
    if role == StaffRole.DEPARTMENT and department_id is None:
        raise AccountError(N_("Department staff must belong to a department."))
    if (problem := password_problem(password, username)) is not None:
        raise AccountError(problem)
    user = StaffUser(
        username=username,
        display_name=display_name.strip() or username,
        password_hash=hash_password(password),
        role=role.value,
        department_id=department_id if role == StaffRole.DEPARTMENT else None,
    )
    session.add(user)
    session.flush()
    return user


def change_password(session: Session, user: StaffUser, current: str, new: str, *, address: str) -> str | None:
    """None when changed; otherwise why not. Other sessions of this user end."""
    if not verify_password(user.password_hash, current):
        return N_("Your current password is not right.")
    if (problem := password_problem(new, user.username)) is not None:
        return problem
    user.password_hash = hash_password(new)
    user.session_version += 1
    session.add(user)
    audit(session, user, "password-changed", address=address)
    return None


def audit(
    session: Session,
    user: StaffUser | None,
    action: str,
    *,
    address: str = "",
    ticket_id: int | None = None,
    detail: str = "",
) -> AuditEntry:
    entry = AuditEntry(
        user_id=user.id if user else None,
        username=user.username if user else "",
        action=action,
        ticket_id=ticket_id,
        detail=detail[:500],
        address=address[:64],
    )
    session.add(entry)
    session.flush()
    return entry


AUDIT_KEEP_DAYS = 190  # at least six months


def prune_audit_log(session: Session, now: datetime | None = None) -> int:
    """Delete entries older than the retention period (kept at least six months)."""
    cutoff = (now or utcnow()) - timedelta(days=AUDIT_KEEP_DAYS)
    result = session.execute(delete(AuditEntry).where(col(AuditEntry.at) < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)  # a bulk delete: one statement, not a row each
