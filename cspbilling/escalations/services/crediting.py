"""The customer's credit for an upheld escalation: one credit note per customer invoice whose
lines billed the disputed upstream lines, each for the share of the credit those lines carry,
all in the caller's one transaction (one refused: none is issued) and never twice for one
invoice (`EscalationCreditNote` is unique per escalation and invoice)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from cspbilling.audit.actions import AuditAction
from cspbilling.cases.models import DisputeOutcome
from cspbilling.core.money import from_minor_units
from cspbilling.escalations import texts
from cspbilling.escalations.models import Escalation, EscalationCreditNote
from cspbilling.escalations.services.events import EscalationError, record_escalation_event
from cspbilling.escalations.services.settling import resolve_case_of
from cspbilling.invoicing.credits import CreditError
from cspbilling.invoicing.models import (
    BilledUpstreamLine,
    CreditNote,
    CreditNoteOrigin,
    Invoice,
    InvoiceStatus,
)
from cspbilling.invoicing.services.credit_notes import draft_credit_note, issue_credit_note


def credit_amounts(
    escalation: Escalation, *, credited_minor: int | None = None
) -> list[tuple[Invoice, dict[int, Decimal]]]:
    """Per issued customer invoice that billed the disputed upstream lines (oldest first), the
    net to credit per invoice line: what we billed for those lines (their share of each line's
    upstream cost), scaled by the part of the dispute credited (`credited_minor`, by default
    the promised credit, over the disputed amount)."""
    credited = escalation.promised_credit_minor if credited_minor is None else credited_minor
    ratio = Decimal(credited or 0) / Decimal(escalation.disputed_minor or 1)
    by_upstream = dict(escalation.lines.values_list("upstream_line_id", "amount_minor"))
    billed = (
        BilledUpstreamLine.objects.filter(
            upstream_line_id__in=by_upstream, invoice_line__invoice__status=InvoiceStatus.ISSUED
        )
        .select_related("invoice_line__invoice")
        .order_by("invoice_line__invoice_id", "invoice_line_id", "upstream_line_id")
    )
    invoices: dict[int, Invoice] = {}
    lines = {}
    disputed_micro: dict[int, int] = {}
    for row in billed:
        line = row.invoice_line
        invoices.setdefault(line.invoice_id, line.invoice)
        lines[line.pk] = line
        micro = by_upstream[row.upstream_line_id] * 10_000  # minor units → millionths
        disputed_micro[line.pk] = disputed_micro.get(line.pk, 0) + micro
    if not invoices:
        raise EscalationError(
            f"{escalation.reference}: the disputed lines were never billed to the customer on "
            "an issued invoice; nothing to credit"
        )
    amounts: dict[int, dict[int, Decimal]] = {pk: {} for pk in invoices}
    for pk, line in lines.items():
        share = min(Decimal(disputed_micro[pk]) / Decimal(line.upstream_amount_micro or 1), 1)
        net = (Decimal(line.net_minor) * share * ratio).quantize(Decimal(1), ROUND_HALF_UP)
        if net:
            amounts[line.invoice_id][pk] = from_minor_units(int(net), line.invoice.currency)
    return [(invoices[pk], by_line) for pk, by_line in amounts.items() if by_line]


def issue_credit_notes(
    escalation: Escalation, *, actor: str, credited_minor: int | None = None
) -> list[CreditNote]:
    """Inside the caller's transaction: the credit notes not issued yet (one per invoice), then
    the case resolved with all of them named. Returns every credit note of the escalation."""
    done = set(escalation.credit_notes.values_list("invoice_id", flat=True))
    for invoice, amounts in credit_amounts(escalation, credited_minor=credited_minor):
        if invoice.pk in done:
            continue
        try:
            note = draft_credit_note(
                invoice=invoice,
                reason=f"21Vianet upheld dispute {escalation.reference} (ticket "
                f"{escalation.ticket_number})",
                actor=actor,
                amounts=amounts,
                origin=CreditNoteOrigin.UPSTREAM_CORRECTION,
            )
            note = issue_credit_note(credit_note=note, actor=actor)
        except CreditError as exc:
            raise EscalationError(
                f"{escalation.reference}: invoice {invoice.number} cannot be credited ({exc}); "
                "no credit note was issued"
            ) from exc
        EscalationCreditNote.objects.create(
            escalation=escalation, invoice=invoice, credit_note=note
        )
        record_escalation_event(
            escalation,
            AuditAction.ESCALATION_CREDITED,
            actor=actor,
            after={
                "credit_note": note.number,
                "invoice": invoice.number,
                "total_minor": note.total_minor,
            },
        )
    notes = [
        link.credit_note
        for link in escalation.credit_notes.select_related("credit_note__invoice").order_by(
            "invoice_id"
        )
    ]
    case = escalation.case
    resolve_case_of(
        escalation,
        resolution=texts.credited(
            case.language,
            notes=[
                (
                    n.number,
                    from_minor_units(n.total_minor, n.currency),
                    n.currency,
                    n.invoice.number,
                )
                for n in notes
            ],
        ),
        outcome=DisputeOutcome.CREDIT_NOTE,
        credit_notes=notes,
        actor=actor,
    )
    return notes
