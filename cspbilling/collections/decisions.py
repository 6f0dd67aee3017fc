"""The daily run's read side, set-based: which customers are overdue (undisputed, in integer
minor units), and which of their reached stages' actions were not yet taken in this episode.

Two statements over every customer, whatever the size of the book:

* `overdue_customers`: per customer, the oldest overdue invoice's due day and the overdue
  undisputed amount (open amount less credit notes, allocations and open dispute holds);
* `pending_query`: the same CTE (or the book a run staged from it: `book_query`), joined to
  each stage's cutoff day (the latest due day for
  which the stage is reached by `as_of`, computed in Python from the China calendar), less the
  customers on a promise or an exemption, anti-joined on the action key (a UNIQUE index).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection

from cspbilling.collections.models import (
    SETTLED_STATUSES,
    Acknowledgement,
    Action,
    DisputeHold,
    Episode,
    Exemption,
    PolicyVersion,
    PolicyVersionStatus,
    PromiseToPay,
)
from cspbilling.collections.schedule import stage_cutoff
from cspbilling.invoicing.models import CreditNote, Invoice
from cspbilling.notifications.models import MessageStatus, OutboundMessage
from cspbilling.payments.models import Allocation
from cspbilling.workdays.calendar import ChinaCalendar


def _t(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _date(value) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def open_invoices_cte(customer_filter: str = "") -> str:
    """`inv`: every issued invoice due before the day (%s) with what is open on it, undisputed;
    `overdue`: per customer and currency, the oldest due day, the amount and how many."""
    return f"""
        inv AS (
            SELECT i.id, i.customer_id, i.currency, i.due_on, i.number,
                   i.total_minor - COALESCE(cn.total, 0) - COALESCE(al.total, 0)
                   - COALESCE(h.total, 0) AS open_minor
            FROM {_t(Invoice)} i
            LEFT JOIN (SELECT invoice_id, SUM(total_minor) AS total FROM {_t(CreditNote)}
                       WHERE status = 'issued' GROUP BY invoice_id) cn ON cn.invoice_id = i.id
            LEFT JOIN (SELECT invoice_id, SUM(amount_minor) AS total FROM {_t(Allocation)}
                       GROUP BY invoice_id) al ON al.invoice_id = i.id
            LEFT JOIN (SELECT invoice_id, SUM(amount_minor) AS total FROM {_t(DisputeHold)}
                       WHERE released_at IS NULL GROUP BY invoice_id) h ON h.invoice_id = i.id
            WHERE i.status = 'issued' AND i.due_on < %s {customer_filter}
        ),
        overdue AS (
            SELECT customer_id, currency, MIN(due_on) AS oldest_due,
                   SUM(open_minor) AS amount_minor, COUNT(*) AS invoices
            FROM inv WHERE open_minor > 0 GROUP BY customer_id, currency
        )"""  # noqa: S608 (table names from the models; values are parameters)


@dataclass(frozen=True)
class Overdue:
    """What a customer owes past due: in the currency of its oldest overdue invoice (its stage
    and the policy's minimum amounts count that one), and in any other currency (`also`)."""

    customer_id: int
    currency: str
    oldest_due: dt.date
    amount_minor: int
    also: tuple[tuple[str, int], ...] = ()  # (currency, amount in minor units), by currency


def overdue_customers(as_of: dt.date, *, customer_id: int | None = None) -> dict[int, Overdue]:
    """Every overdue customer (one currency each: the one with the oldest overdue invoice)."""
    where, params = "", [connection.ops.adapt_datefield_value(as_of)]
    if customer_id is not None:
        where, params = "AND i.customer_id = %s", [*params, customer_id]
    columns = "customer_id, currency, oldest_due, amount_minor"
    sql = f"WITH {open_invoices_cte(where)} SELECT {columns} FROM overdue"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return _per_customer(rows)


def _per_customer(rows) -> dict[int, Overdue]:
    """Rows (customer, currency, oldest due day, amount) as each customer's Overdue."""
    result: dict[int, Overdue] = {}
    several: dict[int, list[Overdue]] = defaultdict(list)
    for cid, currency, oldest, amount in rows:
        row = Overdue(cid, currency, _date(oldest), int(amount))
        if cid in result:
            several[cid] += [row] if several[cid] else [result[cid], row]
        result[cid] = row
    for cid, owed in several.items():  # rare: a customer invoiced in more than one currency
        first = min(owed, key=lambda o: (o.oldest_due, o.currency))
        also = tuple(sorted((o.currency, o.amount_minor) for o in owed if o is not first))
        result[cid] = Overdue(cid, first.currency, first.oldest_due, first.amount_minor, also)
    return result


def book_query(as_of: dt.date) -> tuple[str, list]:
    """(SQL, parameters) of the overdue book: each overdue undisputed invoice with what is open
    on it (customer, currency, due day, number, open amount), as `open_invoices_cte` finds them."""
    query = "SELECT customer_id, currency, due_on, number, open_minor FROM inv WHERE open_minor > 0"
    sql = f"WITH {open_invoices_cte()} {query}"  # noqa: S608
    return sql, [connection.ops.adapt_datefield_value(as_of)]


def owed_of_book_rows(rows) -> tuple[dict[int, Overdue], dict[int, list[str]]]:
    """Book rows (customer, currency, due day, number, open amount), ordered by customer, due
    day and number, as each customer's Overdue and the numbers of its invoices, oldest first."""
    numbers: dict[int, list[str]] = defaultdict(list)
    totals: dict[tuple[int, str], list] = {}  # (customer, currency): [oldest due, amount]
    for cid, currency, due, number, open_minor in rows:
        numbers[cid].append(number)
        total = totals.get((cid, currency))
        if total is None:
            totals[(cid, currency)] = [_date(due), int(open_minor)]  # oldest first
        else:
            total[1] += int(open_minor)
    overdue = _per_customer(
        (cid, currency, oldest, amount) for (cid, currency), (oldest, amount) in totals.items()
    )
    return overdue, dict(numbers)


def overdue_book(as_of: dt.date) -> tuple[dict[int, Overdue], dict[int, list[str]]]:
    """`overdue_customers`, and the numbers of each one's overdue undisputed invoices (oldest
    first), from one evaluation of the CTE."""
    sql, params = book_query(as_of)
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} ORDER BY customer_id, due_on, number", params)
        return owed_of_book_rows(cursor.fetchall())


