"""``/healthz`` (the process answers), ``/readyz`` (it can serve: database, Redis, migrations) and
``/metrics`` (Prometheus, closed to the public by default)."""

from __future__ import annotations

import logging
from functools import cache, lru_cache
from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from sqlalchemy import text
from sqlalchemy.engine import Engine

from portal.ops import metrics
from portal.services import services_of
from portal.settings import PROJECT_ROOT

log = logging.getLogger("portal.health")
NO_STORE = {"Cache-Control": "no-store"}


@get("/healthz")
async def healthz() -> Response[dict[str, str]]:
    """Alive: answered on the event loop, touching nothing, so a stalled loop is what it detects."""
    return Response({"status": "ok"}, headers=NO_STORE)


@cache
def code_revisions() -> tuple[frozenset[str], frozenset[str]]:
    """This code's head revisions, and every revision it knows (read once: they change with the code)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(PROJECT_ROOT / "alembic"))
    return frozenset(script.get_heads()), frozenset(r.revision for r in script.walk_revisions())


def database_checks(reader: Engine) -> dict[str, str]:
    """``database``: ok or unreachable; ``migrations``: ok, pending (``portal db upgrade`` is
    needed), unknown (the database is at a revision this code does not have: newer code migrated
    it) or missing (never migrated)."""
    try:
        with reader.connect() as conn:
            conn.execute(text("SELECT 1"))
            try:
                revisions = frozenset(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
            except Exception:
                return {"database": "ok", "migrations": "missing"}
    except Exception:
        log.exception("readiness: the database is unreachable")
        return {"database": "unreachable", "migrations": "not checked"}
    heads, known = code_revisions()
    if revisions == heads:
        return {"database": "ok", "migrations": "ok"}
    state = "unknown" if revisions - known else "pending"
    log.warning(
        "readiness: migrations %s (database at %s, code at %s)", state, sorted(revisions), sorted(heads)
    )
    return {"database": "ok", "migrations": state}


@lru_cache(maxsize=4)
def _redis(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def redis_check(url: str) -> str:
    try:
        _redis(url).ping()
    except Exception:
        log.exception("readiness: Redis is unreachable")
        return "unreachable"
    return "ok"


@get("/readyz", sync_to_thread=True)
def readyz(request: Request[Any, Any, Any]) -> Response[dict[str, str]]:
    """Ready: 200 when everything a request may need answers, else 503 saying which did not."""
    services = services_of(request)
    checks = database_checks(services.reader)
    if services.settings.redis_url:
        checks["redis"] = redis_check(services.settings.redis_url)
    ready = all(value == "ok" for value in checks.values())
    body = {"status": "ok" if ready else "error", **checks}
    return Response(body, status_code=200 if ready else 503, headers=NO_STORE)


@get("/metrics", sync_to_thread=True)
def metrics_page(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Closed unless the request may read it: then it is the same 404 as any unknown address."""
    if not metrics.may_read(request.scope, services_of(request).settings.metrics_token):
        raise NotFoundException()
    return Response(
        metrics.exposition(),
        media_type="text/plain; version=0.0.4; charset=utf-8",
        headers=NO_STORE,
    )


route_handlers = [healthz, readyz, metrics_page]
