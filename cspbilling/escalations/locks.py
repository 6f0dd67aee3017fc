"""Named locks of escalations (DESIGN.md: locks have names)."""

from __future__ import annotations

from cspbilling.customers.models import Customer
from cspbilling.escalations.models import Escalation


def lock_escalation(pk: int, *, nowait: bool = False) -> Escalation:
    """The escalation, locked after its customer (customer first, before the audit chain's
    head: an escalation's outcome credits the customer; see
    `invoicing.locks.lock_invoice_of_customer`). `nowait`: raise OperationalError rather than
    wait for a customer another transaction holds (a caller already holding the audit chain's
    head must not wait: that is a deadlock with a collections run)."""
    customer_id = Escalation.objects.values_list("customer_id", flat=True).get(pk=pk)
    Customer.objects.select_for_update(nowait=nowait).filter(pk=customer_id).exists()
    return Escalation.objects.select_for_update().select_related("case", "customer").get(pk=pk)
