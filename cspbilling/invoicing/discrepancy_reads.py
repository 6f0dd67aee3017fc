"""Customer invoicing's answers to the upstream discrepancy report (`upstream.billing_reads`):
which upstream charges of a month are on no customer invoice and why, and which customer charges
bill no upstream line that still exists. Set-based SQL; only model table names go into the text.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.urls import reverse

from cspbilling.core.money import from_minor_units
from cspbilling.customers.models import Customer
from cspbilling.invoicing.billing_sql import table_name
from cspbilling.invoicing.models import (
    BilledUpstreamLine,
    BillingRun,
    HeldUpstreamLine,
    Invoice,
    InvoiceLine,
    SettledUpstreamLine,
    UnbilledReason,
    UnbilledUpstreamLine,
)
from cspbilling.upstream.models import CustomerNumberMapping, UpstreamInvoice, UpstreamLineItem

NOT_RUN = "not billed yet: no billing run of this month has seen these lines"
UNMAPPED = "customer number {number} is not mapped to a customer (map it on the customer's page)"
REISSUED = (
    "its upstream lines were replaced when 21Vianet re-issued its invoice: the next billing run "
    "corrects it"
)
NO_LINE = "it bills no upstream line"


def _latest_run(period: dt.date) -> int | None:
    """The latest billing run of the whole month that kept its results."""
    return (
        BillingRun.objects.filter(period=period.replace(day=1), customer=None, dry_run=False)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def unbilled_upstream_charges(*, period: dt.date, limit: int | None) -> list[dict]:
    run = _latest_run(period)
    sql = f"""
        SELECT COALESCE(l.customer_tenant_id, c.tenant_id), l.customer_number, l.subscription_id,
               MAX(l.customer_name), COUNT(*), SUM(l.total_minor), MAX(l.currency), u.reason,
               s.reason, h.reason
        FROM {table_name(UpstreamLineItem)} l
        JOIN {table_name(UpstreamInvoice)} i ON i.id = l.invoice_id
        LEFT JOIN {table_name(CustomerNumberMapping)} m ON m.customer_number = l.customer_number
        LEFT JOIN {table_name(Customer)} c ON c.id = m.customer_id
        LEFT JOIN {table_name(BilledUpstreamLine)} b ON b.upstream_line_id = l.id
        LEFT JOIN {table_name(UnbilledUpstreamLine)} u
               ON u.upstream_line_id = l.id AND u.billing_run_id = %s
        LEFT JOIN {table_name(SettledUpstreamLine)} s ON s.upstream_line_id = l.id
        LEFT JOIN {table_name(HeldUpstreamLine)} h ON h.upstream_line_id = l.id
        WHERE i.billing_period_start = %s AND b.id IS NULL
        GROUP BY COALESCE(l.customer_tenant_id, c.tenant_id), l.customer_number,
                 l.subscription_id, u.reason, s.reason, h.reason
        ORDER BY SUM(l.total_minor) DESC, l.subscription_id
    """  # noqa: S608 (table names from the models; values are parameters)
    if limit:
        sql += f" LIMIT {int(limit)}"
    labels = dict(UnbilledReason.choices)
    rows = []
    found = _fetch(sql, [run, str(period)])
    for tenant, number, sub, name, n, total, currency, reason, settled, held in found:
        if tenant is None and number:
            why = UNMAPPED.format(number=number)
        elif settled:  # whatever run saw it last: it is never billed
            why = f"{labels[UnbilledReason.SETTLED_OUTSIDE_BILLING]}: {settled}"
        elif held:  # until it is decided, whatever run saw it last
            why = f"{labels[UnbilledReason.HELD_FOR_DECISION]}: {held}"
        elif reason:
            why = labels.get(reason, reason)
        else:
            why = NOT_RUN
        rows.append(
            {
                "customer_tenant_id": tenant,
                "customer_number": number,
                "subscription_id": sub,
                "customer_name": name,
                "lines": n,
                "amount": from_minor_units(total, currency),
                "currency": currency,
                "reason": why,
            }
        )
    return rows


def customer_charges_without_upstream_line(*, period: dt.date) -> list[dict]:
    """Invoice lines of the month with no trace at all, or whose traced upstream lines are all
    gone (21Vianet re-issued the invoice and its lines were replaced)."""
    sql = f"""
        SELECT inv.id, inv.number, il.subscription_id, il.offer_name, il.offer_id, il.net_minor,
               inv.currency, COUNT(b.id), COUNT(l.id), MAX(c.company_name), MAX(c.legal_name)
        FROM {table_name(InvoiceLine)} il
        JOIN {table_name(Invoice)} inv ON inv.id = il.invoice_id
        JOIN {table_name(Customer)} c ON c.id = inv.customer_id
        LEFT JOIN {table_name(BilledUpstreamLine)} b ON b.invoice_line_id = il.id
        LEFT JOIN {table_name(UpstreamLineItem)} l ON l.id = b.upstream_line_id
        WHERE inv.period = %s AND il.corrects_line_id IS NULL
        GROUP BY inv.id, inv.number, il.id, il.subscription_id, il.offer_name, il.offer_id,
                 il.net_minor, inv.currency
        HAVING COUNT(l.id) = 0
        ORDER BY inv.number, il.id
    """  # noqa: S608 (table names from the models; values are parameters)
    rows = []
    for (
        invoice_id,
        number,
        sub,
        offer_name,
        offer_id,
        net,
        currency,
        traced,
        _,
        company,
        legal,
    ) in _fetch(sql, [period.replace(day=1)]):
        rows.append(
            {
                "invoice": number or f"draft #{invoice_id}",
                "invoice_id": invoice_id,
                "url": reverse("invoicing:invoice_detail", args=[invoice_id]),
                "customer_name": legal or company,
                "subscription_id": sub,
                "offer": offer_name or offer_id,
                "amount": from_minor_units(net, currency),
                "currency": currency,
                "reason": REISSUED if traced else NO_LINE,
            }
        )
    return rows
