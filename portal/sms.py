"""The SMS gateway adapter. The console adapter logs messages; a real gateway plugs in by configuration.

``PORTAL_SMS_ADAPTER`` is ``console`` or ``package.module:ClassName`` of a class taking the settings.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol

from portal.contact import mask_phone
from portal.ops import metrics

log = logging.getLogger("portal.sms")
MAX_SMS_CHARS = 70  # one Chinese SMS segment; longer messages are split and cost more


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    text: str


class SmsGateway(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class ConsoleSms:
    """Writes each message to the log (phone masked) and keeps the latest ones for tests and demos."""

    def __init__(self, keep: int = 200) -> None:
        self.sent: deque[SmsMessage] = deque(maxlen=keep)
        self._lock = threading.Lock()

    def send(self, phone: str, text: str) -> None:
        with self._lock:
            self.sent.append(SmsMessage(phone, text))
        log.info("SMS to %s: %s", mask_phone(phone), text)

    def to(self, phone: str) -> list[str]:
        with self._lock:
            return [m.text for m in self.sent if m.phone == phone]


class CountedSms:
    """A gateway whose messages are counted for /metrics; everything else is the gateway's own."""

    def __init__(self, gateway: SmsGateway) -> None:
        self.gateway = gateway

    def send(self, phone: str, text: str) -> None:
        try:
            self.gateway.send(phone, text)
        except Exception:
            metrics.SMS_FAILED.inc()
            raise
        metrics.SMS_SENT.inc()

    def __getattr__(self, name: str) -> Any:  # the console adapter's outbox, for tests and demos
        return getattr(self.gateway, name)


def load_gateway(spec: str) -> SmsGateway:
    if spec in {"", "console"}:
        return CountedSms(ConsoleSms())
    module_name, _, class_name = spec.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    return CountedSms(cls())
