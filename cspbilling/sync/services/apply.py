"""Applying a Partner Center snapshot to the customers and subscriptions mirror.

`apply_snapshot_to_mirror` is the step (one transaction, set-based, audited); the entry point
`sync_from_partner_center` fetches first with no transaction open (`sync.fetch`), then applies:
a failed fetch changes nothing, and a second run with nothing new changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import record_events
from cspbilling.core.progress import ProgressReporter
from cspbilling.core.services import transaction_step
from cspbilling.customers.mapping import (
    billing_contact_fields,
    customer_fields,
    language_for_culture,
)
from cspbilling.customers.models import BillingContact, Customer, CustomerStatus
from cspbilling.subscriptions.mapping import subscription_fields
from cspbilling.subscriptions.models import Subscription
from cspbilling.subscriptions.services import record_upstream_status_changes
from cspbilling.subscriptions.upstream_changes import status_changes_from_events
from cspbilling.sync.fetch import UpstreamSnapshot, fetch_snapshot
from cspbilling.sync.services.mirror import MirrorSpec, apply_snapshot

CUSTOMER_MIRROR = MirrorSpec(
    model=Customer,
    key_field="tenant_id",
    object_type="customer",
    removed_marker="removed_upstream_at",
    extra_on_remove={"status": CustomerStatus.REMOVED_UPSTREAM},
    extra_on_restore={"status": CustomerStatus.ACTIVE},
    defaults_on_create=lambda fields: {"language": language_for_culture(fields["culture"])},
)
CONTACT_FIELDS = ["first_name", "last_name", "email", "phone_number"]
SUBSCRIPTION_MIRROR = MirrorSpec(
    model=Subscription,
    key_field="subscription_id",
    object_type="subscription",
    removed_marker="removed_upstream_at",
)


@dataclass
class SyncReport:
    customers: dict[str, int]
    subscriptions: dict[str, int]
    contacts_changed: int
    seconds: float

    @property
    def changed_anything(self) -> bool:
        counts = {**self.customers, **self.subscriptions}
        counts.pop("unchanged")
        return any(counts.values()) or self.contacts_changed > 0


@transaction_step
def apply_snapshot_to_mirror(*, snapshot: UpstreamSnapshot, actor: str = "sync") -> SyncReport:
    """Make the mirror equal the snapshot, with an audit event for every change."""
    started = timezone.now()
    now = timezone.now()
    customer_counts = apply_snapshot(
        spec=CUSTOMER_MIRROR,
        snapshot={tid: customer_fields(c) for tid, c in snapshot.customers.items()},
        now=now,
    )
    pk_by_tenant = {str(tid): pk for tid, pk in Customer.objects.values_list("tenant_id", "pk")}
    contacts_changed, contact_events = _apply_billing_contacts(snapshot, pk_by_tenant)
    subscription_rows = {
        str(sub.id).lower(): {**subscription_fields(sub), "customer_id": pk_by_tenant[tid]}
        for tid, subs in snapshot.subscriptions.items()
        for sub in subs
    }
    subscription_counts = apply_snapshot(
        spec=SUBSCRIPTION_MIRROR, snapshot=subscription_rows, now=now
    )
    suspension_events = record_upstream_status_changes(
        changes=status_changes_from_events(subscription_counts.audit_events), now=now
    )
    record_events(
        actor=actor,
        events=customer_counts.audit_events
        + contact_events
        + subscription_counts.audit_events
        + suspension_events,
    )
    return SyncReport(
        customers=customer_counts.as_dict(),
        subscriptions=subscription_counts.as_dict(),
        contacts_changed=contacts_changed,
        seconds=(timezone.now() - started).total_seconds(),
    )


def _apply_billing_contacts(
    snapshot: UpstreamSnapshot, pk_by_tenant: dict[str, int]
) -> tuple[int, list[dict]]:
    existing = {
        contact.customer_id: contact
        for contact in BillingContact.objects.filter(from_partner_center=True)
    }
    to_create, to_update, events = [], [], []
    for tenant_id, resource in snapshot.customers.items():
        fields = billing_contact_fields(resource)
        customer_pk = pk_by_tenant[tenant_id]
        contact = existing.get(customer_pk)
        if contact is None:
            if any(fields.values()):
                to_create.append(
                    BillingContact(
                        customer_id=customer_pk,
                        from_partner_center=True,
                        is_primary=True,
                        **fields,
                    )
                )
            continue
        before = {name: getattr(contact, name) for name in fields}
        if before != fields:
            for name, value in fields.items():
                setattr(contact, name, value)
            to_update.append(contact)
            events.append(
                {
                    "action": AuditAction.CUSTOMER_BILLING_CONTACT_CHANGED_UPSTREAM,
                    "object_type": "customer",
                    "object_id": tenant_id,
                    "before": before,
                    "after": fields,
                }
            )
    BillingContact.objects.bulk_create(to_create, batch_size=500)
    if to_update:
        BillingContact.objects.bulk_update(to_update, CONTACT_FIELDS, batch_size=500)
    return len(to_create) + len(to_update), events


def sync_from_partner_center(
    *,
    client: Any,
    actor: str = "sync",
    progress: ProgressReporter | None = None,
    concurrency: int = 4,
) -> SyncReport:
    """The whole sync: fetch, then apply in one transaction."""
    snapshot = fetch_snapshot(client=client, progress=progress, concurrency=concurrency)
    with transaction.atomic(durable=True):
        return apply_snapshot_to_mirror(snapshot=snapshot, actor=actor)
