"""The write path for our own customer data (the Partner Center mirror is written by the sync).

Each step runs inside the caller's transaction; edges call its `do_` entry point.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import changed_fields, record_event
from cspbilling.core.attrs import clip
from cspbilling.core.services import entry_point, transaction_step
from cspbilling.customers.billing_settings import clean_billing_settings
from cspbilling.customers.locks import lock_customer
from cspbilling.customers.models import Customer, CustomerGroup


@transaction_step
def update_customer_billing_settings(*, customer: Customer, actor: str, **fields: Any) -> Customer:
    """Change our own fields of a customer; bad input raises ValidationError and changes nothing."""
    locked = lock_customer(customer.pk)
    cleaned = clean_billing_settings(fields, current_tax_id=locked.tax_id)
    before_all = {name: getattr(locked, name) for name in cleaned}
    before, after = changed_fields(before_all, cleaned)
    if not after:
        return locked
    for name, value in after.items():
        setattr(locked, name, value)
    locked.save(update_fields=[*after, "updated_at"])
    record_event(
        actor=actor,
        action=AuditAction.CUSTOMER_BILLING_SETTINGS_CHANGED,
        object_type="customer",
        object_id=str(locked.tenant_id),
        before=before,
        after=after,
    )
    for name, value in after.items():
        setattr(customer, name, value)
    return locked


do_update_customer_billing_settings = entry_point(update_customer_billing_settings)


@transaction_step
def create_customer_group(*, name: str, actor: str, description: str = "") -> CustomerGroup:
    """A new group of customers (priced, and later dunned, alike)."""
    name, description = clip(name, 100), clip(description, 255)
    if not name:
        raise ValidationError({"name": ["A group needs a name."]})
    if CustomerGroup.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": [f"A group named {name!r} exists already."]})
    group = CustomerGroup.objects.create(name=name, description=description)
    record_event(
        actor=actor,
        action=AuditAction.CUSTOMER_GROUP_CREATED,
        object_type="customer_group",
        object_id=group.pk,
        after={"name": name, "description": description},
    )
    return group


@transaction_step
def assign_customer_group(
    *, customer: Customer, group: CustomerGroup | None, actor: str
) -> Customer:
    """Put a customer in a group (or in none): the group's price rules apply to it from the
    next billing run."""
    locked = lock_customer(customer.pk)
    if locked.group_id == (group.pk if group else None):
        return locked
    before = locked.group.name if locked.group_id else None
    locked.group = group
    locked.save(update_fields=["group", "updated_at"])
    record_event(
        actor=actor,
        action=AuditAction.CUSTOMER_GROUP_ASSIGNED,
        object_type="customer",
        object_id=str(locked.tenant_id),
        before={"group": before},
        after={"group": group.name if group else None},
    )
    customer.group = group
    return locked


do_create_customer_group = entry_point(create_customer_group)
do_assign_customer_group = entry_point(assign_customer_group)