@dataclass(frozen=True)
class Step:
    version_id: int
    stage_id: int
    position: int
    kind: str
    cutoff: dt.date
    min_minor: int


def steps_as_of(as_of: dt.date, calendar: ChinaCalendar) -> list[Step]:
    """Each action of each stage of every published version, with its cutoff day."""
    versions = PolicyVersion.objects.filter(status=PolicyVersionStatus.PUBLISHED).prefetch_related(
        "stages"
    )
    steps = []
    for version in versions:
        for stage in version.stages.all():
            cutoff = stage_cutoff(as_of, stage, calendar)
            steps += [
                Step(version.pk, stage.pk, stage.position, kind, cutoff, stage.min_overdue_minor)
                for kind in stage.action_kinds
            ]
    return steps


# A suspension held for proof of notice is not worth deciding again while its notice's message
# is still on its way, nor, waiting on no message, before the day it is possible from: a run
# then decides only what can have changed (a day after queueing 100,000 notices, the second run
# no longer re-reads them all).
_WAITING = f"""(
    CASE WHEN a.waiting_for_id IS NOT NULL
         THEN EXISTS (SELECT 1 FROM {_t(OutboundMessage)} m WHERE m.id = a.waiting_for_id
                      AND m.status IN ('{MessageStatus.PENDING}', '{MessageStatus.SENDING}'))
         ELSE a.possible_from IS NOT NULL AND a.possible_from > %s END)"""  # noqa: S608


@dataclass(frozen=True)
class Pending:
    customer_id: int
    version_id: int
    acknowledged: bool
    stage_id: int
    kind: str
    episode_id: int | None
    position: int = 0  # the stage's
    last_notice_position: int | None = None  # the customer's latest stage with a notice due
    held_id: int | None = None  # the action held earlier in the episode, to decide again,
    held_status: str = ""  # and its status and reason then
    held_reason: str = ""


