"""Named row locks of cases (DESIGN.md: locks have names)."""

from __future__ import annotations

from cspbilling.cases.models import Case
from cspbilling.customers.locks import lock_customer, lock_customers


def lock_case(pk: int) -> Case:
    """The case row, locked until the transaction ends: one change to a case at a time. Its
    customer first (a case may place or release a dispute hold: see `customers.locks`)."""
    customer_id = Case.objects.values_list("customer_id", flat=True).get(pk=pk)
    if customer_id is not None:
        lock_customer(customer_id)
    return Case.objects.select_for_update().get(pk=pk)


def lock_cases(pks: list[int]) -> list[Case]:
    """Several cases (a merge), locked in primary-key order, after their customers."""
    customers = Case.objects.filter(pk__in=pks, customer__isnull=False)
    lock_customers(set(customers.values_list("customer_id", flat=True)))
    return list(Case.objects.select_for_update().filter(pk__in=pks).order_by("pk"))
