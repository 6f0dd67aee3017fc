"""Benchmark: email intake of N messages (`cases.services.intake.do_ingest_email`, the entry
point of `mail ingest`, `mail serve` and `mail poll`), one message at a time as they arrive.

    .venv/bin/python bench/case_intake.py [--messages 10000] [--engine both]

Seeding (not timed): 500 customers with one billing contact each. The messages (built before
timing, as bytes): 40 % new questions from known contacts (GB18030 bodies labelled gb2312, an
RFC 2047 subject, Foxmail quoted history), 25 % replies naming an earlier case in the subject,
10 % the same message again (duplicates), 10 % auto-replies, 10 % unknown senders (triage),
5 % bounces. Each stored message is one durable transaction: the case or message, its audit
event (hash chain), the acknowledgement email and its delivery task in the outbox.
Reported: messages per second, per-message p50 / p99, outcomes, peak RSS; the floor is the same
messages parsed only (no database), so the figure shows what the database work costs.
"""

from __future__ import annotations

import argparse
import base64
import os
import subprocess
import sys
import time

from billing_run import (  # the same child runner and paths
    PSQL,
    ROOT,
    fresh_database,
    run_child,
)

CUSTOMERS = 500


def subject_header(text: str) -> str:
    return f"=?gb2312?B?{base64.b64encode(text.encode('gb18030')).decode()}?="


def build_messages(count: int) -> list[bytes]:
    messages: list[bytes] = []
    case_senders: list[str] = []  # CASE-000001 is the first case's (new or triage), and so on
    known: list[int] = []  # the indexes of cases of known contacts (replies go to those)
    for n in range(count):
        kind = n % 20
        sender = f"finance{n % CUSTOMERS}@customer{n % CUSTOMERS}.cn"
        headers = {"From": f"<{sender}>", "To": "support@cspbilling.localhost"}
        body = (
            f"您好，第 {n} 号问题：我们的发票 INV-2026-{n:06d} 金额似乎不对，请核对。\r\n\r\n"
            "陈喆\r\n\r\n"
            "------------------ 原始邮件 ------------------\r\n发件人: billing\r\n\r\n旧内容\r\n"
        )
        subject = subject_header(f"关于发票的疑问 {n}")
        if kind < 8 or (kind < 13 and not known):
            known.append(len(case_senders))
            case_senders.append(sender)
        elif kind < 13:
            number = known[(n * 7) % len(known)]
            headers["From"] = f"<{case_senders[number]}>"
            subject = subject_header(f"回复: [CASE-{number + 1:06d}] 关于发票的疑问")
        elif kind < 15:
            messages.append(messages[(n * 3) % len(messages)])  # the same message again
            continue
        elif kind < 17:
            headers["Auto-Submitted"] = "auto-replied"
        elif kind < 19:
            headers["From"] = f"<stranger{n}@unknown.example>"
            case_senders.append(headers["From"])
        else:
            headers["From"] = "<MAILER-DAEMON@mx.customer.cn>"
            headers["Return-Path"] = "<>"
        lines = [f"{k}: {v}" for k, v in headers.items()]
        lines += [
            f"Subject: {subject}",
            f"Message-ID: <bench-{n}@customer.cn>",
            "MIME-Version: 1.0",
            'Content-Type: text/plain; charset="gb2312"',
            "Content-Transfer-Encoding: base64",
            "",
            base64.encodebytes(body.encode("gb18030")).decode(),
        ]
        messages.append("\r\n".join(lines).encode())
    return messages


def seed() -> None:
    import django

    django.setup()
    import uuid

    from cspbilling.core.bulk import insert_rows
    from cspbilling.customers.models import BillingContact, Customer

    insert_rows(
        Customer,
        [
            {"tenant_id": uuid.UUID(int=n + 1), "company_name": f"客户 {n}"}
            for n in range(CUSTOMERS)
        ],
    )
    ids = list(Customer.objects.order_by("id").values_list("id", flat=True))
    insert_rows(
        BillingContact,
        [
            {"customer_id": pk, "email": f"finance{n}@customer{n}.cn", "is_primary": True}
            for n, pk in enumerate(ids)
        ],
    )


def ingest(count: int, parse_only: bool) -> None:
    import django

    django.setup()
    from collections import Counter

    from cspbilling.cases.intake.parse import parse_email
    from cspbilling.cases.services.intake import do_ingest_email

    messages = build_messages(count)
    outcomes: Counter = Counter()
    timings = []
    start = time.perf_counter()
    for raw in messages:
        began = time.perf_counter()
        if parse_only:
            outcomes["parsed"] += bool(parse_email(raw))
        else:
            outcomes[do_ingest_email(raw=raw).outcome] += 1
        timings.append(time.perf_counter() - began)
    elapsed = time.perf_counter() - start
    timings.sort()
    p50, p99 = timings[len(timings) // 2] * 1000, timings[int(len(timings) * 0.99)] * 1000
    print(f"RESULT {elapsed:.3f} {p50:.2f} {p99:.2f} {dict(sorted(outcomes.items()))}")


def measure(engine: str, count: int) -> None:
    env = fresh_database(engine, "cases", CSPBILLING_UPLOAD_DIR=str(ROOT / "var" / "bench-uploads"))
    db = "cspb_bench_cases"
    run_child(env, __file__, "--seed")
    _, _, floor_out, _ = run_child(env, __file__, "--ingest", str(count), "--parse-only")
    floor = float(floor_out.strip().splitlines()[-1].split()[1])
    load = os.getloadavg()[0]
    _, rss, out, cpu = run_child(env, __file__, "--ingest", str(count))
    result = out.strip().splitlines()[-1].split(maxsplit=4)
    elapsed, p50, p99, outcomes = float(result[1]), result[2], result[3], result[4]
    print(
        f"{engine:8}  {count:,} messages  intake {elapsed:6.2f} s = {count / elapsed:6.0f} msg/s  "
        f"p50 {p50} ms  p99 {p99} ms  parse-only floor {floor:5.2f} s  peak RSS {rss} MiB  "
        f"CPU {cpu:.1f} s  load {load:.2f} on {os.cpu_count()} CPUs\n          {outcomes}"
    )
    if engine == "postgres":
        subprocess.run(
            [*PSQL, "-d", "postgres", "-c", f"DROP DATABASE {db} WITH (FORCE)"], check=True
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--engine", choices=["postgres", "sqlite", "both"], default="both")
    parser.add_argument("--seed", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--ingest", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--parse-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed or args.ingest:
        sys.path.insert(0, str(ROOT))
        seed() if args.seed else ingest(args.ingest, args.parse_only)
        return
    for engine in ("postgres", "sqlite") if args.engine == "both" else (args.engine,):
        measure(engine, args.messages)


if __name__ == "__main__":
    main()
