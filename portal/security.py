"""Signed cookies and named rate limiters (in-process, or Redis when several instances run)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
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
    """Fixed-window counters in this process: right for the single-instance default."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, str, int], int] = {}
        self._lock = threading.Lock()

    def hit(self, name: str, key: str, limit: RateLimit) -> Verdict:
        now = time.time()
        window = int(now // limit.seconds)
        with self._lock:
            if len(self._counts) > 100_000:  # old windows are never read again
                self._counts = {k: v for k, v in self._counts.items() if k[2] >= window}
            slot = (name, key, window)
            count = self._counts.get(slot, 0) + 1
            self._counts[slot] = count
        if count > limit.count:
            return Verdict(False, int((window + 1) * limit.seconds - now) + 1)
        return Verdict(True)

    def peek(self, name: str, key: str, limit: RateLimit) -> Verdict:
        now = time.time()
        window = int(now // limit.seconds)
        with self._lock:
            count = self._counts.get((name, key, window), 0)
        if count >= limit.count:
            return Verdict(False, int((window + 1) * limit.seconds - now) + 1)
        return Verdict(True)

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


class RedisLimiter:
    """The same counters in Redis, shared by every app instance."""

    def __init__(self, url: str, prefix: str = "portal:rl") -> None:
        import redis

        self._redis = redis.Redis.from_url(url)
        self._prefix = prefix

    def hit(self, name: str, key: str, limit: RateLimit) -> Verdict:
        now = time.time()
        window = int(now // limit.seconds)
        redis_key = f"{self._prefix}:{name}:{key}:{window}"
        pipe = self._redis.pipeline()
        pipe.incr(redis_key)
        pipe.expire(redis_key, limit.seconds + 1)
        count = int(pipe.execute()[0])
        if count > limit.count:
            return Verdict(False, int((window + 1) * limit.seconds - now) + 1)
        return Verdict(True)

    def peek(self, name: str, key: str, limit: RateLimit) -> Verdict:
        now = time.time()
        window = int(now // limit.seconds)
        count = int(self._redis.get(f"{self._prefix}:{name}:{key}:{window}") or 0)
        if count >= limit.count:
            return Verdict(False, int((window + 1) * limit.seconds - now) + 1)
        return Verdict(True)

    def reset(self) -> None:
        for key in self._redis.scan_iter(f"{self._prefix}:*"):
            self._redis.delete(key)


def make_limiter(redis_url: str) -> Limiter:
    return RedisLimiter(redis_url) if redis_url else MemoryLimiter()
