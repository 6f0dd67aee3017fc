"""Supplementary invoices (what 21Vianet's corrected invoice adds to one we issued) are drafted
by the billing run for review. Finance issues one like any draft, or discards it: the customer
is then never billed the difference (the issued line already traces 21Vianet's current lines,
so no later run drafts it again). Kept, like a discarded credit note, and audited with why."""

from __future__ import annotations

from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import record_event
from cspbilling.core.money import from_minor_units
from cspbilling.core.services import entry_point, one_line, transaction_step
from cspbilling.invoicing import transitions
from cspbilling.invoicing.locks import lock_invoices
from cspbilling.invoicing.models import Invoice, InvoiceStatus

MAX_REASON = 1000  # as a discarded credit note's


class SupplementError(ValueError):
    """A discard refused; says why."""


@transaction_step
def discard_supplementary_invoice(*, invoice: Invoice, actor: str, reason: str) -> Invoice:
    """Discard a supplementary draft with the reason; a month's own drafts are rebuilt by each
    billing run (change their price rules instead), and issued invoices never change."""
    why = one_line(reason or "", MAX_REASON + 1)
    if not why:
        raise SupplementError("say why the supplementary invoice is not billed")
    if len(why) > MAX_REASON:
        raise SupplementError(f"the reason is longer than {MAX_REASON} characters")
    [locked] = lock_invoices([invoice.pk])
    if locked.corrects_id is None:
        raise SupplementError(
            f"draft #{locked.pk} is the month's own invoice, rebuilt by each billing run: only "
            "a supplementary invoice is discarded"
        )
    if locked.status != InvoiceStatus.DRAFT:
        raise SupplementError(
            f"supplementary invoice #{locked.pk} is {locked.get_status_display().lower()}, "
            "not a draft"
        )
    transitions.discard(locked)
    locked.save(update_fields=["status"])
    record_event(
        actor=actor,
        action=AuditAction.INVOICE_DISCARDED,
        object_type="invoice",
        object_id=locked.pk,
        before={"status": InvoiceStatus.DRAFT},
        after={
            "status": InvoiceStatus.DISCARDED,
            "why": why,
            "supplements": locked.corrects.number,
            "customer": str(locked.customer.tenant_id),
            "total": str(from_minor_units(locked.total_minor, locked.currency)),
            "currency": locked.currency,
        },
    )
    invoice.status = locked.status
    return locked


do_discard_supplementary_invoice = entry_point(discard_supplementary_invoice)
