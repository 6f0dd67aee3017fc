"""A run's overdue book and pending actions staged in temporary tables, and the actions that
need no deciding one by one taken in SQL.

`stage_book` writes the overdue book (`decisions.book_query`: each overdue undisputed invoice
and what is open on it) into `collections_run_book`, the one evaluation of the open-invoices
CTE a run makes: episodes of customers no longer in it are closed (`close_cleared_episodes`),
and what each customer owes is read from it for the customers the run acts on (`owed_of`), not
for the whole book. `stage_pending` writes `decisions.pending_query`'s rows, read from the
book, into `collections_run_pending`; `open_episodes` opens an episode for each customer without
one; `insert_plain_actions` inserts, for a range of customers, the actions that need no deciding
in Python: restrictions (done), escalations (open: a task for a person) and notices superseded by
a later notice of the same run (skipped), when nothing was recorded for them in the episode. Each
gets the customer's overdue amount, currency, oldest due day and invoices from
`collections_run_owed` (filled from the book the run read). What is left (the notice sent,
suspensions, actions held earlier and decided again) is read by `to_decide` and decided in Python.

A catch-up decides hundreds of thousands of actions: two thirds of them this way, without a
Python object, a description or a COPYed row each (see bench/RESULTS.md, session 8).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from itertools import batched

from django.db import connection
from django.db.models.expressions import RawSQL

from cspbilling.collections import decisions
from cspbilling.collections.models import Action, ActionKind, ActionStatus, Episode, Stage
from cspbilling.core.bulk import fill_scratch_table, json_text

BOOK = "collections_run_book"
PENDING = "collections_run_pending"
OWED = "collections_run_owed"

# The pending actions `insert_plain_actions` takes (the complement is decided in Python).
_PLAIN = f"""(p.held_id IS NULL
    AND (p.kind IN ('{ActionKind.RESTRICT}', '{ActionKind.ESCALATE}')
         OR (p.kind = '{ActionKind.NOTIFY}' AND p.position < p.last_notice_position)))"""


# A staged row's open episode: the one it was staged with or the one opened for it today,
# joined (by the index of open episodes; rewriting every staged row of a catch-up cost more).
_EPISODE_JOIN = f"""JOIN {Episode._meta.db_table} e
    ON e.customer_id = p.customer_id AND e.closed_on IS NULL"""


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _analyze(cursor, table: str) -> None:
    """PostgreSQL never analyses a temporary table by itself: without its statistics the
    joins on it were planned as if it held a few rows."""
    if connection.vendor == "postgresql":
        cursor.execute(f"ANALYZE {_q(table)}")


def stage_book(as_of: dt.date) -> None:
    """The overdue book of `as_of` into `collections_run_book` (after any earlier staging is
    dropped)."""
    drop_staging()
    sql, params = decisions.book_query(as_of)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE {_q(BOOK)} AS {sql}", params)
        cursor.execute(f"CREATE INDEX {_q(BOOK + '_customer')} ON {_q(BOOK)} (customer_id)")
        _analyze(cursor, BOOK)


def close_cleared_episodes(as_of: dt.date) -> int:
    """Close the open episodes of customers absent from the staged book; returns how many."""
    table = _q(Episode._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET closed_on = %s, close_reason = %s "  # noqa: S608
            f"WHERE closed_on IS NULL AND NOT EXISTS "
            f"(SELECT 1 FROM {_q(BOOK)} b WHERE b.customer_id = {table}.customer_id)",
            [connection.ops.adapt_datefield_value(as_of), "nothing overdue any more"],
        )
        return max(cursor.rowcount, 0)


def owed_of(
    customer_ids: list[int] | None = None,
) -> tuple[dict[int, decisions.Overdue], dict[int, list[str]]]:
    """What the customers owe past due, from the staged book, and their invoices' numbers
    (oldest first); `customer_ids` None: the customers with pending actions staged."""
    if customer_ids is None:
        groups = [(f"SELECT customer_id FROM {_q(PENDING)}", [])]  # noqa: S608
    else:  # a few at a time: SQLite caps the parameters of a statement
        ids = sorted(set(customer_ids))
        groups = [(", ".join(["%s"] * len(ch)), list(ch)) for ch in batched(ids, 1000)]
    rows = []
    with connection.cursor() as cursor:
        for chosen, params in groups:
            cursor.execute(
                "SELECT customer_id, currency, due_on, number, open_minor "  # noqa: S608
                f"FROM {_q(BOOK)} WHERE customer_id IN ({chosen}) "
                "ORDER BY customer_id, due_on, number",
                params,
            )
            rows += cursor.fetchall()
    return decisions.owed_of_book_rows(rows)


def stage_pending(as_of: dt.date, steps: list[decisions.Step], default: int | None) -> list[int]:
    """The run's pending actions into `collections_run_pending`, from the staged book; returns
    the customers that have any, in order (none when no version is published)."""
    if not steps:
        return []
    sql, params = decisions.pending_query(as_of, steps, default, book=BOOK)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # its sorts (DISTINCT, the window) in memory
            cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(f"CREATE TEMP TABLE {_q(PENDING)} AS {sql}", params)
        cursor.execute(f"CREATE INDEX {_q(PENDING + '_customer')} ON {_q(PENDING)} (customer_id)")
        _analyze(cursor, PENDING)
        cursor.execute(f"SELECT DISTINCT customer_id FROM {_q(PENDING)} ORDER BY customer_id")  # noqa: S608
        return [int(row[0]) for row in cursor.fetchall()]


def open_episodes(as_of: dt.date) -> int:
    """An episode opened today for each staged customer that has no open one (the staged rows
    keep a NULL: `_EPISODE_JOIN` finds it). Returns how many were opened."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_q(Episode._meta.db_table)} (customer_id, opened_on, close_reason) "  # noqa: S608
            f"SELECT DISTINCT customer_id, %s, '' FROM {_q(PENDING)} WHERE episode_id IS NULL",
            [connection.ops.adapt_datefield_value(as_of)],
        )
        return max(cursor.rowcount, 0)


