"""The set-based reads of a billing run, over a month's upstream lines (its writes are in
`services/billing_writes.py`).

A run reads the upstream tables once: `services/billing_writes.fill_run_lines` copies the month's
lines into a scratch table of the run (`RUN_LINES`), each with its customer, the reason it
cannot be billed (if any), and the number of its group (`g`: the lines one invoice line bills
share it). Every later statement reads that narrow table and joins on `g`, one integer: no
statement joins a million lines on the eight columns of a group, whose row count both planners
misjudge (PostgreSQL took the join for one row and nested-looped it; SQLite scanned customers).

Amounts are summed as integer millionths (`ROUND(amount * 1e6)`): exact on PostgreSQL and on
SQLite, which would otherwise sum NUMERIC as floating point. Only quoted table and column names
from the models go into the text; every value is a parameter.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection

from cspbilling.customers.models import Customer
from cspbilling.invoicing.models import (
    BilledUpstreamLine,
    HeldUpstreamLine,
    SettledUpstreamLine,
)
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
TEXT_GROUP_COLUMNS = ("currency", "subscription_id", "offer_id", "durable_offer_id", "charge_type")
# The customer a line bills: by its tenant id, or (21Vianet 2016 edition, no tenant id) by the
# customer number finance mapped on the customer page.
CUSTOMER = "COALESCE(c.id, m.customer_id)"
# The run's scratch tables (temporary: this connection's own, gone with it).
RUN_LINES = "invoicing_run_lines"
RUN_GROUPS = "invoicing_run_groups"


def table_name(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def billed() -> str:
    """Whether line `l` is billed already (by an issued invoice: the drafts are gone by then)."""
    trace = table_name(BilledUpstreamLine)
    return f"EXISTS (SELECT 1 FROM {trace} b WHERE b.upstream_line_id = l.id)"  # noqa: S608


def settled() -> str:
    """Whether line `l` was settled outside billing (`SettledUpstreamLine`): never billed."""
    table = table_name(SettledUpstreamLine)
    return f"EXISTS (SELECT 1 FROM {table} s WHERE s.upstream_line_id = l.id)"  # noqa: S608


def held() -> str:
    """Whether line `l` is held out of billing while someone decides (`HeldUpstreamLine`)."""
    table = table_name(HeldUpstreamLine)
    return f"EXISTS (SELECT 1 FROM {table} h WHERE h.upstream_line_id = l.id)"  # noqa: S608


@dataclass(frozen=True)
class PeriodLines:
    """The upstream lines of the invoices whose billing period starts in one month, of one
    customer or of all: the FROM … WHERE the run's scratch table is filled from."""

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
            f"WHERE {where}"
        )
        return sql, params


def group_order() -> str:
    """The ORDER BY that numbers the groups (and orders the drafts): by customer, currency and
    the group's columns. Bytewise on PostgreSQL, where a collation only costs time here."""
    collate = ' COLLATE "C"' if connection.vendor == "postgresql" else ""
    columns = [CUSTOMER] + [
        f"l.{column}{collate if column in TEXT_GROUP_COLUMNS else ''}"
        for column in ("currency", *GROUP_COLUMNS)
    ]
    return ", ".join(columns)


# What a group's lines list for a whole period, Σ unit price × quantity, exact: a product of two
# millionths needs 10**-12 units, past BIGINT. Each factor is split at the unit (p = P·10**6 +
# p', q = Q·10**6 + q'; / and % truncate alike on both engines) and the products summed in three
# parts that fit, each the size of an amount at most: the list is P·Q·10**12 + (P·q' + p'·Q)·10**6
# + p'·q' (`list_e12`).
LIST_PARTS = (
    "SUM((price_micro / 1000000) * (quantity_micro / 1000000))",
    "SUM((price_micro / 1000000) * (quantity_micro % 1000000) "
    "+ (price_micro % 1000000) * (quantity_micro / 1000000))",
    "SUM((price_micro % 1000000) * (quantity_micro % 1000000))",
)


def list_e12(units: int, millionths: int, rest: int) -> int:
    """The list of a group in 10**-12, from its three parts (`LIST_PARTS`)."""
    return (int(units) * 10**6 + int(millionths)) * 10**6 + int(rest)


def unbilled_groups() -> list[tuple]:
    """(g, customer_id, currency, *GROUP_COLUMNS, offer_name, lines, amount_micro,
    quantity_micro, *LIST_PARTS) for the run's lines that may be billed, one row per would-be
    invoice line, in group order."""
    keys = ", ".join(f"MIN({column})" for column in ("customer_id", "currency", *GROUP_COLUMNS))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT g, {keys}, MAX(offer_name), COUNT(*), SUM(amount_micro), "  # noqa: S608
            f"SUM(quantity_micro), {', '.join(LIST_PARTS)} "
            f"FROM {RUN_LINES} WHERE reason IS NULL GROUP BY g ORDER BY g"
        )
        return cursor.fetchall()
