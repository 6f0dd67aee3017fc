"""Locks of invoicing, always in primary-key order. On SQLite the write transaction is already
the lock; select_for_update is a no-op there."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable

from django.db import connection

from cspbilling.customers.locks import lock_customer
from cspbilling.invoicing.models import CreditNote, Fapiao, Invoice, NumberSeries


def lock_price_rule_scope(scope_key: str) -> None:
    """Until the transaction ends, nobody else saves a rule of this scope (so two rules that
    would tie cannot both pass the check). A scope has no row of its own to lock (a rule for
    everyone), hence a transaction-scoped advisory lock on PostgreSQL."""
    _advisory_lock(f"price-rule:{scope_key}")


def lock_billing_requests(period: dt.date) -> None:
    """Until the transaction ends, nobody else asks for a billing run of this month (so two
    requests cannot both find none running and both start one)."""
    _advisory_lock(f"billing-run-request:{period:%Y-%m}")


def lock_billing_period(period: dt.date) -> None:
    """Until the transaction ends, no other billing run writes this month's drafts: a second
    one waits, then makes them again from what the first left."""
    _advisory_lock(f"billing-run-write:{period:%Y-%m}")


def _advisory_lock(name: str) -> None:
    """A transaction-scoped advisory lock on PostgreSQL, for what has no row of its own."""
    if connection.vendor != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key - (1 << 63)])


def lock_invoices(pks: Iterable[int]) -> list[Invoice]:
    return list(
        Invoice.objects.select_for_update(of=("self",))  # the invoices, not their customers
        .filter(pk__in=list(pks))
        .select_related("customer")
        .order_by("pk")
    )


def lock_invoice_of_customer(invoice: Invoice) -> Invoice:
    """The invoice, locked after its customer, for a change of what the customer owes (a
    credit): customer first (see `customers.locks`; a credit note issued during a collections
    run deadlocked with it before)."""
    lock_customer(invoice.customer_id)
    [locked] = lock_invoices([invoice.pk])
    return locked


def lock_number_series(series: str, year: int) -> NumberSeries:
    """The series' counter, created if new (two creators cannot both insert it), then locked:
    whoever holds it gives the next number; the others wait."""
    NumberSeries.objects.bulk_create(
        [NumberSeries(series=series, year=year)], ignore_conflicts=True
    )
    return NumberSeries.objects.select_for_update().get(series=series, year=year)


def lock_credit_note(pk: int) -> CreditNote:
    """The credit note, locked after its customer and its invoice (customer, invoice, credit
    note: one order; see `customers.locks`)."""
    customer_id, invoice_id = CreditNote.objects.values_list("customer_id", "invoice_id").get(pk=pk)
    lock_customer(customer_id)
    lock_invoices([invoice_id])
    return (
        CreditNote.objects.select_for_update(of=("self",))
        .select_related("invoice", "customer")
        .get(pk=pk)
    )


def lock_fapiao(pk: int) -> Fapiao:
    """The fapiao record, locked after its invoice."""
    invoice_id = Fapiao.objects.values_list("invoice_id", flat=True).get(pk=pk)
    lock_invoices([invoice_id])
    return (
        Fapiao.objects.select_for_update(of=("self",))
        .select_related("invoice", "invoice__customer", "credit_note", "red_letter_of")
        .get(pk=pk)
    )
