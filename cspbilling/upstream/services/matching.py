"""What upstream lines are matched through: customer numbers staff map (21Vianet 2016 edition)
and the billing-platform subscription ids learned from license-based files."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone

from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import record_event
from cspbilling.core.services import entry_point, transaction_step
from cspbilling.customers.models import Customer
from cspbilling.upstream.models import (
    BillingSubscriptionMapping,
    CustomerNumberMapping,
    LineKind,
    UpstreamLineItem,
)

CHUNK = 900  # SQLite allows 999 parameters per statement on old builds


def clean_customer_number(number: str) -> str:
    number = (number or "").strip()
    if not number or len(number) > 32 or not number.isdigit():
        raise ValidationError(
            {"customer_number": f"{number!r} is not a customer number (up to 32 digits)"}
        )
    return number


@transaction_step
def map_customer_number(*, customer: Customer, customer_number: str, actor: str):
    """Say which customer a 2016-edition `CustomerNumber` is. A number belongs to one customer:
    one mapped to another customer is refused (unmap it there first)."""
    number = clean_customer_number(customer_number)
    existing = CustomerNumberMapping.objects.filter(customer_number=number).first()
    if existing is not None:
        if existing.customer_id == customer.pk:
            return existing
        raise ValidationError(
            {
                "customer_number": f"customer number {number} is already mapped to "
                f"{existing.customer.display_name}"
            }
        )
    mapping = CustomerNumberMapping.objects.create(
        customer_number=number, customer=customer, created_by=actor
    )
    record_event(
        actor=actor,
        action=AuditAction.UPSTREAM_CUSTOMER_NUMBER_MAPPED,
        object_type="customer",
        object_id=customer.tenant_id,
        after={"customer_number": number},
    )
    return mapping


@transaction_step
def unmap_customer_number(*, customer: Customer, customer_number: str, actor: str) -> bool:
    deleted, _ = CustomerNumberMapping.objects.filter(
        customer=customer, customer_number=customer_number
    ).delete()
    if deleted:
        record_event(
            actor=actor,
            action=AuditAction.UPSTREAM_CUSTOMER_NUMBER_UNMAPPED,
            object_type="customer",
            object_id=customer.tenant_id,
            before={"customer_number": customer_number},
        )
    return bool(deleted)


do_map_customer_number = entry_point(map_customer_number)
do_unmap_customer_number = entry_point(unmap_customer_number)


@transaction_step
def learn_billing_subscription_ids(billing_ids: set[str]) -> int:
    """Store billing id → Partner Center subscription id for those of these ids not known yet,
    from the license-based lines imported so far (they carry both). Returns how many it learned.

    Learned when a usage file needs them, not at each license import: a 1M-line license file
    names ~70k subscriptions, and storing them all made its import ~20% slower for files that
    are rare in the 21Vianet cloud. The lines are read once per usage import (no index on
    `billing_subscription_id`: the line table keeps none, for COPY speed).
    """
    known = (
        set(
            BillingSubscriptionMapping.objects.filter(
                billing_subscription_id__in=list(billing_ids)
            ).values_list("billing_subscription_id", flat=True)
        )
        if len(billing_ids) <= CHUNK
        else set(
            BillingSubscriptionMapping.objects.values_list("billing_subscription_id", flat=True)
        )
    )
    wanted = sorted(b for b in billing_ids - known if b)
    learned: dict[str, BillingSubscriptionMapping] = {}
    for start in range(0, len(wanted), CHUNK):
        rows = (
            UpstreamLineItem.objects.filter(
                kind=LineKind.LICENSE, billing_subscription_id__in=wanted[start : start + CHUNK]
            )
            .exclude(subscription_id="")
            .values_list("billing_subscription_id", "subscription_id", "batch_id")
            .order_by("batch_id")  # the latest file's word last
        )
        for billing, subscription, batch_id in rows:
            learned[billing] = BillingSubscriptionMapping(
                billing_subscription_id=billing,
                subscription_id=subscription,
                learned_from_id=batch_id,
                updated_at=timezone.now(),
            )
    BillingSubscriptionMapping.objects.bulk_create(learned.values(), ignore_conflicts=True)
    return len(learned)
