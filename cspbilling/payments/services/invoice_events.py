"""What payments does when invoicing issues something (registered in invoicing.hooks, called
inside the issuing transaction): the ledger entry, then credit applied or released."""

from __future__ import annotations

from collections import defaultdict

from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import record_event
from cspbilling.core.money import from_minor_units
from cspbilling.core.services import require_transaction
from cspbilling.customers.locks import lock_customer
from cspbilling.invoicing.models import CreditNote, Invoice
from cspbilling.payments import balances
from cspbilling.payments.models import (
    Allocation,
    AllocationKind,
    LedgerEntry,
    LedgerKind,
    Payment,
    PaymentStatus,
)
from cspbilling.payments.reevaluation import money_changed
from cspbilling.payments.services.payments import allocate_oldest_first


def invoice_issued(invoice: Invoice, actor: str) -> None:
    """The invoice is owed; the customer's credit (oldest payment first) pays what it can."""
    require_transaction("invoice_issued")
    customer = lock_customer(invoice.customer_id)
    LedgerEntry.objects.create(
        customer=customer,
        currency=invoice.currency,
        kind=LedgerKind.INVOICE,
        amount_minor=invoice.total_minor,
        on=invoice.issued_on,
        invoice=invoice,
        actor=actor,
    )
    with_credit = Payment.objects.filter(
        customer=customer, currency=invoice.currency, status=PaymentStatus.POSTED
    ).order_by("received_on", "id")
    for payment in with_credit:
        if balances.open_minor(invoice) <= 0:
            break
        if balances.unallocated_minor(payment) > 0:
            allocate_oldest_first(payment, actor=actor, kind=AllocationKind.CREDIT_APPLIED)
    money_changed(customer, "invoice issued")


def credit_note_issued(note: CreditNote, actor: str) -> None:
    """The credit note lowers what is owed; if the invoice was paid beyond its new total, the
    excess goes back to the payments that paid it last (and so becomes the customer's credit)."""
    require_transaction("credit_note_issued")
    customer = lock_customer(note.customer_id)
    LedgerEntry.objects.create(
        customer=customer,
        currency=note.currency,
        kind=LedgerKind.CREDIT_NOTE,
        amount_minor=-note.total_minor,
        on=note.issued_on,
        credit_note=note,
        actor=actor,
    )
    excess = -balances.open_minor(note.invoice)
    if excess > 0:
        _release(note.invoice, excess, actor=actor, because=note.number)
    money_changed(customer, "credit note issued")


def _release(invoice: Invoice, excess: int, *, actor: str, because: str) -> None:
    by_payment: dict[int, int] = defaultdict(int)
    last_seen: dict[int, int] = {}
    for allocation in Allocation.objects.filter(invoice=invoice).order_by("id"):
        by_payment[allocation.payment_id] += allocation.amount_minor
        last_seen[allocation.payment_id] = allocation.pk
    released = {}
    for payment_id in sorted(by_payment, key=lambda pk: last_seen[pk], reverse=True):
        if excess <= 0:
            break
        minor = min(excess, by_payment[payment_id])
        if minor <= 0:
            continue
        Allocation.objects.create(
            payment_id=payment_id,
            invoice=invoice,
            amount_minor=-minor,
            kind=AllocationKind.RELEASED,
            actor=actor,
        )
        released[str(payment_id)] = str(from_minor_units(minor, invoice.currency))
        excess -= minor
    record_event(
        actor=actor,
        action=AuditAction.ALLOCATION_RELEASED,
        object_type="invoice",
        object_id=invoice.number,
        after={"credit_note": because, "released_to_payments": released},
    )
