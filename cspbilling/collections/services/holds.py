"""Collections services. Holds: a disputed amount is out of the clock while its dispute is open.

Cases (and escalations) call these steps inside their own transactions; collections never
imports them (import-linter says so)."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import record_event
from cspbilling.collections.models import DisputeHold, HoldSource
from cspbilling.collections.tasks import reevaluate_customer
from cspbilling.core.money import MoneyError, to_minor_units
from cspbilling.core.services import entry_point, transaction_step
from cspbilling.customers.locks import lock_customer
from cspbilling.invoicing.models import Invoice, InvoiceStatus


class HoldError(ValueError):
    """A hold that cannot be placed; says why."""


@transaction_step
def place_dispute_hold(
    *,
    invoice: Invoice,
    amount: Decimal,
    source: HoldSource | str,
    source_ref: str,
    reason: str,
    actor: str,
) -> DisputeHold:
    """Hold `amount` of `invoice` out of collections for the dispute `source`/`source_ref`.
    Placing again for the same open source and invoice changes the amount (a dispute narrowed
    or widened); a dispute spanning several invoices places a hold on each."""
    if source not in HoldSource.values:
        raise HoldError(f"{source!r} is not a source of holds ({', '.join(HoldSource.values)})")
    lock_customer(invoice.customer_id)
    invoice = Invoice.objects.get(pk=invoice.pk)
    if invoice.status != InvoiceStatus.ISSUED:
        raise HoldError(f"invoice {invoice.number or invoice.pk} is not issued: nothing to hold")
    try:
        minor = to_minor_units(Decimal(str(amount)), invoice.currency)
    except (MoneyError, ArithmeticError, ValueError):
        raise HoldError(f"{amount!r} is not an amount in {invoice.currency}") from None
    if minor <= 0:
        raise HoldError("a disputed amount must be more than zero")
    if minor > invoice.total_minor:
        raise HoldError(
            f"the disputed amount {amount} is more than invoice {invoice.number}'s total "
            f"{invoice.total} {invoice.currency}"
        )
    hold = DisputeHold.objects.filter(
        source=source, source_ref=source_ref, invoice=invoice, released_at=None
    ).first()
    before = None
    if hold is not None:
        before = {"amount_minor": hold.amount_minor}
        hold.amount_minor, hold.reason = minor, reason
        hold.save(update_fields=["amount_minor", "reason"])
    else:
        hold = DisputeHold.objects.create(
            customer_id=invoice.customer_id,
            invoice=invoice,
            amount_minor=minor,
            source=source,
            source_ref=source_ref,
            reason=reason,
            placed_by=actor,
        )
    record_event(
        actor=actor,
        action=AuditAction.DISPUTE_HOLD_PLACED,
        object_type="invoice",
        object_id=invoice.pk,
        before=before,
        after={"amount_minor": minor, "source": str(source), "source_ref": source_ref},
        context={"customer": invoice.customer_id, "reason": reason},
    )
    # A disputed amount is out of the clock: it may take the customer out of the suspension
    # condition (re-evaluated in the worker; the task row commits with the hold).
    reevaluate_customer.enqueue(invoice.customer_id, f"amount disputed: {reason}")
    return hold


@transaction_step
def release_dispute_hold(
    *, source: HoldSource | str, source_ref: str, reason: str, actor: str
) -> list[DisputeHold]:
    """The dispute is settled: its amounts (on every invoice it held) are back on the clock.
    Returns the holds released (none when nothing was held)."""
    holds = list(
        DisputeHold.objects.filter(source=source, source_ref=source_ref, released_at=None).order_by(
            "invoice_id"
        )
    )
    if not holds:
        return []
    lock_customer(holds[0].customer_id)
    now = timezone.now()
    for hold in holds:
        hold.released_at, hold.released_by, hold.release_reason = now, actor, reason
        hold.save(update_fields=["released_at", "released_by", "release_reason"])
        record_event(
            actor=actor,
            action=AuditAction.DISPUTE_HOLD_RELEASED,
            object_type="invoice",
            object_id=hold.invoice_id,
            before={
                "amount_minor": hold.amount_minor,
                "source": hold.source,
                "source_ref": source_ref,
            },
            context={"customer": hold.customer_id, "reason": reason},
        )
    # The amounts are back on the clock; a settled dispute may also take the customer out of
    # the suspension condition: re-evaluate in the worker (the task row commits with it).
    reevaluate_customer.enqueue(holds[0].customer_id, f"dispute settled: {reason}")
    return holds


do_place_dispute_hold = entry_point(place_dispute_hold)
do_release_dispute_hold = entry_point(release_dispute_hold)
