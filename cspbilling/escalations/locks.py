"""Named locks of escalations (DESIGN.md: locks have names)."""

from __future__ import annotations

from cspbilling.customers.locks import lock_customer
from cspbilling.escalations.models import Escalation


def lock_escalation(pk: int, *, nowait: bool = False) -> Escalation:
    """The escalation, locked after its customer (its outcome credits the customer: customer
    first, see `customers.locks`); `nowait` as for `lock_customer`."""
    customer_id = Escalation.objects.values_list("customer_id", flat=True).get(pk=pk)
    lock_customer(customer_id, nowait=nowait)
    return Escalation.objects.select_for_update().select_related("case", "customer").get(pk=pk)
