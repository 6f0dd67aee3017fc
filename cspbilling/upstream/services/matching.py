"""What upstream lines are matched through: customer numbers staff map (21Vianet 2016 edition)
and the billing-platform subscription ids learned from license-based files."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import record_event
from cspbilling.core.services import entry_point, transaction_step
from cspbilling.customers.models import Customer
from cspbilling.upstream.models import BillingSubscriptionMapping, CustomerNumberMapping

MAPPINGS = BillingSubscriptionMapping._meta.db_table
UPSERT_ROWS = 5000  # rows per statement (SQLite: 4 parameters a row, under its 32766 limit)


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
def learn_billing_subscription_ids(*, batch_id: int, refs: set[str]) -> int:
    """Store (or correct) billing id → Partner Center subscription id from a license-based
    file's lines ("subscription id\\tbilling id\\ttenant id"). Returns how many rows it wrote."""
    pairs = {}
    for ref in refs:
        subscription_id, billing_id, _ = ref.split("\t")
        if subscription_id and billing_id:
            pairs[billing_id] = subscription_id
    if not pairs:
        return 0
    now = timezone.now()
    rows = [(billing, sub, batch_id, now) for billing, sub in sorted(pairs.items())]
    # One upsert per few thousand rows (a 1M-line file names ~70k subscriptions): only a
    # changed mapping is rewritten.
    sql = (
        f"INSERT INTO {MAPPINGS} (billing_subscription_id, subscription_id, learned_from_id, "  # noqa: S608
        "updated_at) VALUES {values} ON CONFLICT (billing_subscription_id) DO UPDATE SET "
        "subscription_id = excluded.subscription_id, learned_from_id = excluded.learned_from_id, "
        f"updated_at = excluded.updated_at WHERE {MAPPINGS}.subscription_id <> "
        "excluded.subscription_id"
    )
    written = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), UPSERT_ROWS):
            chunk = rows[start : start + UPSERT_ROWS]
            values = ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
            cursor.execute(sql.format(values=values), [v for row in chunk for v in row])
            written += max(cursor.rowcount, 0)
    return written
