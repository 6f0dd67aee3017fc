"""Reads of invoicing."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from django.db.models import Q, QuerySet

from cspbilling.invoicing.models import PriceRule


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
