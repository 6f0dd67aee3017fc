"""The write path for our own customer data (the Partner Center mirror is written by the sync).

Each step runs inside the caller's transaction; edges call its `do_` entry point.
"""

from __future__ import annotations

from typing import Any

from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import changed_fields, record_event
from cspbilling.core.services import entry_point, transaction_step
from cspbilling.customers.billing_settings import clean_billing_settings
from cspbilling.customers.locks import lock_customer
from cspbilling.customers.models import Customer


@transaction_step
def update_customer_billing_settings(*, customer: Customer, actor: str, **fields: Any) -> Customer:
    """Change our own fields of a customer; bad input raises ValidationError and changes nothing."""
    cleaned = clean_billing_settings(fields)
    locked = lock_customer(customer.pk)
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
