"""Staff steps recorded as short machine text (in events and the audit log), written out in the
reader's words with today's names."""

from __future__ import annotations

import re
from functools import lru_cache

from portal.directory.service import Reference
from portal.dispatch.models import ORDER_KIND_LABELS, OrderKind
from portal.i18n import LOCALES, N_, Translator, translator

MISSED_REASONS = {
    OrderKind.MISSED_RESPONSE: N_("Not accepted within the response deadline."),
    OrderKind.MISSED_RESOLUTION: N_("Not resolved within the resolution deadline."),
}
POOR_RATING_REASON = N_("A resident rated the result as poor or not solved.")
SYSTEM_REASONS = (*MISSED_REASONS.values(), POOR_RATING_REASON)
"""Reasons the portal itself writes into supervision orders and their events, in the ticket's language."""


@lru_cache(maxsize=1)
def _system_reason_ids() -> dict[str, str]:
    return {translator(locale).gettext(m): m for locale in LOCALES for m in SYSTEM_REASONS}


def system_words(t: Translator, text: str) -> str:
    """A reason the portal wrote (in the ticket's language) in the reader's; anything else as written."""
    message = _system_reason_ids().get(text.strip())
    return t.gettext(message) if message else text


UPDATE_WORDS = {
    "public": N_("Now visible to everyone"),
    "private": N_("Now visible only to the reporter and staff"),
    "urgent": N_("Marked urgent"),
    "normal priority": N_("Marked normal priority"),
}
_PHOTO_STEP = re.compile(r"photo \d+ (approved|hidden)")


def describe_update(t: Translator, reference: Reference, text: str) -> str:
    """``category=road-damage, urgent`` → "Kind of problem changed to 道路破损; Marked urgent"."""
    parts = []
    for token in filter(None, text.split(", ")):
        key, _, value = token.partition("=")
        photo = _PHOTO_STEP.fullmatch(token)
        if key == "category" and (category := reference.category_by_slug.get(value)):
            parts.append(t.gettext(N_("Kind of problem changed to %(name)s"), name=category.name(t.locale)))
        elif key == "community" and (community := reference.community_by_slug.get(value)):
            parts.append(t.gettext(N_("Community changed to %(name)s"), name=community.name(t.locale)))
        elif token in UPDATE_WORDS:
            parts.append(t.gettext(UPDATE_WORDS[token]))
        elif photo:
            approved = photo.group(1) == "approved"
            parts.append(t.gettext(N_("A photo was made public") if approved else N_("A photo was hidden")))
        else:
            parts.append(token)
    return t.gettext(N_("; ")).join(parts)


def describe_public_update(t: Translator, reference: Reference, text: str) -> str:
    """What of a detail update the public can see on the ticket's page, in words; "" when nothing
    (a photo reviewed, the priority changed): such a step stays off the public timeline."""
    parts = []
    for token in filter(None, text.split(", ")):
        key, _, value = token.partition("=")
        if key == "category" and (category := reference.category_by_slug.get(value)):
            parts.append(t.gettext(N_("Kind of problem changed to %(name)s"), name=category.name(t.locale)))
        elif key == "community" and (community := reference.community_by_slug.get(value)):
            street = reference.street_by_id.get(community.street_id)
            if street is not None:  # the public page names the street, never the community
                parts.append(t.gettext(N_("Place corrected: %(name)s"), name=street.name(t.locale)))
        elif token in ("public", "private"):
            parts.append(t.gettext(UPDATE_WORDS[token]))
    return t.gettext(N_("; ")).join(parts)


def describe_audit_detail(t: Translator, reference: Reference, action: str, detail: str) -> str:
    """An audit entry's detail: updates and supervision orders in words, anything else as recorded."""
    if action == "update":
        return describe_update(t, reference, detail)
    if action == "supervise":
        kind, _, reason = detail.partition(": ")
        if kind in {k.value for k in OrderKind}:
            return t.gettext(
                N_("%(who)s: %(what)s"),
                who=t.gettext(ORDER_KIND_LABELS[OrderKind(kind)]),
                what=system_words(t, reason),
            )
    return detail
