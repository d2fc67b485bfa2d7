"""Every action the audit log records reads as words on /staff/audit, never as a machine id."""

from __future__ import annotations

from portal.accounts.models import AUDIT_LABELS
from portal.evaluation.models import EVALUATION_KINDS
from portal.tickets.lifecycle import Action

STAFF_STEPS = {a.value for a in Action} - {"report", "support", "close"}  # the ones staff take


def test_every_recorded_action_has_a_label() -> None:
    recorded = STAFF_STEPS | {f"evaluate-{kind}" for kind in EVALUATION_KINDS} | {"ask-peer"}
    assert recorded <= set(AUDIT_LABELS), sorted(recorded - set(AUDIT_LABELS))
