"""Our payments to 21Vianet against its invoices."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import record_event
from cspbilling.core.attrs import clip
from cspbilling.core.money import MoneyError, normalise_currency, to_minor_units
from cspbilling.core.services import entry_point, transaction_step
from cspbilling.upstream import selectors
from cspbilling.upstream.locks import lock_upstream_invoice
from cspbilling.upstream.models import UpstreamInvoice, UpstreamPayment


class PaymentError(ValueError):
    pass


# A confirmed overpayment may reach this multiple of the invoice's amount, never more: a typo of
# a few digits (852 trillion) is refused whatever the confirmation says.
OVERPAYMENT_CEILING_FACTOR = 2
# How long before its invoice a payment may be dated (a prepayment), and after today (a
# transfer dated tomorrow in another time zone).
EARLIEST_BEFORE_INVOICE = dt.timedelta(days=366)
LATEST_AFTER_TODAY = dt.timedelta(days=1)


def _check_date(paid_on: dt.date, invoice: UpstreamInvoice) -> None:
    today = timezone.localdate()
    anchor = invoice.invoice_date or today
    earliest, latest = anchor - EARLIEST_BEFORE_INVOICE, today + LATEST_AFTER_TODAY
    if not isinstance(paid_on, dt.date) or not earliest <= paid_on <= latest:
        raise PaymentError(
            f"the payment date {paid_on} must be between {earliest} (a year before the invoice) "
            f"and {latest}"
        )


@transaction_step
def record_upstream_payment(
    *,
    invoice: UpstreamInvoice,
    amount: Decimal,
    paid_on: dt.date,
    reference: str,
    actor: Any,
    currency: str | None = None,
    confirm_overpayment: bool = False,
) -> UpstreamPayment:
    """Record a payment the partner made to 21Vianet against one invoice."""
    reference = clip(reference, 100)  # one line: control characters become spaces
    if not reference:
        raise PaymentError("a payment reference is required")
    if not isinstance(amount, Decimal) or amount <= 0:
        raise PaymentError("the amount must be a positive number")
    try:
        to_minor_units(amount, invoice.currency)
        code = normalise_currency(currency) if currency else invoice.currency
    except MoneyError as exc:
        raise PaymentError(str(exc)) from None
    if code != invoice.currency:
        raise PaymentError(f"the invoice is in {invoice.currency}, not {code}")
    invoice = lock_upstream_invoice(pk=invoice.pk)
    _check_date(paid_on, invoice)
    ceiling = OVERPAYMENT_CEILING_FACTOR * max(selectors.invoice_amount(invoice), Decimal(0))
    if amount > ceiling:
        raise PaymentError(
            f"{amount} {invoice.currency} is more than {OVERPAYMENT_CEILING_FACTOR}× the "
            f"invoice's amount: record it against the invoices it pays, one payment each"
        )
    if UpstreamPayment.objects.filter(reference=reference).exists():
        raise PaymentError(f"a payment with reference {reference!r} is already recorded")
    balance = selectors.open_balance(invoice)
    if amount > balance and not confirm_overpayment:
        raise PaymentError(
            f"{amount} is more than the open balance {balance} {invoice.currency}; "
            "confirm to record an overpayment"
        )
    payment = UpstreamPayment.objects.create(
        invoice=invoice,
        amount=amount,
        currency=code,
        paid_on=paid_on,
        reference=reference,
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    status_before = invoice.status
    if selectors.open_balance(invoice) <= 0:
        invoice.status = "paid"
        invoice.save(update_fields=["status", "updated_at"])
    record_event(
        actor=str(getattr(actor, "username", actor)),
        action=AuditAction.UPSTREAM_PAYMENT_RECORDED,
        object_type="upstream_invoice",
        object_id=invoice.invoice_id,
        before={"status": status_before},
        after={
            "status": invoice.status,
            "payment": payment.pk,
            "amount": str(amount),
            "currency": code,
            "paid_on": paid_on.isoformat(),
            "reference": reference,
        },
    )
    return payment


do_record_upstream_payment = entry_point(record_upstream_payment)
