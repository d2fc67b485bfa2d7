"""Confirming a phone number before it gets any SMS about a ticket: a six-digit code sent to it.

Nothing is stored until the code comes back. The "me too" answer carries a signed note of the
number, the ticket, when the code expires and a random nonce; the code is an HMAC of that note, so
only the phone it was sent to knows it. Tries are limited per number by the rate limiter. A code
is good once: the nonce of an accepted code is kept in the database until the code expires, so that
no instance accepts it again.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from litestar import Request
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from portal.db import utcnow
from portal.i18n import N_
from portal.security import sign_value, unsign_value
from portal.services import Services, rate_limit
from portal.tickets.models import UsedCode
from portal.web import page_of

NOTE = "confirm-phone"
CODE_SECONDS = 10 * 60
CODE_DIGITS = 6


@dataclass(frozen=True)
class Pending:
    phone: str
    ticket: str
    expires: int
    nonce: str

    @property
    def expired(self) -> bool:
        return self.expires <= time.time()


def start(secret: str, phone: str, ticket_code: str, *, keep_phone_out: bool = False) -> tuple[str, str]:
    """A new note for the form, and the code to send to ``phone``. A signed note is readable by
    whoever holds it: with ``keep_phone_out`` it does not carry the number (one the holder did not
    type, such as a reporter's), and ``read`` is then given it again from the server's records."""
    pending = Pending(phone, ticket_code, int(time.time() + CODE_SECONDS), secrets.token_urlsafe(8))
    shown = "" if keep_phone_out else pending.phone
    note = sign_value(secret, NOTE, [shown, pending.ticket, pending.expires, pending.nonce])
    return note, code_for(secret, pending)


def read(secret: str, note: str, phone: str | None = None) -> Pending | None:
    """The note as this portal signed it (expired or not), else None; ``phone`` for a note that
    was made without its number."""
    payload = unsign_value(secret, NOTE, note)
    if not (isinstance(payload, list) and len(payload) == 4 and isinstance(payload[2], int)):
        return None
    written = str(payload[0])
    if phone is not None and written not in ("", phone):
        return None
    return Pending(phone if phone is not None else written, str(payload[1]), payload[2], str(payload[3]))


def code_for(secret: str, pending: Pending) -> str:
    message = f"{NOTE}:{pending.phone}:{pending.ticket}:{pending.expires}:{pending.nonce}".encode()
    number = int.from_bytes(hmac.new(secret.encode(), message, hashlib.sha256).digest()[:8], "big")
    return f"{number % 10**CODE_DIGITS:0{CODE_DIGITS}d}"


def matches(secret: str, pending: Pending, typed: str) -> bool:
    """Whether the typed code is the one sent (full-width digits and spaces are forgiven)."""
    cleaned = "".join(unicodedata.normalize("NFKC", typed).split())
    return hmac.compare_digest(code_for(secret, pending).encode(), cleaned.encode())


# --- with a request: what one address and one number may send and try ----------------------------


def phone_limit_key(secret: str, phone: str) -> str:
    """A number's key in the shared rate-limit store (Redis): a keyed hash, so that the store holds
    no phone numbers."""
    digest = hmac.new(secret.encode(), f"limit:{phone}".encode(), hashlib.sha256).hexdigest()[:24]
    return f"phone:{digest}"


def text_code(
    request: Request[Any, Any, Any],
    services: Services,
    phone: str,
    subject: str,
    message: str,
    *,
    keep_phone_out: bool = False,
    **values: Any,
) -> str:
    """Text a code for ``subject`` to ``phone`` in ``message`` (a message id with ``%(code)s``): a
    few an hour per number and per address, whatever the codes are for. The note for the form."""
    rate_limit(request, services, "confirm_address")
    rate_limit(request, services, "confirm_phone", key=phone_limit_key(services.settings.secret_key, phone))
    note, code = start(services.settings.secret_key, phone, subject, keep_phone_out=keep_phone_out)
    services.sms.send(phone, page_of(request).t.gettext(message, code=code, **values))
    return note


class Checked(Enum):
    RIGHT = "right"  # the code sent, used now: it is good nowhere from now on
    WRONG = "wrong"
    USED = "used"  # the code sent, but it was used already (here or on another instance)


USED_CODE = N_("This code has been used already. Ask for a new one.")


def check_code(request: Request[Any, Any, Any], services: Services, pending: Pending, typed: str) -> Checked:
    """One try of a code, counted per number and per address (429 past either): its own limits, so
    that codes mistyped do not spend the tracking digits' tries of everyone behind an address. The
    right code is spent at once: a second try of it, anywhere, is ``USED``."""
    rate_limit(
        request, services, "code_number", key=phone_limit_key(services.settings.secret_key, pending.phone)
    )
    rate_limit(request, services, "code_address")
    if not matches(services.settings.secret_key, pending, typed[:20]):
        return Checked.WRONG
    return Checked.RIGHT if spend(services.engine, pending) else Checked.USED


def spend(engine: Engine, pending: Pending) -> bool:
    """Mark the code used; False when it was used already. The database decides between instances
    (two tries of one code at the same moment: the second insert waits for the first, then fails)."""
    try:
        with Session(engine) as session:
            session.add(
                UsedCode(nonce=pending.nonce, expires_at=datetime.fromtimestamp(pending.expires, UTC))
            )
            session.commit()
    except IntegrityError:
        return False
    return True


def forget_used_codes(session: Session, now: datetime | None = None) -> int:
    """Remove the records of used codes that have expired anyway (the jobs do this)."""
    done = session.connection().execute(delete(UsedCode).where(col(UsedCode.expires_at) < (now or utcnow())))
    return int(done.rowcount)
