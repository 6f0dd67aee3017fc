"""The collections hold of an escalation. A dispute case already holds its disputed amount
while it is open (cases), so an escalation of it adds none (the amount would be held twice).
An escalation from another kind of case holds what we billed for the disputed lines, on each
issued invoice that billed them, until it closes or is cancelled."""

from __future__ import annotations

from cspbilling.collections.models import DisputeHold, HoldSource
from cspbilling.collections.services import place_dispute_hold, release_dispute_hold
from cspbilling.core.money import from_minor_units
from cspbilling.core.services import transaction_step
from cspbilling.escalations.models import Escalation
from cspbilling.invoicing.models import InvoiceLine, InvoiceStatus


@transaction_step
def hold_for_escalation(
    *, escalation: Escalation, upstream_line_ids: list[int], actor: str
) -> list[DisputeHold]:
    if escalation.case.disputed_invoice_id is not None:
        return []  # the case holds it
    lines = list(
        InvoiceLine.objects.filter(
            billed_upstream_lines__upstream_line_id__in=upstream_line_ids,
            invoice__status=InvoiceStatus.ISSUED,
        )
        .select_related("invoice")
        .distinct()
        .order_by("invoice_id", "pk")
    )
    by_invoice: dict[int, list[InvoiceLine]] = {}
    for line in lines:
        by_invoice.setdefault(line.invoice_id, []).append(line)
    holds = []
    for billed in by_invoice.values():
        invoice = billed[0].invoice
        minor = sum(line.net_minor + line.tax_minor for line in billed)
        if minor <= 0:
            continue
        holds.append(
            place_dispute_hold(
                invoice=invoice,
                amount=from_minor_units(min(minor, invoice.total_minor), invoice.currency),
                source=HoldSource.ESCALATION,
                source_ref=escalation.reference,
                reason=f"escalated to 21Vianet ({escalation.reference})",
                actor=actor,
            )
        )
    return holds


@transaction_step
def release_escalation_hold(*, escalation: Escalation, reason: str, actor: str):
    return release_dispute_hold(
        source=HoldSource.ESCALATION, source_ref=escalation.reference, reason=reason, actor=actor
    )
