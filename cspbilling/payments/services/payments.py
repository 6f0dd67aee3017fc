"""Recording money received, allocating it to invoices, reversing it, refunding credit.

Every step takes the customer's row lock first: all money of one customer moves one change at a
time, so two people allocating the same payment at once cannot over-allocate it. Every change
writes its ledger entry and audit event in the same transaction, and tells whoever listens
(collections) that the customer's money changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.utils import timezone

from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import record_event
from cspbilling.core.money import MINOR_UNITS, MoneyError, from_minor_units, to_minor_units
from cspbilling.core.services import entry_point, one_line, transaction_step
from cspbilling.customers.locks import lock_customer
from cspbilling.customers.models import Customer
from cspbilling.invoicing.models import Invoice, InvoiceStatus
from cspbilling.payments import balances, transitions
from cspbilling.payments.models import (
    Allocation,
    AllocationKind,
    LedgerEntry,
    LedgerKind,
    Payment,
    PaymentMethod,
    Refund,
)
from cspbilling.payments.reevaluation import money_changed

# Far beyond any real payment; a typo of a few zeros is caught by the open balance check.
MAX_AMOUNT_MINOR = 10**13
EARLIEST = dt.date(2000, 1, 1)


class PaymentError(ValueError):
    """A payment, allocation or refund that cannot be made; says what and why."""


def _amount_minor(amount: Decimal | str, currency: str) -> int:
    if currency not in MINOR_UNITS:
        raise PaymentError(f"{currency!r} is not a currency we bill in ({', '.join(MINOR_UNITS)})")
    try:
        minor = to_minor_units(Decimal(str(amount).strip()), currency)
    except (MoneyError, ArithmeticError, ValueError):
        raise PaymentError(f"{amount!r} is not an amount in {currency}") from None
    if minor <= 0:
        raise PaymentError("an amount must be more than zero")
    if minor > MAX_AMOUNT_MINOR:
        raise PaymentError(f"{amount} {currency} is beyond any payment we take")
    return minor


def _day(on: dt.date, what: str) -> dt.date:
    if not EARLIEST <= on <= timezone.localdate() + dt.timedelta(days=1):
        raise PaymentError(f"{what} {on} is not a day a payment can have been made")
    return on


def _money(minor: int, currency: str) -> str:
    return str(from_minor_units(minor, currency))


def _allocate(
    payment: Payment, invoice: Invoice, minor: int, *, kind: str, actor: str
) -> Allocation:
    allocation = Allocation.objects.create(
        payment=payment, invoice=invoice, amount_minor=minor, kind=kind, actor=actor
    )
    record_event(
        actor=actor,
        action=AuditAction.CREDIT_APPLIED
        if kind == AllocationKind.CREDIT_APPLIED
        else AuditAction.PAYMENT_ALLOCATED,
        object_type="payment",
        object_id=payment.pk,
        after={
            "invoice": invoice.number,
            "amount": _money(minor, payment.currency),
            "currency": payment.currency,
            "invoice_open_after": _money(balances.open_minor(invoice), invoice.currency),
        },
    )
    return allocation


def allocate_oldest_first(payment: Payment, *, actor: str, kind: str) -> int:
    """Spend what is unallocated of the payment on the customer's open invoices, oldest due
    first. Returns what was allocated. (Inside a step that holds the customer's lock.)"""
    left = balances.unallocated_minor(payment)
    spent = 0
    if left <= 0:
        return 0
    for invoice, open_amount in balances.open_invoices(payment.customer, payment.currency):
        if left <= 0:
            break
        minor = min(left, open_amount)
        _allocate(payment, invoice, minor, kind=kind, actor=actor)
        left -= minor
        spent += minor
    return spent


@transaction_step
def record_payment(
    *,
    customer: Customer,
    amount: Decimal | str,
    currency: str,
    received_on: dt.date,
    method: str,
    reference: str,
    actor: str,
    allocate: str | Sequence[tuple[Invoice, Decimal | str]] = "oldest",
) -> Payment:
    """Record money received. `allocate`: "oldest" (the open invoices, oldest due first),
    "none" (kept as the customer's credit), or [(invoice, amount), …]. What is not allocated is
    the customer's credit, applied to its next issued invoice."""
    if method not in PaymentMethod.values:
        raise PaymentError(f"unknown payment method {method!r} ({', '.join(PaymentMethod.values)})")
    minor = _amount_minor(amount, currency)
    _day(received_on, "received on")
    locked = lock_customer(customer.pk)
    payment = Payment.objects.create(
        customer=locked,
        currency=currency,
        amount_minor=minor,
        received_on=received_on,
        method=method,
        reference=one_line(reference or "", 140),
        recorded_by=actor,
    )
    LedgerEntry.objects.create(
        customer=locked,
        currency=currency,
        kind=LedgerKind.PAYMENT,
        amount_minor=-minor,
        on=received_on,
        payment=payment,
        actor=actor,
    )
    record_event(
        actor=actor,
        action=AuditAction.PAYMENT_RECORDED,
        object_type="payment",
        object_id=payment.pk,
        after={
            "customer": str(locked.tenant_id),
            "amount": _money(minor, currency),
            "currency": currency,
            "received_on": received_on.isoformat(),
            "method": method,
            "reference": payment.reference,
        },
    )
    if allocate == "oldest":
        allocate_oldest_first(payment, actor=actor, kind=AllocationKind.ALLOCATED)
    elif allocate != "none":
        for invoice, part in allocate:
            _allocate_checked(payment, invoice, _amount_minor(part, currency), actor=actor)
    money_changed(locked, "payment recorded")
    return payment


def _allocate_checked(payment: Payment, invoice: Invoice, minor: int, *, actor: str) -> Allocation:
    if invoice.customer_id != payment.customer_id:
        raise PaymentError(f"{invoice.number or invoice} is another customer's invoice")
    if invoice.status != InvoiceStatus.ISSUED:
        raise PaymentError(f"{invoice} is not issued: only issued invoices are paid")
    if invoice.currency != payment.currency:
        raise PaymentError(
            f"{invoice.number} is in {invoice.currency}, the payment in {payment.currency}"
        )
    left = balances.unallocated_minor(payment)
    if minor > left:
        raise PaymentError(
            f"payment #{payment.pk} has {_money(left, payment.currency)} left to allocate, "
            f"not {_money(minor, payment.currency)}"
        )
    owed = balances.open_minor(invoice)
    if minor > owed:
        raise PaymentError(
            f"{invoice.number} has {_money(owed, invoice.currency)} left to pay, "
            f"not {_money(minor, invoice.currency)}"
        )
    return _allocate(payment, invoice, minor, kind=AllocationKind.ALLOCATED, actor=actor)


@transaction_step
def allocate_payment(
    *, payment: Payment, invoice: Invoice, amount: Decimal | str, actor: str
) -> Allocation:
    """Allocate part of a payment to one invoice of the same customer and currency."""
    locked = lock_customer(payment.customer_id)
    payment = Payment.objects.get(pk=payment.pk)
    allocation = _allocate_checked(
        payment, invoice, _amount_minor(amount, payment.currency), actor=actor
    )
    money_changed(locked, "payment allocated")
    return allocation


@transaction_step
def reverse_payment(*, payment: Payment, reason: str, actor: str) -> Payment:
    """A bounced or recalled payment: its allocations are given back (the invoices it paid are
    open again), the ledger takes the money back, and the reason is kept."""
    why = one_line(reason or "", 500)
    if not why:
        raise PaymentError("say why the payment is reversed (bounced, recalled…)")
    locked = lock_customer(payment.customer_id)
    payment = Payment.objects.get(pk=payment.pk)
    transitions.reverse(payment, reason=why)
    payment.save(update_fields=["status", "reversal_reason", "reversed_at"])
    per_invoice = {}
    for allocation in payment.allocations.all():
        per_invoice[allocation.invoice_id] = (
            per_invoice.get(allocation.invoice_id, 0) + allocation.amount_minor
        )
    for invoice_id, minor in per_invoice.items():
        if minor:
            Allocation.objects.create(
                payment=payment,
                invoice_id=invoice_id,
                amount_minor=-minor,
                kind=AllocationKind.REVERSED,
                actor=actor,
            )
    LedgerEntry.objects.create(
        customer=locked,
        currency=payment.currency,
        kind=LedgerKind.PAYMENT_REVERSAL,
        amount_minor=payment.amount_minor,
        on=timezone.localdate(),
        payment=payment,
        actor=actor,
    )
    record_event(
        actor=actor,
        action=AuditAction.PAYMENT_REVERSED,
        object_type="payment",
        object_id=payment.pk,
        before={"status": "posted"},
        after={
            "status": "reversed",
            "reason": why,
            "reopened": {
                str(invoice_id): _money(minor, payment.currency)
                for invoice_id, minor in per_invoice.items()
                if minor
            },
        },
    )
    money_changed(locked, "payment reversed")
    return payment


@transaction_step
def refund_credit(
    *,
    customer: Customer,
    amount: Decimal | str,
    currency: str,
    refunded_on: dt.date,
    method: str,
    reference: str,
    reason: str,
    actor: str,
) -> Refund:
    """Pay back part of the customer's credit (never more than it has)."""
    minor = _amount_minor(amount, currency)
    _day(refunded_on, "refunded on")
    why = one_line(reason or "", 500)
    if not why:
        raise PaymentError("say why the credit is refunded")
    if method not in PaymentMethod.values:
        raise PaymentError(f"unknown payment method {method!r}")
    locked = lock_customer(customer.pk)
    available = balances.credit_minor(locked, currency)
    if minor > available:
        raise PaymentError(
            f"{locked.display_name} has {_money(max(available, 0), currency)} {currency} of "
            f"credit, not {_money(minor, currency)}"
        )
    refund = Refund.objects.create(
        customer=locked,
        currency=currency,
        amount_minor=minor,
        refunded_on=refunded_on,
        method=method,
        reference=one_line(reference or "", 140),
        reason=why,
        actor=actor,
    )
    LedgerEntry.objects.create(
        customer=locked,
        currency=currency,
        kind=LedgerKind.REFUND,
        amount_minor=minor,
        on=refunded_on,
        refund=refund,
        actor=actor,
    )
    record_event(
        actor=actor,
        action=AuditAction.CREDIT_REFUNDED,
        object_type="refund",
        object_id=refund.pk,
        after={
            "customer": str(locked.tenant_id),
            "amount": _money(minor, currency),
            "currency": currency,
            "reason": why,
        },
    )
    money_changed(locked, "credit refunded")
    return refund


do_record_payment = entry_point(record_payment)
do_allocate_payment = entry_point(allocate_payment)
do_reverse_payment = entry_point(reverse_payment)
do_refund_credit = entry_point(refund_credit)