def stage_owed(owed: Iterable[decisions.Overdue], invoices: dict[int, list[str]]) -> None:
    """What each staged customer owes, as its actions record it, into `collections_run_owed`."""
    day = connection.ops.adapt_datefield_value
    fill_scratch_table(
        OWED,
        Action,
        ("customer_id", "currency", "oldest_due_on", "amount_minor", "invoice_refs"),
        (
            (
                o.customer_id,
                o.currency,
                day(o.oldest_due),
                o.amount_minor,
                json_text(invoices.get(o.customer_id, [])),
            )
            for o in owed
        ),  # fmt: skip
    )
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE UNIQUE INDEX {_q(OWED + '_customer')} ON {_q(OWED)} (customer_id)")
        _analyze(cursor, OWED)


def to_decide() -> list[decisions.Pending]:
    """The staged actions `insert_plain_actions` does not take, by customer and stage."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.customer_id, p.version_id, p.acknowledged, p.stage_id, p.kind, e.id, "  # noqa: S608
            "p.position, p.last_notice_position, p.held_id, p.held_status, p.held_reason "
            f"FROM {_q(PENDING)} p {_EPISODE_JOIN} WHERE NOT {_PLAIN} "
            "ORDER BY p.customer_id, p.position, p.kind"
        )
        return [
            decisions.Pending(int(c), int(v), bool(a), int(s), k, int(e), int(n), m, h, hs, hr)
            for c, v, a, s, k, e, n, m, h, hs, hr in cursor.fetchall()
        ]


def with_plain_actions() -> list[int]:
    """The staged customers that have actions `insert_plain_actions` takes (only theirs need
    an owed row: the day after a catch-up, none)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT p.customer_id FROM {_q(PENDING)} p WHERE {_PLAIN}")  # noqa: S608
        return [int(row[0]) for row in cursor.fetchall()]


