"""Many payments recorded at once (a bank statement's matched lines), each exactly as
`record_payment` records one: the payment, its ledger entry, its allocations and their audit
events, and one "money changed" per customer; in a handful of set-based statements instead of
a dozen queries per payment.

The caller holds the customers' locks and planned the allocations from open amounts it read
under those locks (`statements.matching.Matcher` does both for an import).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import timezone

from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import record_events
from cspbilling.core.bulk import insert_rows, reserve_ids
from cspbilling.core.money import from_minor_units
from cspbilling.core.services import transaction_step
from cspbilling.customers.models import Customer
from cspbilling.payments.models import (
    Allocation,
    AllocationKind,
    LedgerEntry,
    LedgerKind,
    Payment,
)
from cspbilling.payments.reevaluation import money_changed_for
from cspbilling.payments.statements.matching import PlannedAllocation


@dataclass(frozen=True)
class PlannedPayment:
    customer: Customer  # locked by the caller
    currency: str
    amount_minor: int
    received_on: dt.date
    method: str
    reference: str
    allocations: tuple[PlannedAllocation, ...]


def _money(minor: int, currency: str) -> str:
    return str(from_minor_units(minor, currency))


@transaction_step
def record_planned_payments(
    *, planned: Sequence[PlannedPayment], actor: str, why: str
) -> list[int]:
    """Record the payments in the order given; returns their ids, in that order."""
    if not planned:
        return []
    ids = reserve_ids(Payment, len(planned))
    now = timezone.now()
    insert_rows(
        Payment,
        [
            {
                "id": pk,
                "customer_id": plan.customer.pk,
                "currency": plan.currency,
                "amount_minor": plan.amount_minor,
                "received_on": plan.received_on,
                "method": plan.method,
                "reference": plan.reference[:140],
                "recorded_by": actor,
                "created_at": now,
            }
            for pk, plan in zip(ids, planned, strict=True)
        ],
    )
    insert_rows(
        LedgerEntry,
        [
            {
                "customer_id": plan.customer.pk,
                "currency": plan.currency,
                "kind": LedgerKind.PAYMENT,
                "amount_minor": -plan.amount_minor,
                "on": plan.received_on,
                "payment_id": pk,
                "actor": actor,
            }
            for plan, pk in zip(planned, ids, strict=True)
        ],
    )
    insert_rows(
        Allocation,
        [
            {
                "payment_id": pk,
                "invoice_id": part.invoice_id,
                "amount_minor": part.amount_minor,
                "kind": AllocationKind.ALLOCATED,
                "actor": actor,
                "created_at": now,
            }
            for plan, pk in zip(planned, ids, strict=True)
            for part in plan.allocations
        ],
    )
    record_events(actor=actor, events=list(_audit_events(planned, ids)))
    changed = {plan.customer.pk: plan.customer for plan in planned}
    money_changed_for(customers=list(changed.values()), why=why)
    return ids


def _audit_events(planned: Sequence[PlannedPayment], ids: Sequence[int]):
    for plan, pk in zip(planned, ids, strict=True):
        yield {
            "action": AuditAction.PAYMENT_RECORDED,
            "object_type": "payment",
            "object_id": pk,
            "after": {
                "customer": str(plan.customer.tenant_id),
                "amount": _money(plan.amount_minor, plan.currency),
                "currency": plan.currency,
                "received_on": plan.received_on.isoformat(),
                "method": plan.method,
                "reference": plan.reference[:140],
            },
        }
        for part in plan.allocations:
            yield {
                "action": AuditAction.PAYMENT_ALLOCATED,
                "object_type": "payment",
                "object_id": pk,
                "after": {
                    "invoice": part.invoice_number,
                    "amount": _money(part.amount_minor, plan.currency),
                    "currency": plan.currency,
                    "invoice_open_after": _money(part.open_after_minor, plan.currency),
                },
            }
