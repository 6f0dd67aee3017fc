"""The discrepancy report for one billing period (read side, set-based SQL on both engines).

Which upstream lines were billed to a customer, and which customer charges have no upstream
line, is customer invoicing's answer: it registers a reader (`upstream.billing_reads`). Without
one, nothing was billed and every upstream line is listed as not billed yet.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection

from cspbilling.core.money import from_minor_units
from cspbilling.customers.models import Customer
from cspbilling.subscriptions.models import Subscription
from cspbilling.upstream.billing_reads import billing_reader
from cspbilling.upstream.models import CustomerNumberMapping, UpstreamInvoice, UpstreamLineItem

LINES = UpstreamLineItem._meta.db_table
INVOICES = UpstreamInvoice._meta.db_table
SUBSCRIPTIONS = Subscription._meta.db_table
NUMBERS = CustomerNumberMapping._meta.db_table
CUSTOMERS = Customer._meta.db_table
NOT_BILLED_REASON = "customer invoicing not yet run"
UNMAPPED_REASON = (
    "customer number {number} is not mapped to a customer (map it on the customer's page)"
)
# The recurring charge types, as the global and 2018 files write them and as the 2016 edition does.
RECURRING = ("Cycle fee", "Renew fee", "CYCLE_FEE", "RENEW_FEE")
RECURRING_IN = ", ".join(["%s"] * len(RECURRING))


def periods() -> list[dt.date]:
    return list(
        UpstreamInvoice.objects.exclude(billing_period_start=None)
        .order_by("-billing_period_start")
        .values_list("billing_period_start", flat=True)
        .distinct()
    )


def previous_period(period: dt.date) -> dt.date:
    return (period - dt.timedelta(days=1)).replace(day=1)


def from_micro_units(micro: int) -> Decimal:
    """A unit price from the integer millionths the price check compares (6 places)."""
    return Decimal(int(micro)).scaleb(-6)


def _limit(limit: int | None) -> str:
    return f" LIMIT {int(limit)}" if limit else ""


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# --- Customer billing interface (the invoicing app will answer these) -----------------------


def unbilled_upstream_charges(*, period: dt.date, limit: int | None = 200) -> list[dict]:
    """Upstream charges of the period not re-billed to any customer, per customer/subscription,
    as customer invoicing reports them.

    Without customer invoicing every upstream line is unbilled, with that reason. A 21Vianet
    2016 line names a customer number: it is attributed to the customer the number is mapped to
    when this is read (so mapping a number later needs no re-import), and until then is
    unbilled for that reason.
    """
    reader = billing_reader()
    if reader is not None:
        return reader.unbilled_upstream_charges(period=period, limit=limit)
    sql = f"""
        SELECT COALESCE(l.customer_tenant_id, c.tenant_id), l.customer_number, l.subscription_id,
               MAX(l.customer_name), COUNT(*), SUM(l.total_minor), MAX(l.currency)
        FROM {LINES} l JOIN {INVOICES} i ON i.id = l.invoice_id
        LEFT JOIN {NUMBERS} m ON m.customer_number = l.customer_number
        LEFT JOIN {CUSTOMERS} c ON c.id = m.customer_id
        WHERE i.billing_period_start = %s
        GROUP BY COALESCE(l.customer_tenant_id, c.tenant_id), l.customer_number, l.subscription_id
        ORDER BY SUM(l.total_minor) DESC, l.subscription_id
    """ + _limit(limit)  # noqa: S608 (table names from the models; values are parameters)
    return [
        {
            "customer_tenant_id": tenant,
            "customer_number": number,
            "subscription_id": sub,
            "customer_name": name,
            "lines": n,
            "amount": from_minor_units(total, currency),
            "currency": currency,
            "reason": UNMAPPED_REASON.format(number=number)
            if tenant is None and number
            else NOT_BILLED_REASON,
        }
        for tenant, number, sub, name, n, total, currency in _fetch(sql, [str(period)])
    ]


def customer_charges_without_upstream_line(*, period: dt.date) -> list[dict]:
    """Customer invoice lines of the period that bill no upstream line that still exists."""
    reader = billing_reader()
    if reader is None:
        return []
    return reader.customer_charges_without_upstream_line(period=period)


# --- Real checks ----------------------------------------------------------------------------


def unit_price_changes(*, period: dt.date, limit: int | None = 200) -> list[dict]:
    """(subscription, offer) whose unit price differs from the previous period's."""
    previous = previous_period(period)
    # One UNION ALL and a GROUP BY: no join for SQLite's planner to get wrong.
    sql = f"""
        SELECT subscription_id, durable_offer_id, MAX(customer_name),
               MAX(CASE WHEN side = 0 THEN price END), MAX(CASE WHEN side = 1 THEN price END)
        FROM (
            SELECT l.subscription_id, l.durable_offer_id, l.customer_name,
                   CASE WHEN i.billing_period_start = %s THEN 0 ELSE 1 END AS side,
                   CAST(ROUND(l.unit_price * 1000000) AS BIGINT) AS price
            FROM {LINES} l JOIN {INVOICES} i ON i.id = l.invoice_id
            WHERE i.billing_period_start IN (%s, %s) AND l.unit_price IS NOT NULL
              AND l.charge_type IN ({RECURRING_IN}) AND l.subscription_id <> ''
        ) AS both_periods
        GROUP BY subscription_id, durable_offer_id
        HAVING COUNT(DISTINCT side) = 2
           AND MAX(CASE WHEN side = 0 THEN price END) <> MAX(CASE WHEN side = 1 THEN price END)
        ORDER BY subscription_id
    """ + _limit(limit)  # noqa: S608 (table names from the models; values are parameters)
    rows = _fetch(sql, [str(previous), str(previous), str(period), *RECURRING])
    return [
        {
            "subscription_id": sub,
            "durable_offer_id": offer,
            "customer_name": name,
            "previous_price": from_micro_units(before),
            "price": from_micro_units(now),
        }
        for sub, offer, name, before, now in rows
    ]


