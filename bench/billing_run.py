"""Benchmark: a billing run over 1,000,000 upstream lines of 20,000 customers (~250,000 invoice
lines), against the floor measured in the same run on the same database.

    .venv/bin/python bench/billing_run.py [--lines 1000000] [--engine postgres|sqlite|both]

The floor is the set-based SQL a billing run cannot do without: one INSERT … SELECT … GROUP BY per
level (invoices, invoice lines, priced at +10 % in SQL) plus the join that writes one trace row per
upstream line, then the commit (on PostgreSQL the deferred foreign-key checks of every row written,
which the run pays too), on a copy of the seeded database. The statements alone are reported too
(the floor as first written rolled them back). The run is the real command
(`cspbilling billing run --period 2026-10`) in a child process, whose peak RSS and CPU are reported.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
PSQL = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-v", "ON_ERROR_STOP=1"]
CUSTOMERS = 20_000


def run_child(env: dict, *args: str) -> tuple[float, int, str, float]:
    start = time.perf_counter()
    proc = subprocess.Popen(
        [str(PYTHON), *args], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    out = proc.stdout.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status):
        sys.exit(f"{' '.join(args)} failed:\n{out}")
    return elapsed, usage.ru_maxrss // 1024, out, usage.ru_utime + usage.ru_stime


def fresh_database(engine: str, name: str, **extra_env: str) -> dict:
    """A new, migrated database for a bench (PostgreSQL `cspb_bench_<name>` or SQLite
    var/bench-<name>.sqlite3), and the environment a child process runs on it with."""
    if engine == "postgres":
        db = f"cspb_bench_{name}"
        subprocess.run([*PSQL, "-d", "postgres", "-c", f"DROP DATABASE IF EXISTS {db}"], check=True)
        subprocess.run([*PSQL, "-d", "postgres", "-c", f"CREATE DATABASE {db}"], check=True)
        url = f"postgresql://postgres@127.0.0.1:5432/{db}"
    else:
        path = ROOT / "var" / f"bench-{name}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    env = {
        **os.environ,
        "CSPBILLING_DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "cspbilling.settings",
        **extra_env,
    }
    subprocess.run([str(PYTHON), str(ROOT / "manage.py"), "migrate", "-v0"], env=env, check=True)
    return env


def seed(lines: int) -> None:
    """In the child (settings from the environment): the customers, lines and one rule."""
    import django

    django.setup()
    import datetime as dt
    import uuid
    from decimal import Decimal

    from django.db import connection, transaction

    from cspbilling.core.bulk import insert_rows
    from cspbilling.customers.models import Customer
    from cspbilling.invoicing.models import TaxCategory
    from cspbilling.invoicing.services import do_create_price_rule
    from cspbilling.upstream.models import ImportBatch, UpstreamInvoice, UpstreamLineItem

    groups = lines // 4
    insert_rows(
        Customer,
        [
            {"tenant_id": uuid.UUID(int=n + 1), "company_name": f"客户 {n}"}
            for n in range(CUSTOMERS)
        ],
    )
    with transaction.atomic():
        invoice = UpstreamInvoice.objects.create(
            invoice_id="D0BENCH0001",
            billing_period_start=dt.date(2026, 10, 1),
            billing_period_end=dt.date(2026, 10, 31),
            currency="CNY",
        )
        batch = ImportBatch.objects.create(source="file", status="imported", kind="license")
        table = connection.ops.quote_name(UpstreamLineItem._meta.db_table)
        customers = connection.ops.quote_name(Customer._meta.db_table)
        if connection.vendor == "postgresql":
            numbers = "generate_series(0::bigint, %s - 1) AS n(i)"
            amount = "((i * 7919) %% 100000)::numeric / 1000"
        else:
            numbers = (
                "(WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s "
                "WHERE i < %s - 1) SELECT i FROM s) AS n"
            )
            amount = "((i * 7919) %% 100000) / 1000.0"
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (invoice_id, batch_id, kind, line_number, "
                "customer_tenant_id, customer_number, customer_name, subscription_id, "
                "billing_subscription_id, "
                "offer_id, "
                "durable_offer_id, offer_name, charge_type, charge_start, charge_end, unit_price, "
                "quantity, amount, tax, total, currency, amount_minor, tax_minor, total_minor, "
                "source) "
                f"SELECT %s, %s, 'license', i + 2, c.tenant_id, '', '', "
                "'sub-' || (i %% %s), '', 'OFFER-' || ((i %% %s) %% 7), '', 'Office 365 E3', "
                "'Cycle fee', %s, %s, NULL, 1, "
                f"{amount}, 0, {amount}, 'CNY', 0, 0, 0, '[]' "
                f"FROM {numbers} JOIN {customers} c ON c.id = 1 + (i %% %s) %% {CUSTOMERS}",
                [
                    invoice.pk,
                    batch.pk,
                    groups,
                    groups,
                    dt.date(2026, 10, 1),
                    dt.date(2026, 10, 31),
                    lines,
                    groups,
                ],
            )
    cloud = TaxCategory.objects.get(code="cloud-services")
    do_create_price_rule(
        actor="bench",
        name="everyone +10%",
        method="percent",
        percent=Decimal(10),
        tax_category=cloud,
        effective_from=dt.date(2026, 1, 1),
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {table}")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def floor_child() -> None:
    """In the child, on a copy of the seeded database: the floor's statements, then its commit
    (the deferred foreign-key checks of a million trace rows and the log flush, which a billing
    run pays too), each timed."""
    import django

    django.setup()
    statements, commit = time_floor()
    print(f"floor {statements:.3f} {commit:.3f}")


def time_floor() -> tuple[float, float]:
    from django.db import connection, transaction

    from cspbilling.customers.models import Customer
    from cspbilling.invoicing.models import BilledUpstreamLine, Invoice, InvoiceLine
    from cspbilling.upstream.models import UpstreamLineItem

    q = connection.ops.quote_name
    lines_t, cust_t = q(UpstreamLineItem._meta.db_table), q(Customer._meta.db_table)
    inv_t, line_t = q(Invoice._meta.db_table), q(InvoiceLine._meta.db_table)
    trace_t = q(BilledUpstreamLine._meta.db_table)
    micro = "CAST(ROUND(l.amount * 1000000) AS BIGINT)"
    # SQLite plans the joins below from the customers (no statistics yet for the invoice tables
    # filled in this transaction): minutes. CROSS JOIN keeps the lines as the outer loop there.
    join = "CROSS JOIN" if connection.vendor == "sqlite" else "JOIN"
    start = time.perf_counter()
    atomic = transaction.atomic()
    with atomic:
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {q('invoicing_billingrun')} (status, requested_by, requested_at, "
                "phase, progress_done, error, period, dry_run, summary) VALUES "
                "('running', 'floor', CURRENT_TIMESTAMP, '', 0, '', '2026-10-01', FALSE, '{}')"
            )
            run_id = cursor.lastrowid if connection.vendor == "sqlite" else None
            if run_id is None:
                cursor.execute("SELECT MAX(id) FROM invoicing_billingrun")
                run_id = cursor.fetchone()[0]
            cursor.execute(
                f"INSERT INTO {inv_t} (customer_id, period, currency, status, billing_run_id, "
                "lines_count, subtotal_minor, tax_minor, total_minor, upstream_cost_micro, "
                "created_at) "
                f"SELECT c.id, '2026-10-01', l.currency, 'draft', %s, COUNT(*), 0, 0, 0, "
                f"SUM({micro}), CURRENT_TIMESTAMP FROM {lines_t} l "
                f"{join} {cust_t} c ON c.tenant_id = l.customer_tenant_id "
                "GROUP BY c.id, l.currency",
                [run_id],
            )
            cursor.execute(
                f"INSERT INTO {line_t} (invoice_id, subscription_id, offer_id, durable_offer_id, "
                "offer_name, charge_type, charge_start, charge_end, quantity, upstream_lines, "
                "upstream_amount_micro, price_rule_id, method, tax_rate, net_minor, tax_minor) "
                "SELECT inv.id, l.subscription_id, l.offer_id, l.durable_offer_id, "
                "MAX(l.offer_name), l.charge_type, l.charge_start, l.charge_end, "
                f"SUM(l.quantity), COUNT(*), SUM({micro}), 1, 'percent', 0.06, "
                f"ROUND(SUM({micro}) * 1.1 / 10000), 0 FROM {lines_t} l "
                f"{join} {cust_t} c ON c.tenant_id = l.customer_tenant_id "
                f"{join} {inv_t} inv ON inv.customer_id = c.id AND inv.billing_run_id = %s "
                "GROUP BY inv.id, l.subscription_id, l.offer_id, l.durable_offer_id, "
                "l.charge_type, l.charge_start, l.charge_end",
                [run_id],
            )
            cursor.execute(
                f"INSERT INTO {trace_t} (upstream_line_id, invoice_line_id) SELECT l.id, il.id "
                f"FROM {lines_t} l {join} {cust_t} c ON c.tenant_id = l.customer_tenant_id "
                f"{join} {inv_t} inv ON inv.customer_id = c.id AND inv.billing_run_id = %s "
                f"{join} {line_t} il ON il.invoice_id = inv.id "
                "AND il.subscription_id = l.subscription_id AND il.offer_id = l.offer_id "
                "AND il.durable_offer_id = l.durable_offer_id AND il.charge_type = l.charge_type "
                "AND il.charge_start = l.charge_start AND il.charge_end = l.charge_end",
                [run_id],
            )
            traced = cursor.rowcount
        elapsed = time.perf_counter() - start
    committed = time.perf_counter() - start - elapsed
    print(f"floor traced {traced}", file=sys.stderr)
    return elapsed, committed


def measure(engine: str, lines: int) -> None:
    if engine == "postgres":
        db = "cspb_bench_billing"
        subprocess.run([*PSQL, "-d", "postgres", "-c", f"DROP DATABASE IF EXISTS {db}"], check=True)
        subprocess.run([*PSQL, "-d", "postgres", "-c", f"CREATE DATABASE {db}"], check=True)
        url = f"postgresql://postgres@127.0.0.1:5432/{db}"
    else:
        path = ROOT / "var" / "bench-billing.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    env = {
        **os.environ,
        "CSPBILLING_DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "cspbilling.settings",
    }
    subprocess.run([str(PYTHON), str(ROOT / "manage.py"), "migrate", "-v0"], env=env, check=True)
    seeded, _, _, _ = run_child(env, __file__, "--seed", str(lines))
    # The floor commits, on a copy: the run then starts from the same untouched tables.
    if engine == "postgres":
        copy = f"{db}_floor"
        subprocess.run(
            [*PSQL, "-d", "postgres", "-c", f"DROP DATABASE IF EXISTS {copy}"], check=True
        )
        subprocess.run(
            [*PSQL, "-d", "postgres", "-c", f"CREATE DATABASE {copy} TEMPLATE {db}"], check=True
        )
        floor_url = f"postgresql://postgres@127.0.0.1:5432/{copy}"
    else:
        copy_path = path.with_name("bench-billing-floor.sqlite3")
        shutil.copyfile(path, copy_path)
        floor_url = f"sqlite:///{copy_path}"
    _, _, out, _ = run_child({**env, "CSPBILLING_DATABASE_URL": floor_url}, __file__, "--floor")
    statements, commit = map(float, out.strip().splitlines()[-1].split()[1:3])
    floor = statements + commit
    if engine == "postgres":
        subprocess.run([*PSQL, "-d", "postgres", "-c", f"DROP DATABASE {copy}"], check=True)
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{copy_path}{suffix}").unlink(missing_ok=True)
    load = os.getloadavg()[0]
    elapsed, rss, out, cpu = run_child(
        env, "-m", "cspbilling.cli", "billing", "run", "--period", "2026-10", "--json"
    )
    print(
        f"{engine:8}  lines {lines:,}  floor {floor:6.2f} s (statements {statements:.2f} s + "
        f"commit {commit:.2f} s)  billing run {elapsed:6.2f} s  "
        f"ratio {elapsed / floor:4.2f}x (target <= 2x; {elapsed / statements:4.2f}x of the "
        f"statements alone)  peak RSS {rss} MiB  "
        f"run's CPU {cpu:.1f} s (its process; the server's not counted)  "
        f"load average {load:.2f} -> {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs  "
        f"(seeding {seeded:.0f} s)"
    )
    print(f"          {out.strip()[:300]}")
    if engine == "postgres":
        subprocess.run(
            [*PSQL, "-d", "postgres", "-c", f"DROP DATABASE {db} WITH (FORCE)"], check=True
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--engine", choices=["postgres", "sqlite", "both"], default="both")
    parser.add_argument("--seed", type=int, help=argparse.SUPPRESS)  # the children's jobs
    parser.add_argument("--floor", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed or args.floor:
        sys.path.insert(0, str(ROOT))
        seed(args.seed) if args.seed else floor_child()
        return
    for engine in ("postgres", "sqlite") if args.engine == "both" else (args.engine,):
        measure(engine, args.lines)


if __name__ == "__main__":
    main()
