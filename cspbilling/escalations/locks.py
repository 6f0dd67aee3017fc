"""Named locks of escalations (DESIGN.md: locks have names)."""

from __future__ import annotations

from cspbilling.escalations.models import Escalation


def lock_escalation(pk: int) -> Escalation:
    return Escalation.objects.select_for_update().select_related("case", "customer").get(pk=pk)
