"""Signed cookies and named rate limiters (in-process, or Redis when several instances run)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from portal.settings import RateLimit


def sign_value(secret: str, purpose: str, payload: Any) -> str:
    body = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")
    mac = hmac.new(secret.encode(), f"{purpose}:{body}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"{body}.{mac}"


def unsign_value(secret: str, purpose: str, token: str | None) -> Any:
    """The payload of a value this portal signed for ``purpose``, or None if it was changed or forged."""
    if not token or "." not in token or len(token) > 4096:
        return None
    body, _, mac = token.rpartition(".")
    expected = hmac.new(secret.encode(), f"{purpose}:{body}".encode(), hashlib.sha256).hexdigest()[:32]
    if not hmac.compare_digest(mac, expected):
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError:
        return None


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0


class Limiter(Protocol):
    def hit(self, name: str, key: str, limit: RateLimit) -> Verdict: ...

    def peek(self, name: str, key: str, limit: RateLimit) -> Verdict:
        """Whether one more hit would be allowed, without counting one."""
        ...

    def reset(self) -> None: ...


class MemoryLimiter:
    """Sliding-window counters in this process: right for the single-instance default.

    A hit counts for exactly ``limit.seconds`` after it, so no burst fits across a window edge
    (fixed windows let twice the limit through around each edge)."""

    def __init__(self) -> None:
        self._hits: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, name: str, key: str, seconds: int, now: float) -> deque[float]:
        hits = self._hits.setdefault((name, key), deque())
        while hits and hits[0] <= now - seconds:
            hits.popleft()
        return hits

    def hit(self, name: str, key: str, limit: RateLimit) -> Verdict:
        now = time.time()
        with self._lock:
            if len(self._hits) > 100_000:  # forget keys that went quiet
                self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - 86400}
            hits = self._recent(name, key, limit.seconds, now)
            verdict = _verdict(hits, limit, now)
            if verdict.allowed:  # a refused try is not counted: waiting out the answer always works
                hits.append(now)
            return verdict

    def peek(self, name: str, key: str, limit: RateLimit) -> Verdict:
        now = time.time()
        with self._lock:
            return _verdict(self._recent(name, key, limit.seconds, now), limit, now)

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()


def _verdict(hits: Sequence[float], limit: RateLimit, now: float) -> Verdict:
    """Whether one more hit fits; if not, how long until the oldest counted hit leaves the window."""
    if len(hits) < limit.count:
        return Verdict(True)
    return Verdict(False, int(min(hits) + limit.seconds - now) + 1)


class RedisLimiter:
    """The same sliding windows in Redis (a sorted set of hit times per key), shared by every instance."""

    def __init__(self, url: str, prefix: str = "portal:rl") -> None:
        import redis

        self._redis = redis.Redis.from_url(url)
        self._prefix = prefix

    def hit(self, name: str, key: str, limit: RateLimit) -> Verdict:
        now = time.time()
        redis_key = f"{self._prefix}:{name}:{key}"
        member = f"{now}:{secrets.token_hex(4)}"
        pipe = self._redis.pipeline()  # MULTI/EXEC: the instances' hits never interleave inside it
        pipe.zremrangebyscore(redis_key, 0, now - limit.seconds)
        pipe.zadd(redis_key, {member: now})
        pipe.zrange(redis_key, 0, -1, withscores=True)
        pipe.expire(redis_key, limit.seconds + 1)
        others = [score for name_, score in pipe.execute()[2] if name_.decode() != member]
        verdict = _verdict(others, limit, now)
        if not verdict.allowed:
            self._redis.zrem(redis_key, member)  # a refused try is not counted
        return verdict

    def peek(self, name: str, key: str, limit: RateLimit) -> Verdict:
        now = time.time()
        redis_key = f"{self._prefix}:{name}:{key}"
        hits: Any = self._redis.zrangebyscore(redis_key, f"({now - limit.seconds}", "+inf", withscores=True)
        return _verdict([float(score) for _, score in hits], limit, now)

    def reset(self) -> None:
        for key in self._redis.scan_iter(f"{self._prefix}:*"):
            self._redis.delete(key)


def make_limiter(redis_url: str) -> Limiter:
    return RedisLimiter(redis_url) if redis_url else MemoryLimiter()
