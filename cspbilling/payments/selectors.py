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
