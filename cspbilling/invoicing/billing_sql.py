"""The set-based reads of a billing run, over a month's upstream lines (its writes are in
`services/billing_writes.py`).

Amounts are summed as integer millionths (`ROUND(amount * 1e6)`): exact on PostgreSQL and on
SQLite, which would otherwise sum NUMERIC as floating point. Only quoted table and column names
from the models go into the text; every value is a parameter.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection

from cspbilling.customers.models import Customer
from cspbilling.invoicing.models import BilledUpstreamLine
from cspbilling.upstream.models import (
    CustomerNumberMapping,
    UpstreamInvoice,
    UpstreamLineItem,
)

# The columns an invoice line groups upstream lines by (besides customer and currency).
GROUP_COLUMNS = (
    "subscription_id",
    "offer_id",
    "durable_offer_id",
    "charge_type",
    "charge_start",
    "charge_end",
)
NO_DATE = "1900-01-01"  # stands for an empty charge date in joins (NULL never equals NULL)
# The customer a line bills: by its tenant id, or (21Vianet 2016 edition, no tenant id) by the
# customer number finance mapped on the customer page.
CUSTOMER = "COALESCE(c.id, m.customer_id)"


def table_name(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


@dataclass(frozen=True)
class PeriodLines:
    """The upstream lines of the invoices whose billing period starts in one month, of one
    customer or of all: a FROM … WHERE shared by every statement of the run."""

    start: dt.date
    end: dt.date
    customer_id: int | None = None

    def sql(self) -> tuple[str, list]:
        where = "i.billing_period_start >= %s AND i.billing_period_start < %s"
        params: list = [self.start, self.end]
        if self.customer_id is not None:
            where += f" AND {CUSTOMER} = %s"
            params.append(self.customer_id)
        sql = (
            f"FROM {table_name(UpstreamLineItem)} l "
            f"JOIN {table_name(UpstreamInvoice)} i ON i.id = l.invoice_id "
            f"LEFT JOIN {table_name(Customer)} c ON c.tenant_id = l.customer_tenant_id "
            f"LEFT JOIN {table_name(CustomerNumberMapping)} m "
            "ON m.customer_number = l.customer_number AND l.customer_number <> '' "
            f"LEFT JOIN {table_name(BilledUpstreamLine)} b ON b.upstream_line_id = l.id "
            f"WHERE {where}"
        )
        return sql, params


def key_equals(left: str, right: str) -> str:
    parts = []
    for column in GROUP_COLUMNS:
        if column.startswith("charge_"):
            parts.append(
                f"COALESCE({left}.{column}, '{NO_DATE}') = COALESCE({right}.{column}, '{NO_DATE}')"
            )
        else:
            parts.append(f"{left}.{column} = {right}.{column}")
    return " AND ".join(parts)


def unbilled_groups(lines: PeriodLines) -> list[tuple]:
    """(customer_id, currency, *GROUP_COLUMNS, offer_name, lines, amount_micro, quantity_micro)
    for the lines of known customers not billed yet, one row per would-be invoice line."""
    source, params = lines.sql()
    keys = ", ".join(f"l.{c}" for c in GROUP_COLUMNS)
    sql = (
        f"SELECT {CUSTOMER}, l.currency, {keys}, MAX(l.offer_name), COUNT(*), "
        "SUM(CAST(ROUND(l.amount * 1000000) AS BIGINT)), "
        "SUM(CAST(ROUND(COALESCE(l.quantity, 0) * 1000000) AS BIGINT)) "
        f"{source} AND {CUSTOMER} IS NOT NULL AND b.id IS NULL "
        f"GROUP BY {CUSTOMER}, l.currency, {keys} ORDER BY {CUSTOMER}, l.currency, {keys}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def count_lines(lines: PeriodLines, condition: str) -> int:
    source, params = lines.sql()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) {source} AND {condition}", params)
        return int(cursor.fetchone()[0])
