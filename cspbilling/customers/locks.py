"""Named row locks for customers (SQLite: the transaction is the lock)."""

from __future__ import annotations

from cspbilling.customers.models import Customer


def lock_customer(pk: int) -> Customer:
    """The customer, locked for the rest of the transaction."""
    return Customer.objects.select_for_update().get(pk=pk)


LOCK_CHUNK = 1000  # ids per statement: below every engine's parameter limit


def lock_customers(pks: set[int] | list[int]) -> dict[int, Customer]:
    """Many customers, locked in primary-key order (so two jobs never wait on each other in a
    circle), for the rest of the transaction."""
    ordered = sorted(set(pks))
    locked: dict[int, Customer] = {}
    for start in range(0, len(ordered), LOCK_CHUNK):
        chunk = ordered[start : start + LOCK_CHUNK]
        for customer in Customer.objects.select_for_update().filter(pk__in=chunk).order_by("pk"):
            locked[customer.pk] = customer
    return locked