def pending_query(
    as_of: dt.date, steps: list[Step], default_version_id: int | None, *, book: str = ""
) -> tuple[str, list]:
    """(SQL, parameters) of the actions of reached stages not yet settled in each customer's
    open episode: customer, version, acknowledged, stage, position, kind, open episode (NULL
    when none is open), the action held earlier to be decided again (NULL: none), and the
    position of the customer's latest stage with a notice due (a notice of an earlier stage is
    superseded by it). `book`: a table holding `book_query`'s rows, read instead of evaluating
    the open-invoices CTE again (the daily run stages the book once)."""
    ops = connection.ops
    step_params: list = []
    for s in steps:
        step_params += [s.version_id, s.stage_id, s.position, s.kind]
        step_params += [ops.adapt_datefield_value(s.cutoff), s.min_minor]
    cast = "CAST(%s AS date)" if connection.vendor == "postgresql" else "%s"
    values = ", ".join([f"(%s, %s, %s, %s, {cast}, %s)"] * len(steps))
    settled = ", ".join(f"'{s}'" for s in SETTLED_STATUSES)
    # Each customer's open episode joined once, before its stages multiply the rows by six:
    # PostgreSQL, misjudging how many stages are reached, looked it up once per stage and kind
    # (300,000 index probes on a usual day at 100,000 customers). The actions are then found by
    # their key's index, whatever the history of closed episodes: forcing hash joins instead
    # was faster on a table holding only open episodes' actions (0.49 s against 0.99 s) and
    # slower with ten past episodes per customer (2.4 s against 0.85 s; bench/RESULTS.md).
    materialized = "MATERIALIZED " if connection.vendor == "postgresql" else ""
    if book:
        owed = f"""overdue AS (
            SELECT customer_id, currency, MIN(due_on) AS oldest_due,
                   SUM(open_minor) AS amount_minor, COUNT(*) AS invoices
            FROM {connection.ops.quote_name(book)} GROUP BY customer_id, currency)"""  # noqa: S608
    else:
        owed = open_invoices_cte()
    sql = f"""
        WITH {owed},
        steps(version_id, stage_id, position, kind, cutoff, min_minor) AS (VALUES {values}),
        acknowledged AS (
            SELECT customer_id, version_id FROM (
                SELECT customer_id, version_id, ROW_NUMBER() OVER (
                    PARTITION BY customer_id ORDER BY acknowledged_at DESC, id DESC) AS latest
                FROM {_t(Acknowledgement)}) k
            WHERE latest = 1
        ),
        collected AS {materialized}(
            SELECT o.customer_id, o.oldest_due, o.amount_minor, k.version_id AS ack_version,
                   ep.id AS episode_id
            FROM overdue o
            LEFT JOIN acknowledged k ON k.customer_id = o.customer_id
            LEFT JOIN {_t(Episode)} ep ON ep.customer_id = o.customer_id AND ep.closed_on IS NULL
            WHERE NOT EXISTS (SELECT 1 FROM {_t(PromiseToPay)} p WHERE p.customer_id = o.customer_id
                              AND p.withdrawn_at IS NULL AND p.promised_on >= %s)
              AND NOT EXISTS (SELECT 1 FROM {_t(Exemption)} x WHERE x.customer_id = o.customer_id
                              AND x.revoked_at IS NULL AND x.expires_on >= %s)
        ),
        found AS (
            SELECT DISTINCT c.customer_id, COALESCE(c.ack_version, %s) AS version_id,
                   c.ack_version IS NOT NULL AS acknowledged, st.stage_id, st.position, st.kind,
                   c.episode_id, a.id AS held_id, a.status AS held_status,
                   a.reason AS held_reason
            FROM collected c
            JOIN steps st ON st.version_id = COALESCE(c.ack_version, %s)
                         AND c.oldest_due <= st.cutoff AND c.amount_minor >= st.min_minor
            LEFT JOIN {_t(Action)} a ON a.customer_id = c.customer_id
                                    AND a.episode_id = c.episode_id
                                    AND a.stage_id = st.stage_id AND a.kind = st.kind
            WHERE a.id IS NULL
               OR NOT (a.status IN ({settled}) OR (a.status = 'held' AND {_WAITING}))
        )
        SELECT f.*, MAX(CASE WHEN f.kind = 'notify' THEN f.position END)
                    OVER (PARTITION BY f.customer_id) AS last_notice_position
        FROM found f
    """  # noqa: S608 (table names from the models; values are parameters)
    day = ops.adapt_datefield_value(as_of)
    params = [*step_params, day, day, default_version_id, default_version_id, day]
    return sql, params if book else [day, *params]
