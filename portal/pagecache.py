"""A per-process cache of rendered public pages, checked against a version read from the database.

Public pages are the same for every visitor except for the CSP nonce and the CSRF token, so a
page is rendered once with markers in their place and personalised per request by substitution.
The version (a ticket's ``version``, or the newest event id for lists) is read on every request,
so a change made on any instance shows at once everywhere. A change that the versions do not cover
(a survey's settings, shown on its project's page) empties the cache of every instance: at once on
the instance that made it, within a second on the others (a stamp in the database).
"""

from __future__ import annotations

import secrets
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session

from portal import cluster

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

PAGES = "pages"  # the stamp that empties every instance's page cache


class PageCache(LruCache[str]):
    """Rendered public pages, with markers where the nonce and the CSRF token go."""

    def __init__(
        self,
        engine: Engine | None = None,
        max_entries: int = 4096,
        max_bytes: int = PAGE_CACHE_BYTES,
        check_every: float = 1.0,
    ) -> None:
        super().__init__(max_entries, max_bytes=max_bytes, weigh=sys.getsizeof)
        self._engine = engine
        self._changes = cluster.StampWatch(engine, PAGES, check_every) if engine is not None else None

    def get(self, key: Hashable) -> str | None:
        if self._changes is not None and self._changes.moved():
            self.clear()  # another instance asked every cache to start afresh
        return super().get(key)

    def forget_everywhere(self) -> None:
        """Empty this cache now, and every other instance's within a second."""
        if self._engine is not None:
            with Session(self._engine) as session:
                cluster.bump(session, PAGES)
                session.commit()
        self.clear()


def personalise(body: str, nonce: str, csrf_token: str) -> str:
    return body.replace(NONCE_MARK, nonce).replace(CSRF_MARK, csrf_token)
