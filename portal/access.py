"""Which tickets this browser may see in full: a short-lived signed cookie of tracking codes; and
which it has supported ("me too"), so that one person counts once.

A browser earns a code by submitting the report, or by giving the code with the last four
digits of the reporter's phone. Grants expire, because volunteers share devices.
"""

from __future__ import annotations

import time
from typing import Any

from litestar import Request, Response

from portal.security import sign_value, unsign_value
from portal.settings import Settings

ACCESS_COOKIE = "access"
GRANT_SECONDS = 2 * 3600
MAX_GRANTS = 10


def granted_codes(request: Request[Any, Any, Any], secret: str) -> dict[str, float]:
    payload = unsign_value(secret, ACCESS_COOKIE, request.cookies.get(ACCESS_COOKIE))
    if not isinstance(payload, dict):
        return {}
    now = time.time()
    return {str(k): float(v) for k, v in payload.items() if isinstance(v, int | float) and v > now}


def has_access(request: Request[Any, Any, Any], secret: str, code: str) -> bool:
    return code in granted_codes(request, secret)


def grant(request: Request[Any, Any, Any], response: Response[Any], settings: Settings, code: str) -> None:
    secret = settings.secret_key
    codes = granted_codes(request, secret)
    codes[code] = int(time.time() + GRANT_SECONDS)
    newest = dict(sorted(codes.items(), key=lambda item: item[1])[-MAX_GRANTS:])
    response.set_cookie(
        ACCESS_COOKIE,
        sign_value(secret, ACCESS_COOKIE, newest),
        max_age=GRANT_SECONDS,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )


SUPPORTED_COOKIE = "supported"
SUPPORTED_SECONDS = 365 * 86400
MAX_SUPPORTED = 50


def supported_codes(request: Request[Any, Any, Any], secret: str) -> list[str]:
    """The tickets this browser has said "me too" to: each counts one person once."""
    payload = unsign_value(secret, SUPPORTED_COOKIE, request.cookies.get(SUPPORTED_COOKIE))
    return [str(c) for c in payload] if isinstance(payload, list) else []


def remember_support(
    request: Request[Any, Any, Any], response: Response[Any], settings: Settings, code: str
) -> None:
    codes = [c for c in supported_codes(request, settings.secret_key) if c != code] + [code]
    response.set_cookie(
        SUPPORTED_COOKIE,
        sign_value(settings.secret_key, SUPPORTED_COOKIE, codes[-MAX_SUPPORTED:]),
        max_age=SUPPORTED_SECONDS,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
