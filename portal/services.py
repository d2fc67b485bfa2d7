"""The long-lived collaborators one app instance shares between requests."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.exceptions import TooManyRequestsException
from sqlalchemy.engine import Engine

from portal.db import make_engine
from portal.directory.service import ReferenceCache
from portal.media import MediaStore
from portal.places.service import GridLocator
from portal.security import Limiter, make_limiter
from portal.settings import RateLimit, Settings
from portal.sms import SmsGateway, load_gateway


@dataclass
class Services:
    settings: Settings
    engine: Engine
    reader: Engine  # autocommit reads of versions for the page cache
    locator: GridLocator
    reference: ReferenceCache
    limiter: Limiter
    sms: SmsGateway
    media: MediaStore

    @classmethod
    def build(cls, settings: Settings, engine: Engine) -> Services:
        return cls(
            settings=settings,
            engine=engine,
            reader=make_engine(settings.database_url, autocommit=True),
            locator=GridLocator(engine),
            reference=ReferenceCache(engine),
            limiter=make_limiter(settings.redis_url),
            sms=load_gateway(settings.sms_adapter),
            media=MediaStore(settings.media_dir),
        )


def services_of(request: Request[Any, Any, Any]) -> Services:
    return request.app.state.services


LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def public_base_url(request: Request[Any, Any, Any]) -> str:
    """The address printed in QR codes and SMS: PORTAL_BASE_URL, else the request's own when its
    Host header can be trusted; else "" (no link at all), never an address an outsider chose."""
    settings = services_of(request).settings
    if settings.base_url:
        return settings.base_url
    # With PORTAL_ALLOWED_HOSTS set, Litestar has already refused every other Host header.
    if settings.allowed_hosts or (request.url.hostname or "").strip("[]") in LOOPBACK_HOSTS:
        return str(request.base_url).rstrip("/")
    return ""


def link_warning(settings: Settings, host: str) -> str | None:
    """What ``portal serve`` says when it listens beyond this machine with no trusted address."""
    if settings.base_url or settings.allowed_hosts or host in LOOPBACK_HOSTS:
        return None
    return (
        "Neither PORTAL_BASE_URL nor PORTAL_ALLOWED_HOSTS is set: SMS will go out without links and "
        "receipts without QR codes, because the Host header of a request cannot be trusted. "
        "Set PORTAL_BASE_URL (e.g. https://jimei.example.cn)."
    )


def client_address(request: Request[Any, Any, Any]) -> str:
    client = request.client
    return client.host if client else "unknown"


def limit_key(request: Request[Any, Any, Any]) -> str:
    """Whom a limit per address counts: the address, or for IPv6 its /64, which one household or
    phone is handed whole (counting single IPv6 addresses would give one person 2^64 allowances)."""
    address = client_address(request)
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


# --- rate limits -----------------------------------------------------------------------------


def rate_limit(
    request: Request[Any, Any, Any], services: Services, name: str, key: str | None = None
) -> None:
    """Count one hit of the named limit (per address unless ``key`` says otherwise); 429 when spent."""
    verdict = services.limiter.hit(name, key or limit_key(request), services.settings.rate_limits[name])
    if not verdict.allowed:
        raise TooManyRequestsException(headers={"Retry-After": str(verdict.retry_after)})


# Guessing a ticket's four digits (10,000 possibilities) has two limits:
#  - per address, strict ("unlock", 5 per 15 minutes): one guesser gets few tries;
#  - per ticket, a ceiling ("unlock-ticket", 20 a day) on all addresses together.
# Once the ceiling is spent the digits no longer open the ticket from anywhere, for the rest of the
# window: the reporter gets a code texted to the phone given with the report instead (see
# ``DigitsClosed``), so guessers from any number of addresses get 20 tries a day and nobody can lock
# a ticket against its owner, who has the phone.


class DigitsClosed(Exception):
    """This ticket's digits were tried too often today: only a code texted to its reporter opens it."""


def limit_guessing(
    request: Request[Any, Any, Any], services: Services, code: str, *, per_ticket: bool = True
) -> None:
    """Count one try of a ticket's digits; 429 when this address may not try now, ``DigitsClosed``
    when the ticket's ceiling is spent. (A rating link's 40-bit token needs only the limit per
    address: see ``_follow_rating_link``.)"""
    if per_ticket and digits_closed(services, code):
        raise DigitsClosed()  # before counting a try against the address: there is nothing to try
    # A refused try is not counted, so while this address may not try even a right answer is
    # refused: a flood of guesses cannot tell a hit from the refusals.
    rate_limit(request, services, "unlock")
    if per_ticket and not services.limiter.hit("unlock-ticket", code, _ceiling(services)).allowed:
        raise DigitsClosed()


def _ceiling(services: Services) -> RateLimit:
    return services.settings.rate_limits["unlock-ticket"]


def digits_closed(services: Services, code: str) -> bool:
    return not services.limiter.peek("unlock-ticket", code, _ceiling(services)).allowed
