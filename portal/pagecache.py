"""A per-process cache of rendered public pages, checked against a version read from the database.

Public pages are the same for every visitor except for the CSP nonce and the CSRF token, so a
page is rendered once with markers in their place and personalised per request by substitution.
The version (a ticket's ``version``, or the newest event id for lists) is read on every request,
so a change made on any instance shows at once everywhere.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V")

# Random per process: text a resident types can never be mistaken for a marker.
NONCE_MARK = f"nonce{secrets.token_hex(8)}"
CSRF_MARK = f"csrf{secrets.token_hex(8)}"


class LruCache(Generic[V]):
    """A thread-safe cache that forgets the least recently used entry beyond ``max_entries``."""

    def __init__(self, max_entries: int = 2048) -> None:
        self._entries: OrderedDict[Hashable, V] = OrderedDict()
        self._max = max_entries
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            body = self._entries.get(key)
            if body is not None:
                self._entries.move_to_end(key)
            return body

    def put(self, key: Hashable, value: V) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


PageCache = LruCache[str]
"""Rendered public pages, with markers where the nonce and the CSRF token go."""


def personalise(body: str, nonce: str, csrf_token: str) -> str:
    return body.replace(NONCE_MARK, nonce).replace(CSRF_MARK, csrf_token)
