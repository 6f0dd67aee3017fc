"""Settling an escalation: closing it (its lines free, its hold lifted) and resolving its case
through cases' resolve path, with the customer-visible resolution message (a case never closes
without one). Steps, called inside the caller's transaction."""

from __future__ import annotations

from django.utils import timezone

from cspbilling.audit.actions import AuditAction
from cspbilling.cases.models import CaseCategory, CaseStatus
from cspbilling.cases.services import add_note, resolve_case
from cspbilling.escalations import transitions
from cspbilling.escalations.models import AWAITING_OUTCOME, Escalation
from cspbilling.escalations.services.events import record_escalation_event
from cspbilling.escalations.services.holds import release_escalation_hold
from cspbilling.invoicing.models import CreditNote


def close_escalation(escalation: Escalation, *, actor: str) -> None:
    transitions.close(escalation, at=timezone.now())
    escalation.updated_at = timezone.now()
    escalation.save()
    escalation.lines.update(is_open=False)
    release_escalation_hold(
        escalation=escalation, reason=f"{escalation.reference} closed", actor=actor
    )
    record_escalation_event(escalation, AuditAction.ESCALATION_CLOSED, actor=actor)


def resolve_case_of(
    escalation: Escalation,
    *,
    resolution: str,
    outcome: str,
    credit_notes: list[CreditNote],
    actor: str,
) -> None:
    """Resolve the escalation's case with `resolution` (the customer reads it). A dispute records
    its outcome and the credit note on its disputed invoice. Left to the agent (with a note
    saying why) when another escalation of the case still waits on 21Vianet, or when no credit
    note is on the disputed invoice (the dispute cannot name one)."""
    case = escalation.case
    case.refresh_from_db()
    if case.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        return
    others = Escalation.objects.filter(case=case, status__in=AWAITING_OUTCOME).exclude(
        pk=escalation.pk
    )
    if others.exists():
        add_note(
            case=case,
            body=f"{escalation.reference} is settled, but {case.reference} stays escalated: "
            f"{', '.join(o.reference for o in others.order_by('pk'))} still waits on 21Vianet. "
            "Resolve the case once that one is settled too.",
            actor=actor,
        )
        return
    is_dispute = case.category == CaseCategory.DISPUTE
    credit_note = None
    if is_dispute and credit_notes:
        credit_note = next(
            (n for n in credit_notes if n.invoice_id == case.disputed_invoice_id), None
        )
        if credit_note is None:
            add_note(
                case=case,
                body=f"{escalation.reference}: credit notes "
                f"{', '.join(n.number for n in credit_notes)} were issued on other invoices "
                f"than the disputed one; resolve {case.reference} by hand.",
                actor=actor,
            )
            return
    resolve_case(
        case=case,
        resolution=resolution,
        actor=actor,
        outcome=outcome if is_dispute else "",
        credit_note=credit_note,
    )


def name_replacement_line(*, old_id: int, new_id: int) -> None:
    """Inside the re-issue's transaction (invoicing audits the re-pointing): the escalations
    naming upstream line `old_id` (matched, making up a short credit, or flagged) name the line
    of the re-issue that replaced it."""
    for field in (
        "credit_upstream_line_id",
        "shortfall_credit_line_id",
        "oversized_credit_line_id",
    ):
        Escalation.objects.filter(**{field: old_id}).update(**{field: new_id})
