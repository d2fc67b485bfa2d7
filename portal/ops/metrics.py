"""The portal's Prometheus metrics, and who may read them.

``portal serve`` runs every worker process with ``PROMETHEUS_MULTIPROC_DIR`` set to a folder of its
own, where each process keeps its counts; /metrics then adds up every worker's (prometheus_client's
multiprocess mode). Without the variable (tests, a bare uvicorn) the counts are this process's.
"""

from __future__ import annotations

import hmac
import ipaddress
import os

from litestar.types import Scope
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)

disable_created_metrics()  # the *_created series say when a process first counted: noise here

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED = "unmatched"  # the route of a request no route matched: one label, whatever the path
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter(
    "portal_http_requests",
    "Requests answered, by method, route template and status",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "portal_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by method and route template",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
PAGE_CACHE = Counter(
    "portal_page_cache_lookups",
    "Public pages asked of the page cache, by template and result (hit or miss)",
    ["template", "result"],
)
JOBS_RUN = Counter("portal_jobs_runs", "Runs of the background jobs completed in the serving processes")
SMS_SENT = Counter("portal_sms_sent", "SMS handed to the gateway")
SMS_FAILED = Counter("portal_sms_failed", "SMS the gateway refused (it raised)")


def method_label(method: str) -> str:
    """The method, or OTHER: clients choose methods, and each label value costs memory."""
    return method if method in METHODS else "OTHER"


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route).observe(seconds)


def page_cache_lookup(template: str, hit: bool) -> None:
    PAGE_CACHE.labels(template, "hit" if hit else "miss").inc()


def exposition() -> bytes:
    """The metrics in Prometheus' text format: every worker's, when ``portal serve`` runs several."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


# Headers a proxy adds: a request carrying one came through a proxy (nginx on this machine
# connects from loopback), so it is not a request from this machine, whatever its address says.
FORWARDING_HEADERS = (b"x-forwarded-for", b"x-real-ip", b"forwarded", b"x-forwarded-host")


def may_read(scope: Scope, token: str) -> bool:
    """With ``PORTAL_METRICS_TOKEN`` set, only a request bearing it; without, only a direct request
    from this machine: a loopback peer and no forwarding header at all."""
    headers = dict(scope["headers"])
    if token:
        given = headers.get(b"authorization", b"")
        return hmac.compare_digest(given, b"Bearer " + token.encode())
    if any(name in headers for name in FORWARDING_HEADERS):
        return False
    client = scope.get("client")
    if not client:
        return False
    try:
        address = ipaddress.ip_address(client[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback
