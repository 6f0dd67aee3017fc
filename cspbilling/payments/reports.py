"""What finance reads about receivables: the aging of what customers owe, and a customer's
statement. Set-based SQL for the aging (one statement over every issued invoice, as of a day);
the statement is the ledger itself, with its running balance."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.db import connection
from django.utils.translation import gettext_lazy as _

from cspbilling.core.money import from_minor_units
from cspbilling.customers.models import Customer
from cspbilling.invoicing.models import CreditNote, Invoice
from cspbilling.payments import balances
from cspbilling.payments.models import LedgerEntry

# What a statement calls each movement, in the reader's language.
KIND_LABELS = {
    "invoice": _("Invoice"),
    "credit_note": _("Credit note"),
    "payment": _("Payment received"),
    "payment_reversal": _("Payment reversed"),
    "refund": _("Credit refunded"),
}
BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")
BUCKET_LABELS = {
    "current": "Not yet due",
    "1-30": "1–30 days",
    "31-60": "31–60 days",
    "61-90": "61–90 days",
    "90+": "Over 90 days",
}


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


@dataclass
class AgingRow:
    """One customer's open amounts in one currency, by bucket, in minor units; the Decimals and
    the tenant id are made when read (a page shows a few of 100,000 rows)."""

    customer_id: int
    tenant: Any  # as the database gives it (SQLite: hex without dashes)
    name: str
    currency: str
    minor: tuple[int, ...]

    @cached_property
    def tenant_id(self) -> str:
        return str(uuid.UUID(str(self.tenant)))

    @cached_property
    def buckets(self) -> dict[str, Decimal]:
        return {
            name: from_minor_units(minor, self.currency)
            for name, minor in zip(BUCKETS, self.minor, strict=True)
        }

    @property
    def total(self) -> Decimal:
        return from_minor_units(sum(self.minor), self.currency)

    @property
    def overdue(self) -> Decimal:
        return from_minor_units(sum(self.minor[1:]), self.currency)


def aging(as_of: dt.date) -> list[AgingRow]:
    """Every customer with something open on `as_of`, its open amounts by days past due
    (current: not yet due; then 1–30, 31–60, 61–90, over 90), most overdue first. What was open
    that day: invoices issued by then, less the credit notes issued and the payments allocated
    by then."""
    edges = [as_of - dt.timedelta(days=days) for days in (0, 30, 60, 90)]
    bucket_sql = (
        "SUM(CASE WHEN o.due_on >= %s THEN o.open ELSE 0 END), "
        "SUM(CASE WHEN o.due_on < %s AND o.due_on >= %s THEN o.open ELSE 0 END), "
        "SUM(CASE WHEN o.due_on < %s AND o.due_on >= %s THEN o.open ELSE 0 END), "
        "SUM(CASE WHEN o.due_on < %s AND o.due_on >= %s THEN o.open ELSE 0 END), "
        "SUM(CASE WHEN o.due_on < %s THEN o.open ELSE 0 END)"
    )
    bucket_days = [edges[0], edges[0], edges[1], edges[1], edges[2], edges[2], edges[3], edges[3]]
    open_sql, open_params = balances.open_amounts_sql(as_of=as_of)
    sql = f"""
        SELECT o.customer_id, c.tenant_id, c.legal_name, c.company_name, o.currency, {bucket_sql}
        FROM ({open_sql}) o
        JOIN {_table(Customer)} c ON c.id = o.customer_id
        WHERE o.open > 0
        GROUP BY o.customer_id, c.tenant_id, c.legal_name, c.company_name, o.currency
    """  # noqa: S608 (table names from the models; values are parameters)
    dates = [connection.ops.adapt_datefield_value(day) for day in bucket_days]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*dates, *open_params])
        rows = cursor.fetchall()
    result = [
        AgingRow(
            customer_id=customer_id,
            tenant=tenant,
            name=legal or company,
            currency=currency,
            minor=tuple(int(minor or 0) for minor in amounts),
        )
        for customer_id, tenant, legal, company, currency, *amounts in rows
    ]
    result.sort(key=lambda row: (-sum(row.minor[1:]), -sum(row.minor), row.name))
    return result


def aging_totals(rows: list[AgingRow]) -> dict[str, dict[str, Decimal]]:
    """By currency: each bucket's sum and the total."""
    sums: dict[str, list[int]] = {}
    for row in rows:
        into = sums.setdefault(row.currency, [0] * len(BUCKETS))
        for index, minor in enumerate(row.minor):
            into[index] += minor
    return {
        currency: {
            **{
                name: from_minor_units(minor, currency)
                for name, minor in zip(BUCKETS, per, strict=True)
            },
            "total": from_minor_units(sum(per), currency),
        }
        for currency, per in sums.items()
    }


