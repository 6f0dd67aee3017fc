"""The set-based writes of a billing run: which invoice line bills each upstream line, and
which lines were left unbilled with the reason. Every value is a parameter; only quoted table and
column names from the models go into the text."""

from __future__ import annotations

from django.db import connection

from cspbilling.core.services import require_transaction
from cspbilling.invoicing.billing_sql import (
    CUSTOMER,
    GROUP_COLUMNS,
    PeriodLines,
    key_equals,
    table_name,
)
from cspbilling.invoicing.models import (
    BilledUpstreamLine,
    Invoice,
    InvoiceLine,
    UnbilledUpstreamLine,
)


def trace_billed_lines(lines: PeriodLines, run_id: int) -> int:
    """Write which invoice line of this run bills each upstream line it grouped."""
    require_transaction("trace_billed_lines")
    _analyze(Invoice, InvoiceLine)
    source, params = lines.sql()
    this_run = (
        f"JOIN {table_name(Invoice)} inv ON inv.customer_id = {CUSTOMER} "
        "AND inv.currency = l.currency AND inv.billing_run_id = %s "
        f"JOIN {table_name(InvoiceLine)} il ON il.invoice_id = inv.id AND {key_equals('il', 'l')} "
    )
    source = source.replace("WHERE ", this_run + "WHERE ", 1)
    sql = (
        f"INSERT INTO {table_name(BilledUpstreamLine)} (upstream_line_id, invoice_line_id) "
        f"SELECT l.id, il.id {source} AND b.id IS NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [run_id, *params])
        return cursor.rowcount


def record_unbilled(lines: PeriodLines, run_id: int, reason: str, condition: str) -> int:
    """Write this run's unbilled lines that meet `condition` (SQL over l, c, b) with a reason."""
    require_transaction("record_unbilled")
    source, params = lines.sql()
    sql = (
        f"INSERT INTO {table_name(UnbilledUpstreamLine)} "
        "(billing_run_id, upstream_line_id, reason) "
        f"SELECT %s, l.id, %s {source} AND {condition}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [run_id, reason, *params])
        return cursor.rowcount


UNBILLED_GROUPS_TABLE = "invoicing_unbilled_groups"


def record_unbilled_groups(lines: PeriodLines, run_id: int, groups: list[tuple]) -> int:
    """Write this run's unbilled lines of these groups ((customer_id, currency, *GROUP_COLUMNS,
    reason) each) through a temporary table of their keys: one statement, whatever the count."""
    require_transaction("record_unbilled_groups")
    if not groups:
        return 0
    columns = ("customer_id", "currency", *GROUP_COLUMNS, "reason")
    temp = connection.ops.quote_name(UNBILLED_GROUPS_TABLE)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {temp}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {temp} (customer_id BIGINT, currency VARCHAR(3), "
            "subscription_id VARCHAR(64), offer_id VARCHAR(128), durable_offer_id VARCHAR(128), "
            "charge_type VARCHAR(100), charge_start DATE, charge_end DATE, reason VARCHAR(32))"
        )
        placeholders = ", ".join(["%s"] * len(columns))
        cursor.executemany(
            f"INSERT INTO {temp} ({', '.join(columns)}) VALUES ({placeholders})",  # noqa: S608
            groups,
        )
        source, params = lines.sql()
        join = (
            f"JOIN {temp} g ON g.customer_id = {CUSTOMER} AND g.currency = l.currency "
            f"AND {key_equals('g', 'l')} "
        )
        source = source.replace("WHERE ", join + "WHERE ", 1)
        cursor.execute(
            f"INSERT INTO {table_name(UnbilledUpstreamLine)} "
            "(billing_run_id, upstream_line_id, reason) "
            f"SELECT %s, l.id, g.reason {source} AND b.id IS NULL",
            [run_id, *params],
        )
        written = cursor.rowcount
        cursor.execute(f"DROP TABLE {temp}")
    return written


def _analyze(*models) -> None:
    """Fresh statistics for tables this transaction just filled: without them the planner
    takes them for empty and joins a million lines to them row by row (minutes, not seconds)."""
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {table_name(model)}")
