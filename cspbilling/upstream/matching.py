"""Which customer and subscription upstream lines are (read side), and by which rule.

License-based lines name the Partner Center subscription id. Usage-based lines name a
billing-platform id: matched through the ids learned from license files, else through the
customer's one usage-billed (Azure) subscription live in the period. 21Vianet 2016 license lines
name no tenant id: their `CustomerNumber` is mapped to a customer by staff.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import Q

from cspbilling.customers.models import Customer
from cspbilling.subscriptions.models import Subscription
from cspbilling.upstream.models import BillingSubscriptionMapping, CustomerNumberMapping

CHUNK = 900  # SQLite allows 999 parameters per statement on old builds
BY_ID = "Partner Center subscription id"
BY_BILLING_ID = "billing id learned from a license-based file"
BY_CUSTOMER_OFFER_PERIOD = "the customer's one usage-based subscription in the period"


def split_refs(refs: set[str]) -> list[tuple[str, str, str]]:
    """(subscription id, billing id, tenant id or customer number) of each ref."""
    return [tuple(ref.split("\t")) for ref in refs]  # type: ignore[misc]


def _in_chunks(model, field: str, values, *, columns: tuple[str, ...]) -> list[tuple]:
    values = sorted(values)
    found: list[tuple] = []
    for start in range(0, len(values), CHUNK):
        chunk = values[start : start + CHUNK]
        found.extend(model.objects.filter(**{f"{field}__in": chunk}).values_list(*columns))
    return found


def unmapped_customer_numbers(numbers: set[str]) -> list[str]:
    numbers = {n for n in numbers if n}
    mapped = {
        n
        for (n,) in _in_chunks(
            CustomerNumberMapping, "customer_number", numbers, columns=("customer_number",)
        )
    }
    return sorted(numbers - mapped)


def customer_numbers_of(customer: Customer) -> list[str]:
    return list(customer.customer_numbers.values_list("customer_number", flat=True))


def _usage_subscriptions(tenant_hexes: set[str], start: dt.date | None, end: dt.date | None):
    """tenant hex → the ids of its usage-based subscriptions live in the period."""
    tenants = [uuid.UUID(hex=t) for t in tenant_hexes if len(t) == 32]
    found: dict[str, list[str]] = {}
    for begin in range(0, len(tenants), CHUNK):
        subs = Subscription.objects.filter(
            customer__tenant_id__in=tenants[begin : begin + CHUNK],
            billing_type__iexact="usage",
        )
        if end is not None:
            subs = subs.filter(
                Q(effective_start_date=None) | Q(effective_start_date__date__lte=end)
            )
        if start is not None:
            subs = subs.filter(
                Q(removed_upstream_at=None) | Q(removed_upstream_at__date__gte=start)
            )
        for tenant, sub in subs.values_list("customer__tenant_id", "subscription_id"):
            found.setdefault(tenant.hex, []).append(sub)
    return found


def match_usage_subscriptions(
    refs: set[str], *, start: dt.date | None = None, end: dt.date | None = None, limit: int = 20
) -> dict:
    """Match usage lines' subscription ids (billing ids) to local subscriptions; say how many
    each rule matched and list only those no rule matches."""
    tenants_of: dict[str, set[str]] = {}
    for sub, _billing, tenant in split_refs(refs):
        if sub:
            tenants_of.setdefault(sub, set()).add(tenant)
    ids = set(tenants_of)
    matched = {BY_ID: 0, BY_BILLING_ID: 0, BY_CUSTOMER_OFFER_PERIOD: 0}
    known = {
        s for (s,) in _in_chunks(Subscription, "subscription_id", ids, columns=("subscription_id",))
    }
    matched[BY_ID] = len(known)
    rest = ids - known
    learned = dict(
        _in_chunks(
            BillingSubscriptionMapping,
            "billing_subscription_id",
            rest,
            columns=("billing_subscription_id", "subscription_id"),
        )
    )
    learned_known = {
        s
        for (s,) in _in_chunks(
            Subscription, "subscription_id", set(learned.values()), columns=("subscription_id",)
        )
    }
    by_billing = {b for b, s in learned.items() if s in learned_known}
    matched[BY_BILLING_ID] = len(by_billing)
    rest -= by_billing
    candidates = _usage_subscriptions({t for sub in rest for t in tenants_of[sub]}, start, end)
    by_customer = {
        sub
        for sub in rest
        if len(tenants_of[sub]) == 1 and len(candidates.get(next(iter(tenants_of[sub])), [])) == 1
    }
    matched[BY_CUSTOMER_OFFER_PERIOD] = len(by_customer)
    unknown = sorted(rest - by_customer)
    return {
        "subscriptions_matched": matched,
        "unknown_subscriptions": unknown[:limit],
        "unknown_subscriptions_count": len(unknown),
    }
