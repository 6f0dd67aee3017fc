"""Reads of payments."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet, Sum

from cspbilling.core.money import from_minor_units
from cspbilling.payments.models import Payment


def payments(*, customer_tenant_id: str | None = None, status: str | None = None) -> QuerySet:
    qs = (
        Payment.objects.select_related("customer")
        .annotate(allocated_minor=Sum("allocations__amount_minor"))
        .order_by("-received_on", "-id")
    )
    if customer_tenant_id:
        qs = qs.filter(customer__tenant_id=customer_tenant_id)
    if status:
        qs = qs.filter(status=status)
    return qs


def payment_row(payment: Payment) -> dict[str, Any]:
    """A payment as scripts read it (from `payments()`: with `allocated_minor`)."""
    currency = payment.currency
    allocated = getattr(payment, "allocated_minor", None) or 0
    unallocated = payment.amount_minor - allocated if payment.status == "posted" else 0
    return {
        "id": payment.pk,
        "customer_tenant_id": str(payment.customer.tenant_id),
        "customer_name": payment.customer.display_name,
        "amount": str(from_minor_units(payment.amount_minor, currency)),
        "currency": currency,
        "received_on": payment.received_on.isoformat(),
        "method": payment.method,
        "reference": payment.reference,
        "status": payment.status,
        "allocated": str(from_minor_units(allocated, currency)),
        "unallocated": str(from_minor_units(unallocated, currency)),
        "reversal_reason": payment.reversal_reason,
    }


def account_summary(customer, currency: str | None = None) -> dict[str, Any]:
    """What the customer owes, its open invoices and its credit, in its currency."""
    from cspbilling.payments import balances

    currency = currency or customer.currency
    open_minor = sum(minor for _, minor in balances.open_invoices(customer, currency))
    credit = balances.credit_minor(customer, currency)
    return {
        "currency": currency,
        "balance": from_minor_units(balances.balance_minor(customer, currency), currency),
        "open_invoices": from_minor_units(open_minor, currency),
        "credit": from_minor_units(max(credit, 0), currency),
    }
