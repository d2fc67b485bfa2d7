"""Tracking codes that are easy to read aloud and type, and one-time form keys."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

# No 0/O and no 1/I: the characters people confuse on paper and on the phone.
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 8
_SEPARATORS = re.compile(r"[\s\-_.·—–]+")


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normalize_code(text: str | None) -> str | None:
    """The canonical ``XXXX-XXXX`` form of what somebody typed, or None if it cannot be a code."""
    if not text:
        return None
    raw = _SEPARATORS.sub("", text.strip().upper())
    if len(raw) != CODE_LENGTH or any(ch not in ALPHABET for ch in raw):
        return None
    return f"{raw[:4]}-{raw[4:]}"


def new_form_key(secret: str) -> str:
    """A one-time key for a form, signed so that only keys this portal issued are accepted."""
    nonce = secrets.token_urlsafe(18)
    return f"{nonce}.{_sign(secret, nonce)}"


def valid_form_key(secret: str, key: str | None) -> bool:
    if not key or len(key) > 64 or "." not in key:
        return False
    nonce, _, signature = key.partition(".")
    return hmac.compare_digest(signature, _sign(secret, nonce))


def _sign(secret: str, value: str) -> str:
    return hmac.new(secret.encode(), f"form-key:{value}".encode(), hashlib.sha256).hexdigest()[:20]
