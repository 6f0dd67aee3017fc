"""Reads of invoicing."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from django.db.models import Q, QuerySet

from cspbilling.core.money import from_minor_units
from cspbilling.invoicing.models import Invoice, PriceRule


def price_rules(
    *, customer_tenant_id: UUID | None = None, in_effect_on: dt.date | None = None
) -> QuerySet[PriceRule]:
    qs = PriceRule.objects.select_related("customer", "group", "tax_category").order_by(
        "effective_from", "id"
    )
    if customer_tenant_id is not None:
        qs = qs.filter(customer__tenant_id=customer_tenant_id)
    if in_effect_on is not None:
        qs = qs.filter(effective_from__lte=in_effect_on).filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=in_effect_on)
        )
    return qs


def invoices(
    *,
    period: dt.date | None = None,
    status: str | None = None,
    customer_tenant_id: UUID | str | None = None,
) -> QuerySet[Invoice]:
    qs = Invoice.objects.select_related("customer").order_by("period", "number", "id")
    if period is not None:
        qs = qs.filter(period=period)
    if status:
        qs = qs.filter(status=status)
    if customer_tenant_id:
        qs = qs.filter(customer__tenant_id=customer_tenant_id)
    return qs


def invoice_row(invoice: Invoice) -> dict[str, Any]:
    """An invoice as scripts read it: amounts as text, dates ISO."""
    currency = invoice.currency
    return {
        "id": invoice.pk,
        "number": invoice.number,
        "customer_tenant_id": str(invoice.customer.tenant_id),
        "customer_name": invoice.customer.display_name,
        "period": f"{invoice.period:%Y-%m}",
        "status": invoice.status,
        "issued_on": invoice.issued_on.isoformat() if invoice.issued_on else None,
        "due_on": invoice.due_on.isoformat() if invoice.due_on else None,
        "subtotal": str(from_minor_units(invoice.subtotal_minor, currency)),
        "tax": str(from_minor_units(invoice.tax_minor, currency)),
        "total": str(from_minor_units(invoice.total_minor, currency)),
        "currency": currency,
    }
