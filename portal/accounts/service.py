"""Signing in, locking out, creating staff accounts and writing the audit log."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlmodel import Session, col, func, select

from portal.accounts.models import AuditEntry, StaffRole, StaffSession, StaffUser
from portal.accounts.passwords import hash_password, needs_rehash, password_problem, verify_password
from portal.db import utcnow
from portal.i18n import N_

MAX_FAILURES = 5
LOCK_MINUTES = 15
# Wrong passwords for one account from all addresses together within a day: past this, only
# addresses the account has signed in from (within KNOWN_DAYS) may try; an administrator's
# "Unlock" reopens it for everyone.
ACCOUNT_FAILURES = 20
KNOWN_DAYS = 90
NOT_RIGHT = N_("The user name or password is not right.")


@dataclass(frozen=True)
class SignIn:
    user: StaffUser | None
    problem: str | None = None


def find_user(session: Session, username: str) -> StaffUser | None:
    return session.exec(
        select(StaffUser).where(func.lower(StaffUser.username) == username.strip().lower())
    ).first()


def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    address: str,
    now: datetime | None = None,
    known_devices: frozenset[int] = frozenset(),
) -> SignIn:
    """Check a password. Every refusal reads the same and costs one Argon2 verify, so neither the
    words nor the time tell an unknown name from a wrong password, a switched-off or a locked account.

    Five wrong passwords for one account from one address within fifteen minutes lock that account
    from that address only: the guesser is locked out, the real user elsewhere is not. (A lock for
    the whole account would let anyone who knows a user name keep its owner out for ever, five
    tries every fifteen minutes.) Guessing from many addresses stops at twenty wrong passwords a
    day for the account: past that, only the addresses the account has signed in from may try."""
    now = now or utcnow()
    user = find_user(session, username)
    right = verify_password(user.password_hash if user else None, password)  # always exactly one
    if user is None:
        return SignIn(None, NOT_RIGHT)
    if _locked_out(session, user, address, now, known_device=user.id in known_devices):
        audit(session, user, "login-locked", address=address)
        return SignIn(None, NOT_RIGHT)
    if not right or not user.active:
        audit(session, user, "login-failed", address=address)
        return SignIn(None, NOT_RIGHT)
    user.last_login_at = now
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.add(user)
    audit(session, user, "login", address=address)
    return SignIn(user)


def _locked_out(
    session: Session, user: StaffUser, address: str, now: datetime, *, known_device: bool = False
) -> bool:
    """Whether ``address`` may not try ``user``'s password now (read from the audit log): it used up
    its own wrong passwords, or the account's daily ceiling is spent and it is not a known address."""
    since = now - timedelta(minutes=LOCK_MINUTES)
    if user.unlocked_at is not None and user.unlocked_at > since:
        since = user.unlocked_at
    if _failures(session, user, since, address) >= MAX_FAILURES:
        return True
    day = now - timedelta(days=1)
    if user.unlocked_at is not None and user.unlocked_at > day:
        day = user.unlocked_at
    if known_device or _failures(session, user, day) < ACCOUNT_FAILURES:
        return False
    known = session.exec(
        select(AuditEntry.id).where(
            AuditEntry.user_id == user.id,
            AuditEntry.action == "login",
            AuditEntry.address == address[:64],
            col(AuditEntry.at) > now - timedelta(days=KNOWN_DAYS),
        )
    ).first()
    return known is None


def _failures(session: Session, user: StaffUser, since: datetime, address: str | None = None) -> int:
    query = (
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.user_id == user.id, AuditEntry.action == "login-failed", col(AuditEntry.at) > since)
    )
    if address is not None:
        query = query.where(AuditEntry.address == address[:64])
    return int(session.exec(query).one())


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
    """None when changed; otherwise why not. Every session of this user ends, this one too: the
    view starts a new one, so a copy of the cookie taken before the change stops working."""
    if not verify_password(user.password_hash, current):
        return N_("Your current password is not right.")
    if (problem := password_problem(new, user.username)) is not None:
        return problem
    user.password_hash = hash_password(new)
    session.add(user)
    end_sessions(session, user)
    audit(session, user, "password-changed", address=address)
    return None


# --- sessions --------------------------------------------------------------------------------


def session_key(token: str) -> str:
    """What the table stores for a cookie's token: its hash, so the table alone signs no one in."""
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: StaffUser) -> str:
    """A new session for ``user``; returns the token its cookie carries."""
    token = secrets.token_urlsafe(32)
    assert user.id is not None
    session.add(StaffSession(id=session_key(token), user_id=user.id))
    session.flush()
    return token


def end_session(session: Session, token: str) -> None:
    session.execute(
        update(StaffSession)
        .where(col(StaffSession.id) == session_key(token), col(StaffSession.ended_at).is_(None))
        .values(ended_at=utcnow())
    )


def end_sessions(session: Session, user: StaffUser) -> None:
    """End every session of ``user``, on every device and instance."""
    session.execute(
        update(StaffSession)
        .where(col(StaffSession.user_id) == user.id, col(StaffSession.ended_at).is_(None))
        .values(ended_at=utcnow())
    )


SESSION_KEEP_DAYS = 30


def prune_sessions(session: Session, now: datetime | None = None) -> int:
    """Forget sessions that began long enough ago that none of them can still be live."""
    cutoff = (now or utcnow()) - timedelta(days=SESSION_KEEP_DAYS)
    result = session.execute(delete(StaffSession).where(col(StaffSession.created_at) < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)


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
