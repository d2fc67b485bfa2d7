"""The long-lived collaborators one app instance shares between requests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request
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


def public_base_url(request: Request[Any, Any, Any]) -> str:
    """The address printed in QR codes and SMS: the configured one, else the request's own."""
    return services_of(request).settings.base_url or str(request.base_url).rstrip("/")


def client_address(request: Request[Any, Any, Any]) -> str:
    client = request.client
    return client.host if client else "unknown"
