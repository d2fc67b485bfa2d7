"""Staff steps recorded as machine text read as words on the staff pages and in the audit log."""

from __future__ import annotations

from portal.dispatch.notes import describe_audit_detail, describe_update
from portal.i18n import translator
from portal.services import Services


def test_updates_and_supervision_orders_read_as_words(services: Services) -> None:
    reference = services.reference.get()
    category = reference.categories[0]
    en, zh = translator("en"), translator("zh_Hans")
    text = f"category={category.slug}, urgent, photo 7 hidden"
    assert describe_update(en, reference, text) == (
        f"Kind of problem changed to {category.name_en}; Marked urgent; A photo was hidden"
    )
    assert describe_update(zh, reference, "private") == "改为仅反映人和工作人员可见"
    assert describe_audit_detail(en, reference, "update", "urgent") == "Marked urgent"
    assert describe_audit_detail(zh, reference, "supervise", "missed_response: 未在响应时限内接单。") == (
        "未按时接单：未在响应时限内接单。"
    )
    assert describe_audit_detail(en, reference, "dispatch", "urban-management") == "urban-management"


def test_the_portals_own_reasons_read_in_the_readers_language() -> None:
    from portal.dispatch.notes import SYSTEM_REASONS, system_words
    from portal.i18n import translator

    written = translator("zh_Hans").gettext(SYSTEM_REASONS[1])  # as the sweep wrote it on a Chinese ticket
    assert written != SYSTEM_REASONS[1]
    assert system_words(translator("en"), written) == "Not resolved within the resolution deadline."
    assert system_words(translator("zh_Hant"), written) == translator("zh_Hant").gettext(SYSTEM_REASONS[1])
    assert system_words(translator("en"), "路灯已修好") == "路灯已修好"  # what staff wrote stays as written
