"""What every escalation change leaves behind, in its transaction: an audit event."""

from __future__ import annotations

from typing import Any

from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import record_event
from cspbilling.escalations.models import Escalation


class EscalationError(ValueError):
    """An escalation operation refused; says why."""


def record_escalation_event(
    escalation: Escalation,
    action: AuditAction,
    *,
    actor: str,
    before: Any = None,
    after: Any = None,
) -> None:
    record_event(
        actor=actor,
        action=action,
        object_type="escalation",
        object_id=escalation.reference,
        before=before,
        after=after,
        context={
            "customer": escalation.customer_id,
            "case": escalation.case.reference,
            "ticket_number": escalation.ticket_number,
        },
    )
