"""Benchmark: the daily collections run over N customers and M invoices (a fifth overdue),
against a floor measured in the same run on the same database.

    .venv/bin/python bench/collections_run.py [--customers 100000] [--invoices 1000000]
                                              [--engine both]

Seeding (not timed): N customers with a billing contact, M issued invoices (M/N each), of which
a fifth are past due on 2026-11-24: the overdue ones belong to half the customers, due between
1 September and 20 November so customers stand at every stage of the default policy.
- Floor: one statement, the CTE that finds each overdue customer's stage (open amount less
  credit notes, allocations and open dispute holds; the stage by comparing the oldest due day
  with each stage's cutoff) plus the anti-join against the actions already taken (UNIQUE index
  on the action key), fetched whole: every reached stage's actions not yet taken, exactly the
  rows the run acts on (the issue measured it at about 0.8 s on PostgreSQL). The narrow floor
  of earlier sessions (each customer's latest stage, its notice only) is reported beside it.
- Run: the run of 2026-11-24 in a child process (what `cspbilling collections run` calls), timed
  inside it: decisions, actions, outbox rows with their delivery tasks, audit events, in one
  transaction; peak RSS reported. The second run of the day goes through the command itself.
  The unavoidable writes are measured apart: the rows the run inserted, read back and written
  again from Python into empty copies of their tables (same indexes; COPY on PostgreSQL). The
  target: the run within 3x the floor plus those writes.
- Second run the same day: must insert nothing.
- `--history N` (off by default): then N past, closed episodes per overdue customer, each with
  the actions of its open one (a book some years old), and one more usual day measured the same
  way: what the run costs does not grow with the history.
- The next two days, each after the day's notices were delivered and the tables analysed (as
  autovacuum does within minutes of the first run's inserts): the day after (every
  suspension held for its notice is decided again once) and a usual day (only the stages newly
  reached), each timed against its own floor and its own writes (the rows it inserted, and
  the actions held earlier that it decided again, updated: no run can avoid those either).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time

from billing_run import (  # the same child runner and paths
    PSQL,
    ROOT,
    fresh_database,
    run_child,
)

AS_OF = "2026-11-24"
COUNTED = [
    "collections_action",
    "collections_episode",
    "notifications_outboundmessage",
    "django_tasks_database_dbtaskresult",
    "audit_auditevent",
]


def seed(customers: int, invoices: int) -> None:
    """In the child: customers with contacts, and their issued invoices."""
    import django

    django.setup()
    import datetime as dt
    import uuid

    from cspbilling.core.bulk import insert_rows
    from cspbilling.customers.models import BillingContact, Customer
    from cspbilling.invoicing.models import BillingRun, Invoice

    insert_rows(
        Customer,
        [
            {"tenant_id": uuid.UUID(int=n + 1), "company_name": f"客户 {n}", "language": "en"}
            for n in range(customers)
        ],
    )
    ids = list(Customer.objects.order_by("id").values_list("id", flat=True))
    insert_rows(
        BillingContact,
        [
            {
                "customer_id": pk,
                "first_name": "Billing",
                "last_name": str(n),
                "email": f"billing{n}@example.cn",
                "is_primary": True,
            }
            for n, pk in enumerate(ids)
        ],
    )
    run = BillingRun.objects.create(period=dt.date(2026, 9, 1), requested_by="bench")
    today = dt.date.fromisoformat(AS_OF)
    per_customer = invoices // customers
    overdue_per_customer = max(per_customer * 2 // 5, 1)  # on half the customers: a fifth
    rows = []
    number = 0
    for n, pk in enumerate(ids):
        for k in range(per_customer):
            number += 1
            overdue = n % 2 == 0 and k < overdue_per_customer
            due = (
                dt.date(2026, 9, 1) + dt.timedelta(days=(n // 2 + k * 7) % 80)
                if overdue
                else today + dt.timedelta(days=1 + (n + k) % 60)
            )
            rows.append(
                {
                    "customer_id": pk,
                    "period": dt.date(2026, 9, 1),
                    "currency": "CNY",
                    "status": "issued",
                    "number": f"INV-2026-{number:07d}",
                    "billing_run_id": run.pk,
                    "lines_count": 1,
                    "subtotal_minor": 10_000 + n % 5_000,
                    "tax_minor": 600,
                    "total_minor": 10_600 + n % 5_000,
                    "issued_on": due - dt.timedelta(days=30),
                    "due_on": due,
                }
            )
        if len(rows) >= 100_000:
            insert_rows(Invoice, rows)
            rows = []
    insert_rows(Invoice, rows)
    print("seeded")


def floor(day: str = AS_OF) -> None:
    """In the child: the floor, two ways, each the better of two evaluations, fetched whole.

    - the floor: one statement yielding exactly the actions the run must take that day: each
      overdue customer's reached stages (the CTE) times their actions, anti-joined on the
      actions taken in the open episode (the action key's unique index); the decisions' own
      statement (`decisions.pending_query`) over the live CTE, not the run's staged book;
    - the narrow floor (sessions 6-9): one row per overdue customer, its latest stage, anti-joined
      on that stage's notice only. It cannot tell a catch-up's other stages, restrictions,
      escalations or suspensions, nor a held action (on a usual day it yields 53,955 rows for
      the run's 8,955 actions); reported beside the floor for comparison with earlier figures."""
    import django

    django.setup()
    import datetime as dt

    from django.db import connection

    from cspbilling.collections import decisions
    from cspbilling.collections.models import SETTLED_STATUSES
    from cspbilling.collections.selectors import default_version
    from cspbilling.workdays.calendar import china_calendar

    as_of = dt.date.fromisoformat(day)
    steps = decisions.steps_as_of(as_of, china_calendar())  # a few Python dates: not timed
    version = default_version()
    full_sql, full_params = decisions.pending_query(as_of, steps, version.pk)
    stages = sorted({(s.stage_id, s.cutoff) for s in steps if s.version_id == version.pk})
    case = " ".join(f"WHEN o.oldest_due <= %s THEN {sid}" for sid, _ in reversed(stages))
    settled = ", ".join(f"'{s}'" for s in SETTLED_STATUSES)
    narrow_sql = f"""
        WITH {decisions.open_invoices_cte()},
        staged AS (SELECT o.customer_id, CASE {case} END AS stage_id FROM overdue o)
        SELECT s.customer_id, s.stage_id FROM staged s
        LEFT JOIN collections_episode ep ON ep.customer_id = s.customer_id AND ep.closed_on IS NULL
        WHERE s.stage_id IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM collections_action a
            WHERE a.customer_id = s.customer_id AND a.episode_id = ep.id
              AND a.stage_id = s.stage_id AND a.kind = 'notify' AND a.status IN ({settled}))
    """  # noqa: S608
    narrow_params = [connection.ops.adapt_datefield_value(as_of)]
    narrow_params += [connection.ops.adapt_datefield_value(c) for _, c in reversed(stages)]

    def best_of_two(sql: str, params: list) -> tuple[float, int]:
        times = []
        for _ in range(2):
            start = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                rows = cursor.fetchall()
            times.append(time.perf_counter() - start)
        return min(times), len(rows)

    full, full_rows = best_of_two(full_sql, full_params)
    narrow, narrow_rows = best_of_two(narrow_sql, narrow_params)
    print(f"floor {full:.4f} {full_rows} {narrow:.4f} {narrow_rows}")


def run_in_process(day: str = AS_OF) -> None:
    """In the child: the run itself, timed inside the process (Python's and Django's start-up
    left out), as `cspbilling collections run` does it; peak memory of the whole process."""
    import django

    django.setup()
    import datetime as dt
    import resource

    from cspbilling.collections.services import do_collections_run

    start = time.perf_counter()
    result = do_collections_run(as_of=dt.date.fromisoformat(day), actor="bench", keep=50)
    elapsed = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"collections run of {day}: took {result.total} action(s) {dict(result.counts)}")
    print(f"run {elapsed:.4f} {rss}")


def deliver(day: str) -> None:
    """In the child: every queued notice delivered at noon of `day` (what the worker does)."""
    import django

    django.setup()
    import datetime as dt
    import zoneinfo

    from cspbilling.notifications.models import OutboundMessage

    noon = dt.datetime.fromisoformat(f"{day}T12:00").replace(
        tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai")
    )
    n = OutboundMessage.objects.filter(status="pending").update(
        status="delivered", delivered_at=noon
    )
    print(f"delivered {n}")


def marks() -> None:
    """In the child: the highest id of each counted table (its rows so far), for `--writes`."""
    import django

    django.setup()
    from django.db import connection

    found = []
    with connection.cursor() as cursor:
        for table in COUNTED:
            column = "enqueued_at" if table.startswith("django_tasks") else "id"
            cursor.execute(f"SELECT MAX({column}) FROM {table}")  # noqa: S608
            found.append(str(cursor.fetchone()[0] or 0).replace(" ", "T"))
        cursor.execute("SELECT MAX(decided_at) FROM collections_action")  # the updates' mark
        found.append(str(cursor.fetchone()[0] or 0).replace(" ", "T"))
    print("marks " + " ".join(found))


def writes(since: list[str] | None = None) -> None:
    """In the child: the unavoidable writes, measured. The rows the run inserted, read back (not
    timed), then written again from Python into empty copies of their tables (same columns, same
    indexes): COPY on PostgreSQL, executemany on SQLite, one transaction. Any run must at least
    send these rows; what it spends beyond them is deciding, rendering and hashing."""
    import django

    django.setup()
    from django.db import connection, transaction

    sqlite = connection.vendor == "sqlite"
    total = 0.0
    with connection.cursor() as cursor:
        loaded = {}
        for n, table in enumerate(COUNTED):
            if since is None:
                cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
            else:  # only the rows written after the marks
                column = "enqueued_at" if table.startswith("django_tasks") else "id"
                mark = since[n].replace("T", " ") if column == "enqueued_at" else int(since[n])
                if mark in ("0", 0):
                    mark = "0001-01-01" if column == "enqueued_at" else 0
                cursor.execute(f"SELECT * FROM {table} WHERE {column} > %s", [mark])  # noqa: S608
            rows = cursor.fetchall()
            if not sqlite:  # JSON columns come back as dicts and lists: COPY wants them wrapped
                from psycopg.types.json import Jsonb

                rows = [[Jsonb(v) if isinstance(v, dict | list) else v for v in r] for r in rows]
            loaded[table] = rows
            copy = f"w_{table}"
            cursor.execute(f"DROP TABLE IF EXISTS {copy}")
            if sqlite:
                cursor.execute(
                    "SELECT sql FROM sqlite_master WHERE tbl_name = %s AND sql IS NOT NULL",
                    [table],
                )
                for (ddl,) in cursor.fetchall():
                    cursor.execute(
                        ddl.replace(f'"{table}"', f'"{copy}"')
                        .replace('INDEX "', 'INDEX "w_')
                        .replace(f" {table} ", f" {copy} ")
                    )
            else:  # LIKE leaves the foreign keys out: the run pays their checks, so the copy too
                cursor.execute(f"CREATE TABLE {copy} (LIKE {table} INCLUDING ALL)")
                cursor.execute(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = %s::regclass AND contype = 'f'",
                    [table],
                )
                for name, definition in cursor.fetchall():
                    cursor.execute(f'ALTER TABLE {copy} ADD CONSTRAINT "w_{name}" {definition}')
        with transaction.atomic():
            if not sqlite:  # checked as each statement ends: this transaction is rolled back
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # where the run's commit checks
            start = time.perf_counter()
            for table, rows in loaded.items():
                if not rows:
                    continue
                if sqlite:
                    marks = ", ".join(["%s"] * len(rows[0]))
                    cursor.executemany(f"INSERT INTO w_{table} VALUES ({marks})", rows)  # noqa: S608
                else:
                    with cursor.cursor.copy(f"COPY w_{table} FROM STDIN") as copy_in:
                        for row in rows:
                            copy_in.write_row(row)
            total = time.perf_counter() - start
            updated, seconds = _updates(cursor, since, sqlite)
            total += seconds
            transaction.set_rollback(True)
    print(f"writes {total:.4f} {sum(len(r) for r in loaded.values()) + updated}")


def _updates(cursor, since: list[str] | None, sqlite: bool) -> tuple[int, float]:
    """The actions held earlier that the run decided again: their rows, as the run left them,
    put (untimed) into the copy of the actions table, then UPDATEd with the same values by id,
    as `core.bulk.update_rows` does (COPY to a scratch table and one UPDATE … FROM on
    PostgreSQL; executemany on SQLite), timed. Returns (rows, seconds)."""
    from cspbilling.collections.services.run import UPDATED_COLUMNS

    if since is None or since[-1] in ("0", 0):
        return 0, 0.0
    last_id, decided = int(since[0]), since[-1].replace("T", " ")
    columns = ", ".join(UPDATED_COLUMNS)
    cursor.execute(
        f"SELECT {columns}, id FROM collections_action WHERE id <= %s AND decided_at > %s",  # noqa: S608
        [last_id, decided],
    )
    rows = cursor.fetchall()
    if not rows:
        return 0, 0.0
    if not sqlite:
        from psycopg.types.json import Jsonb

        rows = [[Jsonb(v) if isinstance(v, dict | list) else v for v in r] for r in rows]
    ids = [r[-1] for r in rows]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join(["%s"] * len(chunk))
        cursor.execute(
            f"INSERT INTO w_collections_action SELECT * FROM collections_action "  # noqa: S608
            f"WHERE id IN ({marks})",
            chunk,
        )
    assignments = ", ".join(f"{c} = %s" for c in UPDATED_COLUMNS)
    start = time.perf_counter()
    if sqlite:
        cursor.executemany(
            f"UPDATE w_collections_action SET {assignments} WHERE id = %s",  # noqa: S608
            rows,
        )
    else:
        cursor.execute(
            f"CREATE TEMP TABLE w_updates AS SELECT {columns}, id FROM collections_action "  # noqa: S608
            "WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY w_updates ({columns}, id) FROM STDIN") as copy_in:
            for row in rows:
                copy_in.write_row(row)
        assigned = ", ".join(f"{c} = u.{c}" for c in UPDATED_COLUMNS)
        cursor.execute(
            f"UPDATE w_collections_action t SET {assigned} FROM w_updates u WHERE t.id = u.id"  # noqa: S608
        )
    return len(rows), time.perf_counter() - start


def counts() -> None:
    import django

    django.setup()
    from django.db import connection

    with connection.cursor() as cursor:
        found = []
        for table in COUNTED:
            cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608
            found.append(cursor.fetchone()[0])
    print("counts " + " ".join(map(str, found)))


def _counts(env) -> list[int]:
    _, _, out, _ = run_child(env, __file__, "--counts")
    return [int(x) for x in out.strip().splitlines()[-1].split()[1:]]


def add_history(rounds: int) -> None:
    """In the child: `rounds` closed episodes per customer with an open one, each holding a copy
    of the open episode's actions."""
    import django

    django.setup()
    from django.db import connection, transaction

    from cspbilling.collections.models import Action, Episode

    q = connection.ops.quote_name
    skipped = ("id", "episode_id")
    columns = [f.column for f in Action._meta.concrete_fields if f.column not in skipped]
    copied = ", ".join(f"a.{q(c)}" for c in columns)
    episodes, actions = q(Episode._meta.db_table), q(Action._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        for n in range(rounds):
            tag = f"bench history {n}"
            cursor.execute(
                f"INSERT INTO {episodes} (customer_id, opened_on, closed_on, close_reason) "  # noqa: S608
                f"SELECT customer_id, opened_on, opened_on, %s FROM {episodes} "
                "WHERE closed_on IS NULL",
                [tag],
            )
            cursor.execute(
                f"INSERT INTO {actions} ({', '.join(q(c) for c in columns)}, episode_id) "  # noqa: S608
                f"SELECT {copied}, h.id FROM {actions} a "
                f"JOIN {episodes} e ON e.id = a.episode_id AND e.closed_on IS NULL "
                f"JOIN {episodes} h ON h.customer_id = a.customer_id AND h.close_reason = %s",
                [tag],
            )
        cursor.execute(f"SELECT COUNT(*) FROM {actions}")  # noqa: S608
        print(f"history {cursor.fetchone()[0]}")


def measure(engine: str, customers: int, invoices: int, history: int = 0) -> None:
    env = fresh_database(engine, "collections")
    db = "cspb_bench_collections"
    seeded, _, _, _ = run_child(env, __file__, "--seed", str(customers), str(invoices))
    if engine == "postgres":
        subprocess.run([*PSQL, "-d", db, "-c", "VACUUM ANALYZE"], check=True)
    else:
        path = ROOT / "var" / "bench-collections.sqlite3"
        subprocess.run(["sqlite3", str(path), "ANALYZE"], check=False)
    _, _, out, _ = run_child(env, __file__, "--floor")
    floor_seconds, staged, narrow, _ = out.strip().splitlines()[-1].split()[1:]
    before = _counts(env)
    cmd = ["-m", "cspbilling.cli", "collections", "run", "--as-of", AS_OF]
    process, rss, out, _cpu = run_child(env, __file__, "--run")
    elapsed, rss = (float(x) for x in out.strip().splitlines()[-1].split()[1:])
    after = _counts(env)
    _, _, wout, _ = run_child(env, __file__, "--writes")
    write_seconds, written = wout.strip().splitlines()[-1].split()[1:]
    write_seconds = float(write_seconds)
    second, _, out2, _ = run_child(env, *cmd)
    again = _counts(env)
    inserted = {t: a - b for t, a, b in zip(COUNTED, after, before, strict=True)}
    print(
        f"{engine:8}  floor {float(floor_seconds):.2f} s ({int(staged):,} actions to take; "
        f"the narrow floor {float(narrow):.2f} s); run {elapsed:.1f} s "
        f"({elapsed / float(floor_seconds):.1f}x the floor; "
        f"{process:.1f} s with the process's start), peak RSS {rss:.0f} MiB  "
        f"(seeding {seeded:.0f} s)"
    )
    target = 3 * float(floor_seconds) + write_seconds
    print(
        f"          unavoidable writes: {int(written):,} rows in {write_seconds:.1f} s; target "
        f"3 x floor + writes = {target:.1f} s; the run is {elapsed / target:.1f}x the target, "
        f"{elapsed - write_seconds - float(floor_seconds):.1f} s beyond the floor and the writes "
        f"(against the narrow floor: {elapsed / (3 * float(narrow) + write_seconds):.1f}x)"
    )
    print(f"          {out.strip().splitlines()[0][:200]}")
    print("          inserted: " + ", ".join(f"{t} {n:,}" for t, n in inserted.items()))
    print(
        f"          second run the same day: {second:.1f} s, inserted "
        f"{sum(again) - sum(after) - 0:,} rows beyond its run record "
        f"({out2.strip().splitlines()[0][:80]})"
    )
    later_days(env, history)
    if engine == "postgres":
        subprocess.run(
            [*PSQL, "-d", "postgres", "-c", f"DROP DATABASE {db} WITH (FORCE)"], check=True
        )


LATER = (
    ("2026-11-25", "the day after (yesterday's notices delivered: every held suspension decided "
     "again once)"),
    ("2026-11-26", "a usual day (only the stages newly reached)"),
)  # fmt: skip


def analyze(env) -> None:
    url = env["CSPBILLING_DATABASE_URL"]
    if url.startswith("postgresql"):
        subprocess.run([*PSQL, "-d", url.rsplit("/", 1)[1], "-c", "VACUUM ANALYZE"], check=True)
    else:
        subprocess.run(["sqlite3", url.removeprefix("sqlite:///"), "ANALYZE"], check=False)


def later_days(env, history: int = 0) -> None:
    """The next days, each after the day's notices were delivered: each run timed against its
    own floor and its own writes (the rows it inserted, written again). With `history`, one
    more usual day after that many past episodes per customer were added."""
    previous = AS_OF
    days = list(LATER)
    if history:
        days.append(("2026-11-27", f"a usual day with {history} past episodes per customer"))
    for day, what in days:
        run_child(env, __file__, "--deliver", previous)
        if day == "2026-11-27":
            _, _, out, _ = run_child(env, __file__, "--add-history", str(history))
            print(f"          {out.strip().splitlines()[-1].split()[1]} actions in all")
        analyze(env)  # a day passed: autovacuum analysed the tables the runs filled
        _, _, out, _ = run_child(env, __file__, "--floor", "--day", day)
        floor_seconds, staged, narrow, _ = out.strip().splitlines()[-1].split()[1:]
        _, _, out, _ = run_child(env, __file__, "--marks")
        since = out.strip().splitlines()[-1].split()[1:]
        _, _, out, _ = run_child(env, __file__, "--run", "--day", day)
        elapsed = float(out.strip().splitlines()[-1].split()[1])
        summary = out.strip().splitlines()[0]
        _, _, out, _ = run_child(env, __file__, "--writes", "--since", *since)
        write_seconds, written = out.strip().splitlines()[-1].split()[1:]
        target = 3 * float(floor_seconds) + float(write_seconds)
        print(
            f"          {day}, {what}: floor {float(floor_seconds):.2f} s ({int(staged):,} "
            f"actions to take; the narrow floor {float(narrow):.2f} s); run {elapsed:.2f} s; "
            f"writes {int(written):,} rows in {float(write_seconds):.2f} s; target "
            f"{target:.2f} s; the run is {elapsed / target:.1f}x the target (against the narrow "
            f"floor: {elapsed / (3 * float(narrow) + float(write_seconds)):.1f}x)\n"
            f"            ({summary[:160]})"
        )
        previous = day


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--engine", choices=["postgres", "sqlite", "both"], default="both")
    parser.add_argument("--history", type=int, default=0, help="past episodes per customer")
    parser.add_argument("--add-history", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--seed", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--floor", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--counts", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--writes", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--run", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--day", default=AS_OF, help=argparse.SUPPRESS)
    parser.add_argument("--deliver", help=argparse.SUPPRESS)
    parser.add_argument("--marks", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--since", nargs=len(COUNTED) + 1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed:
        return seed(int(args.seed[0]), int(args.seed[1]))
    if args.floor:
        return floor(args.day)
    if args.counts:
        return counts()
    if args.writes:
        return writes(args.since)
    if args.run:
        return run_in_process(args.day)
    if args.deliver:
        return deliver(args.deliver)
    if args.marks:
        return marks()
    if args.add_history is not None:
        return add_history(args.add_history)
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    for engine in ("postgres", "sqlite") if args.engine == "both" else (args.engine,):
        measure(engine, args.customers, args.invoices, args.history)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
