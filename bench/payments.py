"""Benchmark: receivables aging over N customers and a bank statement of M lines, each against
a floor measured in the same run on the same database.

    .venv/bin/python bench/payments.py [--customers 100000] [--lines 100000] [--engine both]

Seeding (not timed): N customers, each with one issued invoice (two thirds past due).
- Aging: `payments.reports.aging` (open amounts by bucket per customer, as of a day) against
  the floor, one bare `SELECT customer_id, SUM(total) … GROUP BY customer_id` over the invoices.
- Statement: `cspbilling payments import-statement FILE` (a GB18030 CSV as a Chinese bank
  exports it; a fifth of the lines name an invoice number and become payments, the rest wait
  for review) in a child process, whose peak RSS is reported, against the floor: the same
  lines decoded, parsed and inserted with one executemany into a scratch table.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import subprocess
import time
from pathlib import Path

from billing_run import (  # the same child runner and paths
    PSQL,
    ROOT,
    fresh_database,
    run_child,
)

HEADER = ["交易日期", "交易流水号", "对方户名", "对方账号", "借方发生额", "贷方发生额", "摘要"]


def seed(customers: int, lines: int, statement: Path) -> None:
    """In the child: customers, their issued invoices, and the statement file."""
    import django

    django.setup()
    import datetime as dt
    import uuid

    from cspbilling.core.bulk import insert_rows
    from cspbilling.customers.models import Customer
    from cspbilling.invoicing.models import BillingRun, Invoice

    insert_rows(
        Customer,
        [
            {"tenant_id": uuid.UUID(int=n + 1), "company_name": f"客户 {n}"}
            for n in range(customers)
        ],
    )
    ids = list(Customer.objects.order_by("id").values_list("id", flat=True))
    run = BillingRun.objects.create(period=dt.date(2026, 9, 1), requested_by="bench")
    today = dt.date(2026, 11, 24)
    insert_rows(
        Invoice,
        [
            {
                "customer_id": pk,
                "period": dt.date(2026, 9, 1),
                "currency": "CNY",
                "status": "issued",
                "number": f"INV-2026-{n + 1:06d}",
                "billing_run_id": run.pk,
                "lines_count": 1,
                "subtotal_minor": 10_000 + n % 5_000,
                "tax_minor": 600,
                "total_minor": 10_600 + n % 5_000,
                "issued_on": today - dt.timedelta(days=n % 120),
                "due_on": today - dt.timedelta(days=n % 120 - 30),
            }
            for n, pk in enumerate(ids)
        ],
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for n in range(lines):
        named = n % 5 == 0 and n // 5 < customers
        writer.writerow(
            [
                f"2026-11-{1 + n % 20:02d}",
                f"ICBC{n:09d}",
                f"付款单位 {n % 7919}",
                f"6222{n % 7919:012d}",
                "",
                f"{50 + n % 900}.{n % 100:02d}",
                f"货款 INV-2026-{n // 5 + 1:06d}" if named else "货款",
            ]
        )
    statement.write_bytes(buffer.getvalue().encode("gb18030"))


def floors(statement: Path) -> None:
    """In the child: the aging floor and the statement floor, printed as two figures."""
    import django

    django.setup()
    from django.db import connection, transaction

    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT customer_id, SUM(total_minor) FROM invoicing_invoice "
            "WHERE status = 'issued' GROUP BY customer_id"
        )
        cursor.fetchall()
    aging_floor = time.perf_counter() - start

    start = time.perf_counter()
    rows = list(csv.reader(io.StringIO(statement.read_bytes().decode("gb18030"))))[1:]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_lines (booked TEXT, ref TEXT, payer TEXT, "
            "account TEXT, debit TEXT, credit TEXT, text TEXT)"
        )
        cursor.executemany("INSERT INTO bench_lines VALUES (%s, %s, %s, %s, %s, %s, %s)", rows)
        transaction.set_rollback(True)
    statement_floor = time.perf_counter() - start
    print(f"floors {aging_floor:.4f} {statement_floor:.4f}")


def aging_timed() -> None:
    import django

    django.setup()
    import datetime as dt

    from cspbilling.payments import reports

    start = time.perf_counter()
    rows = reports.aging(dt.date(2026, 11, 24))
    print(f"aging {time.perf_counter() - start:.4f} {len(rows)}")


def measure(engine: str, customers: int, lines: int) -> None:
    env = fresh_database(engine, "payments")
    db = "cspb_bench_payments"
    statement = ROOT / "var" / f"bench-statement-{engine}.csv"
    seeded, _, _, _ = run_child(env, __file__, "--seed", str(customers), str(lines), str(statement))
    _, _, out, _ = run_child(env, __file__, "--floors", str(statement))
    aging_floor, statement_floor = map(float, out.strip().splitlines()[-1].split()[1:])
    _, _, out, _ = run_child(env, __file__, "--aging")
    aging_seconds, open_customers = out.strip().splitlines()[-1].split()[1:]
    elapsed, rss, out, _ = run_child(
        env,
        "-m",
        "cspbilling.cli",
        "payments",
        "import-statement",
        str(statement),
        "--account",
        "bench",
    )
    print(
        f"{engine:8}  aging of {int(open_customers):,} customers {float(aging_seconds):.2f} s "
        f"(floor {aging_floor:.2f} s, {float(aging_seconds) / aging_floor:.1f}x)"
    )
    print(
        f"{engine:8}  statement of {lines:,} lines {elapsed:.1f} s (floor {statement_floor:.1f} s, "
        f"{elapsed / statement_floor:.1f}x), peak RSS {rss} MiB  (seeding {seeded:.0f} s)"
    )
    print(f"          {out.strip().splitlines()[-1][:300]}")
    if engine == "postgres":
        subprocess.run(
            [*PSQL, "-d", "postgres", "-c", f"DROP DATABASE {db} WITH (FORCE)"], check=True
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--engine", choices=["postgres", "sqlite", "both"], default="both")
    parser.add_argument("--seed", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--floors", help=argparse.SUPPRESS)
    parser.add_argument("--aging", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed:
        return seed(int(args.seed[0]), int(args.seed[1]), Path(args.seed[2]))
    if args.floors:
        return floors(Path(args.floors))
    if args.aging:
        return aging_timed()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    for engine in ("postgres", "sqlite") if args.engine == "both" else (args.engine,):
        measure(engine, args.customers, args.lines)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
