"""The long-lived collaborators one app instance shares between requests."""

from __future__ import annotations

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
from portal.settings import Settings
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


# --- rate limits -----------------------------------------------------------------------------


def rate_limit(
    request: Request[Any, Any, Any], services: Services, name: str, key: str | None = None
) -> None:
    """Count one hit of the named limit (per address unless ``key`` says otherwise); 429 when spent."""
    verdict = services.limiter.hit(name, key or client_address(request), services.settings.rate_limits[name])
    if not verdict.allowed:
        raise TooManyRequestsException(headers={"Retry-After": str(verdict.retry_after)})


def limit_guessing(
    request: Request[Any, Any, Any], services: Services, code: str, *, per_ticket: bool = True
) -> None:
    """Phone digits are guessable: limit tries per address and, against many addresses, per ticket.
    (A rating link's 40-bit token needs only the limit per address: see ``_follow_rating_link``.)"""
    rate_limit(request, services, "unlock")
    if per_ticket:
        rate_limit(request, services, "unlock", key=f"code:{code}")


def refuse_while_guessing(
    request: Request[Any, Any, Any], services: Services, code: str, *, per_ticket: bool = True
) -> None:
    """While a guessing limit is spent, even a right answer is refused (without counting a try), so
    that a flood of guesses cannot tell a hit from the refusals."""
    limit = services.settings.rate_limits["unlock"]
    keys = [client_address(request)] + ([f"code:{code}"] if per_ticket else [])
    for key in keys:
        verdict = services.limiter.peek("unlock", key, limit)
        if not verdict.allowed:
            raise TooManyRequestsException(headers={"Retry-After": str(verdict.retry_after)})
