"""`cspbilling billing run --period 2026-10 [--customer TENANT] [--dry-run] [--json]`."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys

from django.core.management.base import BaseCommand, CommandError

PERIOD = re.compile(r"^(?P<year>[12]\d{3})-(?P<month>0[1-9]|1[0-2])$")


class Command(BaseCommand):
    help = "Bill customers for what 21Vianet billed: draft invoices from a month's upstream lines"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="make the month's draft invoices (again)")
        run.add_argument("--period", required=True, help="the billed month, YYYY-MM")
        run.add_argument("--customer", default="", help="one customer's tenant id")
        run.add_argument("--dry-run", action="store_true", help="report only, keep nothing")
        run.add_argument("--json", action="store_true", help="print the summary as JSON")
        run.add_argument("--quiet", action="store_true", help="no progress bar")
        run.add_argument("--actor", default="cli")

    def handle(self, *args, **options):
        from cspbilling.core.progress import progress_bar
        from cspbilling.customers.models import Customer
        from cspbilling.invoicing.services import BillingRunBusy, do_run_billing

        match = PERIOD.match(options["period"])
        if not match:
            raise CommandError(f"--period {options['period']!r}: give the month as YYYY-MM")
        period = dt.date(int(match["year"]), int(match["month"]), 1)
        customer = None
        if options["customer"]:
            customer = Customer.objects.filter(tenant_id=options["customer"]).first()
            if customer is None:
                raise CommandError(f"--customer {options['customer']}: no such customer")
        # A bar (stages: unbilled reasons, groups, pricing, writing, trace) on a terminal only.
        bar = not (options["quiet"] or options["json"]) and sys.stdout.isatty()
        try:
            with progress_bar(enabled=bar) as progress:
                run = do_run_billing(
                    period=period,
                    customer=customer,
                    dry_run=options["dry_run"],
                    actor=options["actor"],
                    progress=progress,
                )
        except BillingRunBusy as busy:
            raise CommandError(f"not started: {busy}") from None
        if options["json"]:
            self.stdout.write(
                json.dumps({"run": run.pk, "period": f"{period:%Y-%m}", **run.summary})
            )
            return
        s = run.summary
        label = "dry run (nothing kept)" if run.dry_run else f"run #{run.pk}"
        self.stdout.write(f"Billing {period:%Y-%m}, {label}:")
        self.stdout.write(
            f"  {s['invoices']} draft invoice(s), {s['invoice_lines']} line(s); "
            f"{s['billed_lines']} of {s['upstream_lines']} upstream line(s) billed"
        )
        for currency, amounts in s["amounts"].items():
            self.stdout.write(
                f"  {currency}: subtotal {amounts['subtotal']}, tax {amounts['tax']}, "
                f"total {amounts['total']}"
            )
        for reason, count in s["unbilled_by_reason"].items():
            self.stdout.write(f"  unbilled, {reason.replace('_', ' ')}: {count}")
