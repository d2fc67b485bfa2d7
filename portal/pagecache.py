"""A per-process cache of rendered public pages, checked against a version read from the database.

Public pages are the same for every visitor except for the CSP nonce and the CSRF token, so a
page is rendered once with markers in their place and personalised per request by substitution.
The version (a ticket's ``version``, or the newest event id for lists) is read on every request,
so a change made on any instance shows at once everywhere.
"""

from __future__ import annotations

import secrets
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")

# Random per process: text a resident types can never be mistaken for a marker.
NONCE_MARK = f"nonce{secrets.token_hex(8)}"
CSRF_MARK = f"csrf{secrets.token_hex(8)}"


class LruCache(Generic[V]):
    """A thread-safe cache that forgets the least recently used entries beyond ``max_entries``, or
    beyond ``max_bytes`` as ``weigh`` counts them (when given)."""

    def __init__(
        self, max_entries: int = 2048, *, max_bytes: int = 0, weigh: Callable[[V], int] | None = None
    ) -> None:
        self._entries: OrderedDict[Hashable, V] = OrderedDict()
        self._max = max_entries
        self._max_bytes = max_bytes
        self._weigh = weigh
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            body = self._entries.get(key)
            if body is not None:
                self._entries.move_to_end(key)
            return body

    def put(self, key: Hashable, value: V) -> None:
        with self._lock:
            replaced = self._entries.get(key)
            if replaced is not None:
                self._bytes -= self._size(replaced)
            self._entries[key] = value
            self._bytes += self._size(value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max or (self._max_bytes and self._bytes > self._max_bytes):
                _key, dropped = self._entries.popitem(last=False)
                self._bytes -= self._size(dropped)

    def _size(self, value: V) -> int:
        return self._weigh(value) if self._weigh is not None else 0

    @property
    def weight(self) -> int:
        """What ``weigh`` counts of every entry kept (0 without one)."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0


# A year of tickets is 300,000 pages a crawler may walk: the cache keeps what fits in a bounded
# share of an instance's memory (its budget is 300 MB), the most recently read first.
PAGE_CACHE_BYTES = 64 * 1024 * 1024


class PageCache(LruCache[str]):
    """Rendered public pages, with markers where the nonce and the CSRF token go."""

    def __init__(self, max_entries: int = 4096, max_bytes: int = PAGE_CACHE_BYTES) -> None:
        super().__init__(max_entries, max_bytes=max_bytes, weigh=sys.getsizeof)


def personalise(body: str, nonce: str, csrf_token: str) -> str:
    return body.replace(NONCE_MARK, nonce).replace(CSRF_MARK, csrf_token)
