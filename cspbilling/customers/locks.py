"""Named row locks for customers (SQLite: the transaction is the lock)."""

from __future__ import annotations

from cspbilling.customers.models import Customer


def lock_customer(pk: int) -> Customer:
    """The customer, locked for the rest of the transaction."""
    return Customer.objects.select_for_update().get(pk=pk)
