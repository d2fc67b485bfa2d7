"""Locales, negotiation and translation helpers."""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a module-level message for extraction; translate it where it is shown."""
    return message