def statement(
    customer: Customer, *, as_of: dt.date, start: dt.date | None = None, currency: str | None = None
) -> dict[str, Any]:
    """The customer's account from `start` (default: the first of as_of's month, three months
    back) to `as_of`: the opening balance, every movement with the running balance, and the
    closing balance — all from the ledger."""
    currency = currency or customer.currency
    start = start or (as_of.replace(day=1) - dt.timedelta(days=62)).replace(day=1)
    entries = LedgerEntry.objects.filter(customer=customer, currency=currency)
    opening = sum(entries.filter(on__lt=start).values_list("amount_minor", flat=True))
    movements = (
        entries.filter(on__gte=start, on__lte=as_of)
        .select_related("invoice", "credit_note", "payment", "refund")
        .order_by("on", "id")
    )
    running = opening
    lines = []
    totals = {"invoice": 0, "credit_note": 0, "payment": 0, "payment_reversal": 0, "refund": 0}
    for entry in movements:
        running += entry.amount_minor
        totals[entry.kind] += entry.amount_minor
        lines.append(
            {
                "on": entry.on,
                "kind": entry.kind,
                "label": KIND_LABELS[entry.kind],
                "document": _document(entry),
                "amount": from_minor_units(entry.amount_minor, currency),
                "balance": from_minor_units(running, currency),
            }
        )
    money = lambda minor: from_minor_units(minor, currency)  # noqa: E731
    return {
        "customer": customer,
        "currency": currency,
        "start": start,
        "as_of": as_of,
        "opening_balance": money(opening),
        "invoiced": money(totals["invoice"]),
        "credited": money(-totals["credit_note"]),
        "paid": money(-(totals["payment"] + totals["payment_reversal"])),
        "refunded": money(totals["refund"]),
        "closing_balance": money(running),
        "credit_available": money(max(balances.credit_minor(customer, currency), 0)),
        "lines": lines,
    }


def _document(entry: LedgerEntry) -> str:
    if entry.invoice_id:
        return entry.invoice.number or ""
    if entry.credit_note_id:
        return entry.credit_note.number or ""
    if entry.payment_id:
        reference = entry.payment.reference
        return f"#{entry.payment_id}" + (f" {reference}" if reference else "")
    if entry.refund_id:
        return f"#{entry.refund_id} {entry.refund.reference}".strip()
    return ""


def statement_json(data: dict[str, Any]) -> dict[str, Any]:
    """The statement as scripts read it: amounts as text, days ISO."""
    keys = (
        "opening_balance",
        "invoiced",
        "credited",
        "paid",
        "refunded",
        "credit_available",
        "closing_balance",
    )
    return {
        "customer_tenant_id": str(data["customer"].tenant_id),
        "customer_name": data["customer"].display_name,
        "currency": data["currency"],
        "from": data["start"].isoformat(),
        "as_of": data["as_of"].isoformat(),
        **{key: str(data[key]) for key in keys},
        "lines": [
            {
                "on": line["on"].isoformat(),
                "kind": line["kind"],
                "document": line["document"],
                "amount": str(line["amount"]),
                "balance": str(line["balance"]),
            }
            for line in data["lines"]
        ],
    }


