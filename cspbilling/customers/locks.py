"""Named row locks for customers (SQLite: the transaction is the lock).

The order: a transaction that changes what a customer owes (a payment, a credit, an invoice
issued, a dispute hold, a case or an escalation that may lead to one, a collections run) locks
the customer first, before any other row and before the audit chain's head, which every
audited change takes and holds to its commit. Taking the head first and a customer after
deadlocks with a collections run, which holds the customers it may suspend and then waits for
the head. `core/tests/lock_order.py` checks the order on every test (PostgreSQL)."""

from __future__ import annotations

from django.db import connection
from django.db.models import Expression

from cspbilling.customers.models import Customer


def lock_customer(pk: int, *, nowait: bool = False) -> Customer:
    """The customer, locked for the rest of the transaction. `nowait`: raise OperationalError
    rather than wait for another transaction holding it (a caller that already holds the audit
    chain's head must not wait: see above)."""
    return Customer.objects.select_for_update(nowait=nowait).get(pk=pk)


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


def lock_customers_selected(pks: Expression) -> int:
    """The customers an SQL expression selects, locked in primary-key order in one statement
    (tens of thousands: no lists of ids), for the rest of the transaction; returns how many."""
    if not connection.features.has_select_for_update:
        return 0
    chosen = Customer.objects.select_for_update().filter(pk__in=pks).order_by("pk")
    return len(chosen.values_list("pk", flat=True))