def quantity_differences(*, period: dt.date, limit: int | None = 200) -> list[dict]:
    """Subscriptions whose billed quantity (recurring charges) differs from the mirror's."""
    sql = f"""
        SELECT b.subscription_id, b.customer_name, b.quantity, s.quantity
        FROM (
            SELECT l.subscription_id, MAX(l.customer_name) AS customer_name,
                   CAST(MAX(l.quantity) AS BIGINT) AS quantity
            FROM {LINES} l JOIN {INVOICES} i ON i.id = l.invoice_id
            WHERE i.billing_period_start = %s AND l.charge_type IN ({RECURRING_IN})
              AND l.subscription_id <> '' AND l.quantity > 0
            GROUP BY l.subscription_id
        ) b
        JOIN {SUBSCRIPTIONS} s ON s.subscription_id = b.subscription_id
        WHERE s.quantity <> b.quantity
        ORDER BY b.subscription_id
    """ + _limit(limit)  # noqa: S608 (table names from the models; values are parameters)
    return [
        {
            "subscription_id": sub,
            "customer_name": name,
            "billed_quantity": billed,
            "mirror_quantity": mirror,
            "difference": billed - mirror,
        }
        for sub, name, billed, mirror in _fetch(sql, [str(period), *RECURRING])
    ]


def report(*, period: dt.date, limit: int | None = 200) -> dict:
    return {
        "period": period,
        "previous_period": previous_period(period),
        "unbilled": unbilled_upstream_charges(period=period, limit=limit),
        "invoicing": billing_reader() is not None,
        "without_upstream": customer_charges_without_upstream_line(period=period),
        "price_changes": unit_price_changes(period=period, limit=limit),
        "quantity_differences": quantity_differences(period=period, limit=limit),
    }
