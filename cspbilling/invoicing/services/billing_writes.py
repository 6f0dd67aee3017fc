"""The set-based writes of a billing run: its scratch tables (see `billing_sql`), which invoice
line bills each upstream line, and which lines were left unbilled with the reason. Every value
is a parameter; only quoted table and column names from the models go into the text."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from cspbilling.core.services import require_transaction
from cspbilling.invoicing.billing_sql import (
    CUSTOMER,
    GROUP_COLUMNS,
    RUN_GROUPS,
    RUN_LINES,
    PeriodLines,
    billed,
    group_order,
    held,
    settled,
    table_name,
)
from cspbilling.invoicing.models import (
    BilledUpstreamLine,
    UnbilledReason,
    UnbilledUpstreamLine,
)

# PostgreSQL sorts the month's lines to number their groups: in memory, not in temporary files.
SORT_MEMORY = "256MB"


def fill_run_lines(lines: PeriodLines) -> int:
    """The run's scratch table of lines: id, customer, currency, group columns, offer name,
    amount, quantity and upstream unit price in millionths, the reason it cannot be billed
    (NULL if it can: no customer, billed already, settled outside billing, or held for a
    decision), and its group number `g`. One read of the upstream tables."""
    require_transaction("fill_run_lines")
    source, params = lines.sql()
    reason = (
        f"CASE WHEN {CUSTOMER} IS NULL AND l.customer_number <> '' THEN %s "
        f"WHEN {CUSTOMER} IS NULL THEN %s WHEN {billed()} THEN %s WHEN {settled()} THEN %s "
        f"WHEN {held()} THEN %s END"
    )
    reasons = [
        UnbilledReason.CUSTOMER_NUMBER_NOT_MAPPED,
        UnbilledReason.CUSTOMER_UNKNOWN,
        UnbilledReason.ALREADY_BILLED,
        UnbilledReason.SETTLED_OUTSIDE_BILLING,
        UnbilledReason.HELD_FOR_DECISION,
    ]
    keys = ", ".join(f"l.{column}" for column in GROUP_COLUMNS)
    drop_scratch_tables()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Compiling this one statement (JIT) took a second of its three.
            cursor.execute(f"SET LOCAL work_mem = '{SORT_MEMORY}'")
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {RUN_LINES} AS SELECT l.id AS line_id, "
            f"{CUSTOMER} AS customer_id, l.currency, {keys}, l.offer_name, "
            "CAST(ROUND(l.amount * 1000000) AS BIGINT) AS amount_micro, "
            "CAST(ROUND(COALESCE(l.quantity, 0) * 1000000) AS BIGINT) AS quantity_micro, "
            "CAST(ROUND(COALESCE(l.unit_price, 0) * 1000000) AS BIGINT) AS price_micro, "
            f"{reason} AS reason, DENSE_RANK() OVER (ORDER BY {group_order()}) AS g {source}",
            [*reasons, *params],
        )
        cursor.execute(f"SELECT COUNT(*) FROM {RUN_LINES}")  # noqa: S608
        return int(cursor.fetchone()[0])


def record_unbilled_lines(run_id: int) -> int:
    """This run's lines that cannot be billed before pricing, with the reason."""
    require_transaction("record_unbilled_lines")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table_name(UnbilledUpstreamLine)} "  # noqa: S608
            "(billing_run_id, upstream_line_id, reason) "
            f"SELECT %s, line_id, reason FROM {RUN_LINES} WHERE reason IS NOT NULL",
            [run_id],
        )
        return cursor.rowcount


def record_groups(groups: Iterable[tuple[int, int | None, str | None]]) -> None:
    """What became of each group: (g, the invoice line that bills it, or the reason it is not
    billed), in the run's scratch table of groups."""
    require_transaction("record_groups")
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {RUN_GROUPS} (g BIGINT PRIMARY KEY, invoice_line_id BIGINT, "
            "reason VARCHAR(32))"
        )
        columns = "(g, invoice_line_id, reason)"
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {RUN_GROUPS} {columns} FROM STDIN") as copy:
                for row in groups:
                    copy.write_row(row)
        else:
            cursor.executemany(f"INSERT INTO {RUN_GROUPS} {columns} VALUES (%s, %s, %s)", groups)  # noqa: S608
        if connection.vendor == "postgresql":  # fresh statistics for the joins that follow
            cursor.execute(f"ANALYZE {RUN_LINES}")
            cursor.execute(f"ANALYZE {RUN_GROUPS}")


def trace_billed_lines() -> int:
    """Write which invoice line of this run bills each upstream line it grouped."""
    require_transaction("trace_billed_lines")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table_name(BilledUpstreamLine)} (upstream_line_id, invoice_line_id) "  # noqa: S608
            f"SELECT t.line_id, r.invoice_line_id FROM {RUN_LINES} t "
            f"JOIN {RUN_GROUPS} r ON r.g = t.g "
            "WHERE t.reason IS NULL AND r.invoice_line_id IS NOT NULL"
        )
        return cursor.rowcount


def record_unbilled_groups(run_id: int) -> int:
    """Write this run's lines whose group was not billed (no rule, …), with the reason."""
    require_transaction("record_unbilled_groups")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table_name(UnbilledUpstreamLine)} "  # noqa: S608
            "(billing_run_id, upstream_line_id, reason) "
            f"SELECT %s, t.line_id, r.reason FROM {RUN_LINES} t "
            f"JOIN {RUN_GROUPS} r ON r.g = t.g WHERE t.reason IS NULL AND r.reason IS NOT NULL",
            [run_id],
        )
        return cursor.rowcount


def drop_scratch_tables() -> None:
    """The run's scratch tables go (a connection is kept between requests and runs)."""
    with connection.cursor() as cursor:
        for table in (RUN_LINES, RUN_GROUPS):
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