def margin(period: dt.date, *, by: str) -> list[dict[str, Any]]:
    """What we invoiced for a month (issued invoices, net of VAT, less the credit notes issued on
    their lines) against what 21Vianet billed for the same upstream lines, by customer or by
    offer. Exact: net in minor units, cost in millionths."""
    from cspbilling.invoicing.models import CreditNoteLine, InvoiceLine

    if by == "customer":
        key, label = "inv.customer_id", "MAX(COALESCE(NULLIF(c.legal_name, ''), c.company_name))"
    else:
        key, label = "COALESCE(NULLIF(il.offer_id, ''), il.durable_offer_id)", "MAX(il.offer_name)"
    sql = f"""
        SELECT {key}, {label}, inv.currency, SUM(il.net_minor),
               SUM(COALESCE(cr.net, 0)), SUM(il.upstream_amount_micro), COUNT(DISTINCT inv.id)
        FROM {_table(InvoiceLine)} il
        JOIN {_table(Invoice)} inv ON inv.id = il.invoice_id
        JOIN {_table(Customer)} c ON c.id = inv.customer_id
        LEFT JOIN (SELECT cl.invoice_line_id, SUM(cl.net_minor) AS net
                   FROM {_table(CreditNoteLine)} cl
                   JOIN {_table(CreditNote)} cn ON cn.id = cl.credit_note_id
                   WHERE cn.status = 'issued' GROUP BY cl.invoice_line_id) cr
               ON cr.invoice_line_id = il.id
        WHERE inv.status = 'issued' AND inv.period = %s
        GROUP BY {key}, inv.currency
    """  # noqa: S608 (table names from the models; values are parameters)
    with connection.cursor() as cursor:
        cursor.execute(sql, [connection.ops.adapt_datefield_value(period.replace(day=1))])
        rows = cursor.fetchall()
    result = []
    for key_value, name, currency, net, credited, cost_micro, invoices in rows:
        revenue = from_minor_units(int(net) - int(credited), currency)
        cost = (Decimal(int(cost_micro)).scaleb(-6)).quantize(Decimal("0.01"))
        result.append(
            {
                "key": str(key_value),
                "name": name or str(key_value),
                "currency": currency,
                "invoices": invoices,
                "revenue": revenue,
                "cost": cost,
                "margin": revenue - cost,
                "percent": ((revenue - cost) * 100 / cost).quantize(Decimal("0.1"))
                if cost
                else None,
            }
        )
    result.sort(key=lambda row: (-row["revenue"], row["name"]))
    return result


def _percent(part: Decimal, whole: Decimal) -> Decimal | None:
    return (part * 100 / whole).quantize(Decimal("0.1")) if whole else None


def cash_position(today: dt.date, *, weeks: int = 8) -> list[dict[str, Any]]:
    """What customers owe us against what we owe 21Vianet, by due week (overdue first, then the
    next `weeks` weeks, then later), per currency, with the running gap: where finance sees the
    weeks when we pay 21Vianet before our customers pay us."""
    from cspbilling.upstream.selectors import payables

    def slot(due: dt.date | None) -> int:
        if due is None or due < today:
            return 0
        return min(1 + (due - today).days // 7, weeks + 1)

    sums: dict[tuple[str, int], list[Decimal]] = {}
    for (due, currency), minor in _open_invoices_with_due():
        cell = sums.setdefault((currency, slot(due)), [Decimal(0), Decimal(0)])
        cell[0] += from_minor_units(minor, currency)
    for row in payables(today=today):
        cell = sums.setdefault((row["currency"], slot(row["due_date"])), [Decimal(0), Decimal(0)])
        cell[1] += row["balance"]
    result = []
    for currency in sorted({currency for currency, _slot in sums}):
        running = Decimal(0)
        for n in range(weeks + 2):
            owed_to_us, we_owe = sums.get((currency, n), [Decimal(0), Decimal(0)])
            running += owed_to_us - we_owe
            start = today + dt.timedelta(days=7 * (n - 1)) if n else None
            result.append(
                {
                    "currency": currency,
                    "slot": "overdue" if n == 0 else ("later" if n == weeks + 1 else start),
                    "receivable": owed_to_us,
                    "payable": we_owe,
                    "gap": owed_to_us - we_owe,
                    "running": running,
                }
            )
    return result


def _open_invoices_with_due() -> list[tuple[tuple[dt.date | None, str], int]]:
    """(due day, currency) and the open amount of every issued invoice with something open."""
    return [((row.due_on, row.currency), row.open_minor) for row in balances.all_open_invoices()]
