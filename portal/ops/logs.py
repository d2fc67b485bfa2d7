"""Log lines as JSON objects (or plain text), each carrying the id of the request it belongs to, and
one line per request: its route, status and duration, and nothing a resident typed.

A request's id comes from a sane ``X-Request-ID`` header (the load balancer's), else it is made
here; the answer carries it back in ``X-Request-ID``, so one id joins nginx's log, the portal's and
what the person saw. Lines are written by Litestar's queue listener, off the event loop.
"""

from __future__ import annotations

import copy
import ipaddress
import itertools
import logging
import os
import re
import secrets
import time
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from litestar.logging.config import LoggingConfig, default_handlers
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from portal.ops import metrics

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
REQUEST_ID_HEADER = b"x-request-id"
# What a load balancer sends (nginx's $request_id is 32 hex digits, others send UUIDs): anything
# else is replaced, so that a client cannot write what it likes into the logs.
_SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{7,127}")
# Path parameters that are secrets (a follower's rating link, an unsubscribe link): logged masked.
SECRET_PARAMS = frozenset({"token"})

request_log = logging.getLogger("portal.requests")


class RequestIdFilter(logging.Filter):
    """Adds the current request's id (or ``missing`` outside a request) to every record."""

    def __init__(self, missing: str | None = None) -> None:
        super().__init__()
        self.missing = missing

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get() or self.missing
        return True


class JsonLines(JsonFormatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, request id, process id,
    and the fields a line was logged with (``extra=``)."""

    def __init__(self) -> None:
        super().__init__(
            ["levelname", "name", "message", "request_id", "process"],
            rename_fields={"levelname": "level", "name": "logger", "process": "pid"},
            reserved_attrs=[*RESERVED_ATTRS, "color_message"],  # uvicorn's coloured copy of the message
            json_ensure_ascii=False,
        )

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        log_data["time"] = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        super().add_fields(log_data, record, message_dict)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def make_formatter(kind: str) -> logging.Formatter:
    return JsonLines() if kind == "json" else logging.Formatter(TEXT_FORMAT)


def logging_config(kind: str) -> LoggingConfig:
    """Litestar's logging configuration with the portal's lines: ``kind`` is ``json`` or ``text``
    (``PORTAL_LOG_FORMAT``). Every logger, the root's included, writes through one queue."""
    handlers = copy.deepcopy(default_handlers)  # Litestar's, which differ from Python 3.12 on
    handlers["console"]["formatter"] = "portal"
    queue = handlers["queue_listener"]
    queue["filters"] = ["request_id"]  # in the thread that logs, where the request's id is known
    if "formatter" in queue:
        queue["formatter"] = "portal"
    return LoggingConfig(
        formatters={"portal": {"()": make_formatter, "kind": kind}},
        filters={"request_id": {"()": RequestIdFilter, "missing": None if kind == "json" else "-"}},
        handlers=handlers,
        loggers={"litestar": {"level": "INFO", "handlers": ["queue_listener"], "propagate": False}},
        root={"handlers": ["queue_listener"], "level": "INFO"},
    )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


# A new id is this process's random prefix and a count: unique across processes and restarts, and
# cheaper than a random number per request (ids are names, not secrets).
_id_prefix = secrets.token_hex(10)
_ids = itertools.count(1)


def _new_prefix() -> None:
    global _id_prefix
    _id_prefix = secrets.token_hex(10)


os.register_at_fork(after_in_child=_new_prefix)  # a forked worker must not repeat its parent's ids


def request_id_for(scope: Scope) -> str:
    """The load balancer's id when it looks like one, else a new one (32 hex digits)."""
    incoming = _header(scope, REQUEST_ID_HEADER)
    if incoming is not None and _SANE_ID.fullmatch(incoming):
        return incoming
    return f"{_id_prefix}{next(_ids) % 16**12:012x}"


def masked_client(scope: Scope) -> str | None:
    """The client's network, not its address: an IPv4 /24 or an IPv6 /48 (no one person in it)."""
    client = scope.get("client")
    return _network(client[0]) if client else None


@lru_cache(maxsize=4096)
def _network(host: str) -> str | None:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def logged_path(scope: Scope, path: str) -> str:
    """The path as logged: without its query string (never read here) and with secrets masked."""
    params = scope.get("path_params") or {}
    for name in SECRET_PARAMS & params.keys():
        path = path.replace(f"/{params[name]}", "/***")
    return path[:300]


class RequestLogMiddleware:
    """Gives each request an id, sends it back in ``X-Request-ID``, and when the answer is complete
    logs one line and counts it for /metrics. It wraps Litestar's whole handler, so that requests
    no route matched (404, 405) are logged and counted too; the route is then ``unmatched``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_for(scope)
        token = REQUEST_ID.set(request_id)
        path = scope.get("path", "")
        started = time.perf_counter()
        status = 500  # unless an answer starts: the request failed before one could be sent

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER, request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            method = metrics.method_label(str(scope.get("method", "")))
            route = scope.get("path_template") or metrics.UNMATCHED
            metrics.observe_request(method, route, status, seconds)
            request_log.info(
                "%s %s %s %.1f ms",
                method,
                logged_path(scope, path),
                status,
                seconds * 1000,
                extra={
                    "method": method,
                    "route": route,
                    "path": logged_path(scope, path),
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                    "client": masked_client(scope),
                },
            )
            REQUEST_ID.reset(token)
