"""What is owed, derived: an invoice's open amount, a payment's unallocated part, a customer's
credit and balance. Reads only; every figure is a sum over append-only rows, in minor units."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q, Sum

from cspbilling.customers.models import Customer
from cspbilling.invoicing.models import CreditNote, CreditNoteStatus, Invoice, InvoiceStatus
from cspbilling.payments.models import (
    Allocation,
    LedgerEntry,
    Payment,
    PaymentStatus,
    Refund,
)


def _sum(qs, field: str = "amount_minor") -> int:
    return qs.aggregate(total=Sum(field))["total"] or 0


def credited_minor(invoice: Invoice) -> int:
    return _sum(
        CreditNote.objects.filter(invoice=invoice, status=CreditNoteStatus.ISSUED), "total_minor"
    )


def allocated_minor(*, invoice: Invoice | None = None, payment: Payment | None = None) -> int:
    qs = Allocation.objects.all()
    if invoice is not None:
        qs = qs.filter(invoice=invoice)
    if payment is not None:
        qs = qs.filter(payment=payment)
    return _sum(qs)


def open_minor(invoice: Invoice) -> int:
    """What is still to pay on an issued invoice (0 for a draft)."""
    if invoice.status != InvoiceStatus.ISSUED:
        return 0
    return invoice.total_minor - credited_minor(invoice) - allocated_minor(invoice=invoice)


def open_minor_by_invoice(invoices: Iterable[Invoice]) -> dict[int, int]:
    """Open amounts of many issued invoices in three queries."""
    invoices = list(invoices)
    ids = [invoice.pk for invoice in invoices]
    credited = dict(
        CreditNote.objects.filter(invoice_id__in=ids, status=CreditNoteStatus.ISSUED)
        .values_list("invoice_id")
        .annotate(total=Sum("total_minor"))
        .order_by()
    )
    allocated = dict(
        Allocation.objects.filter(invoice_id__in=ids)
        .values_list("invoice_id")
        .annotate(total=Sum("amount_minor"))
        .order_by()
    )
    return {
        invoice.pk: invoice.total_minor - credited.get(invoice.pk, 0) - allocated.get(invoice.pk, 0)
        for invoice in invoices
    }


def unallocated_minor(payment: Payment) -> int:
    if payment.status != PaymentStatus.POSTED:
        return 0
    return payment.amount_minor - allocated_minor(payment=payment)


def credit_minor(customer: Customer, currency: str) -> int:
    """Money received and not used: unallocated parts of posted payments, less refunds. Negative
    when a reversed payment had been refunded: the customer owes it back."""
    posted = Payment.objects.filter(
        customer=customer, currency=currency, status=PaymentStatus.POSTED
    )
    received = _sum(posted)
    allocated = _sum(Allocation.objects.filter(payment__in=posted))
    refunded = _sum(Refund.objects.filter(customer=customer, currency=currency))
    return received - allocated - refunded


def balance_minor(customer: Customer, currency: str) -> int:
    """What the customer owes us (negative: we owe it), from the ledger alone."""
    return _sum(LedgerEntry.objects.filter(customer=customer, currency=currency))


def open_invoices(customer: Customer, currency: str) -> list[tuple[Invoice, int]]:
    """Issued invoices with something left to pay, oldest due first, with that amount."""
    issued = list(
        Invoice.objects.filter(customer=customer, currency=currency, status=InvoiceStatus.ISSUED)
        .filter(~Q(total_minor=0))
        .order_by("due_on", "issued_on", "number")
    )
    left = open_minor_by_invoice(issued)
    return [(invoice, left[invoice.pk]) for invoice in issued if left[invoice.pk] > 0]


def open_amounts_sql(*, as_of: dt.date | None = None) -> tuple[str, list]:
    """A subquery of every issued invoice's open amount: (id, customer_id, currency, number,
    due_on, issued_on, open), set-based (one scan of invoices, credit notes and allocations).
    With `as_of`: what was open at the end of that day (invoices issued by then, less credit
    notes issued and allocations made by then)."""
    quote = connection.ops.quote_name
    invoices = quote(Invoice._meta.db_table)
    credit_notes = quote(CreditNote._meta.db_table)
    allocations = quote(Allocation._meta.db_table)
    params: list = []
    cn_when = al_when = inv_when = ""
    if as_of is not None:
        ops = connection.ops
        cutoff = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
        cn_when, al_when, inv_when = (
            " AND issued_on <= %s",
            " WHERE created_at < %s",
            " AND inv.issued_on <= %s",
        )
        day = ops.adapt_datefield_value(as_of)
        params = [day, ops.adapt_datetimefield_value(cutoff), day]
    sql = f"""
        SELECT inv.id, inv.customer_id, inv.currency, inv.number, inv.due_on, inv.issued_on,
               inv.total_minor - COALESCE(cn.total, 0) - COALESCE(al.total, 0) AS open
        FROM {invoices} inv
        LEFT JOIN (SELECT invoice_id, SUM(total_minor) AS total FROM {credit_notes}
                   WHERE status = 'issued'{cn_when} GROUP BY invoice_id) cn
               ON cn.invoice_id = inv.id
        LEFT JOIN (SELECT invoice_id, SUM(amount_minor) AS total FROM {allocations}{al_when}
                   GROUP BY invoice_id) al
               ON al.invoice_id = inv.id
        WHERE inv.status = 'issued'{inv_when}
    """  # noqa: S608 (table names from the models; values are parameters)
    return sql, params


@dataclass
class OpenInvoice:
    id: int
    customer_id: int
    currency: str
    number: str
    due_on: dt.date | None
    issued_on: dt.date | None
    open_minor: int


def _day(value) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def all_open_invoices() -> list[OpenInvoice]:
    """Every issued invoice with something left to pay, in one statement."""
    sql, params = open_amounts_sql()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM ({sql}) o WHERE o.open > 0", params)  # noqa: S608
        rows = cursor.fetchall()
    return [
        OpenInvoice(pk, customer, currency, number, _day(due), _day(issued), int(left))
        for pk, customer, currency, number, due, issued, left in rows
    ]