INSERTED = ("customer_id", "episode_id", "stage_id", "kind", "status", "reason", "acknowledged")


def insert_plain_actions(
    first: int, last: int, *, labels: dict[int, str], as_of: dt.date, now: dt.datetime
) -> list[tuple]:
    """The plain actions of the staged customers `first`..`last`, inserted in one statement;
    returns them as rows of `INSERTED`. `labels`: each version's label, quoted on its actions."""
    if not labels:
        return []
    ops = connection.ops
    label_case = " ".join("WHEN %s THEN %s" for _ in labels)
    label_params = [value for pk, label in labels.items() for value in (pk, label)]
    status = (
        f"CASE p.kind WHEN '{ActionKind.RESTRICT}' THEN '{ActionStatus.DONE}' "
        f"WHEN '{ActionKind.ESCALATE}' THEN '{ActionStatus.OPEN}' "
        f"ELSE '{ActionStatus.SKIPPED}' END"
    )
    reason = (
        f"CASE WHEN p.kind = '{ActionKind.NOTIFY}' "
        "THEN 'superseded by the later notice of stage ' || s.code ELSE '' END"
    )
    sql = f"""
        INSERT INTO {_q(Action._meta.db_table)} (
            customer_id, episode_id, stage_id, kind, status, reason, policy_version,
            invoice_refs, amount_minor, currency, oldest_due_on, acknowledged, as_of,
            suspension_ids, created_at, decided_at, decided_by)
        SELECT p.customer_id, e.id, p.stage_id, p.kind, {status}, {reason},
               CASE p.version_id {label_case} END, o.invoice_refs, o.amount_minor, o.currency,
               o.oldest_due_on, p.acknowledged, %s, '[]', %s, %s, ''
        FROM {_q(PENDING)} p
        {_EPISODE_JOIN}
        JOIN {_q(OWED)} o ON o.customer_id = p.customer_id
        LEFT JOIN {_q(Stage._meta.db_table)} s
               ON s.version_id = p.version_id AND s.position = p.last_notice_position
        WHERE p.customer_id BETWEEN %s AND %s AND {_PLAIN}
        RETURNING {", ".join(INSERTED)}
    """  # noqa: S608 (table names from the models; values are parameters)
    moment = ops.adapt_datetimefield_value(now)
    params = [*label_params, ops.adapt_datefield_value(as_of), moment, moment, first, last]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def notified(first: int, last: int) -> RawSQL:
    """The staged customers `first`..`last` that have a notice to decide, as an expression to
    filter on (`pk__in`): not thousands of ids sent back to the database in a list."""
    return RawSQL(  # noqa: S611 (a constant table name; values are parameters)
        f"SELECT customer_id FROM {_q(PENDING)} WHERE kind = %s "  # noqa: S608
        "AND customer_id BETWEEN %s AND %s",
        (str(ActionKind.NOTIFY), first, last),
    )


def suspending_customers() -> RawSQL:
    """Every staged customer with a suspension to decide, as an expression."""
    return RawSQL(  # noqa: S611 (a constant table name; values are parameters)
        f"SELECT customer_id FROM {_q(PENDING)} WHERE kind = %s",  # noqa: S608
        (str(ActionKind.SUSPEND),),
    )


def suspending_episodes(first: int, last: int) -> RawSQL:
    """The open episodes of the staged customers `first`..`last` that have a suspension to
    decide (opened before today: a new one has no earlier notice), as an expression."""
    return RawSQL(  # noqa: S611 (a constant table name; values are parameters)
        f"SELECT episode_id FROM {_q(PENDING)} WHERE kind = %s "  # noqa: S608
        "AND customer_id BETWEEN %s AND %s AND episode_id IS NOT NULL",
        (str(ActionKind.SUSPEND), first, last),
    )


def drop_staging() -> None:
    with connection.cursor() as cursor:
        for table in (BOOK, PENDING, OWED):
            cursor.execute(f"DROP TABLE IF EXISTS {_q(table)}")
