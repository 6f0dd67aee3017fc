"""`cspbilling upstream import FILE [--invoice ID]`: import a 21Vianet reconciliation file."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cspbilling.core.money import MoneyError, parse_amount


class Command(BaseCommand):
    help = "21Vianet invoices and reconciliation files"
    # Not the system checks (they load every URLconf, the API and its views: ~0.4 s, a tenth
    # of a large import); `migrate`, `serve` and the tests run them.
    requires_system_checks = []

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="import a reconciliation file (CSV)")
        imp.add_argument("file", type=Path)
        imp.add_argument("--invoice", default="", help="invoice id when the file has none")
        imp.add_argument("--total", default=None, help="the invoice total, for the sum check")
        imp.add_argument(
            "--invoice-date",
            default=None,
            help="YYYY-MM-DD (due date: + payment terms days)",
        )
        imp.add_argument("--actor", default="cli")
        imp.add_argument("--no-progress", action="store_true")
        api = sub.add_parser("fetch", help="import invoices and lines from Partner Center")
        api.add_argument("--invoice", default="", help="one invoice id (default: all)")
        api.add_argument("--actor", default="cli")

    def handle(self, *args, **options):
        if options["action"] == "fetch":
            return self._fetch(options)
        return self._import(options)

    def _import(self, options):
        from cspbilling.upstream.services import ImportRejected, do_import_reconciliation_file

        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            total = None if options["total"] is None else parse_amount(options["total"])
            day = (
                dt.date.fromisoformat(options["invoice_date"]) if options["invoice_date"] else None
            )
        except (MoneyError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        try:
            batch = self._run(path, options, total, day, do_import_reconciliation_file)
        except ImportRejected as exc:
            raise CommandError(f"{path.name}: {exc}") from None
        self._print_summary(batch)

    def _run(self, path, options, total: Decimal | None, day, importer):
        kwargs = {
            "path": path,
            "actor": options["actor"],
            "invoice_id": options["invoice"],
            "invoice_total": total,
            "invoice_date": day,
        }
        if options["no_progress"]:
            return importer(**kwargs)
        from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            transient=True,
        ) as progress:
            task = progress.add_task(f"importing {path.name}", total=path.stat().st_size)
            return importer(
                **kwargs, on_progress=lambda done: progress.update(task, completed=done)
            )

    def _print_summary(self, batch) -> None:
        out = self.stdout
        reading = batch.summary.get("reading")
        if reading:
            out.write(
                f"read as {reading['encoding']}, {reading['delimiter']}-separated; dates "
                f"{reading['date_order']}; decimal mark {reading['decimal_mark']}"
            )
        for item in batch.summary.get("invoices", []):
            if item["outcome"] == "unchanged":
                out.write(
                    f"invoice {item['invoice_id']} ({item['kind']}): already imported, "
                    "nothing changed"
                )
                continue
            out.write(
                f"invoice {item['invoice_id']} ({item['kind']}): {item['outcome']} "
                f"{item['lines']} lines, total {item['total']} {item['currency']}, "
                f"tax {item['tax']}"
            )
            check = item.get("sum_check")
            if check == "mismatch":
                out.write(
                    f"  SUM CHECK FAILED: lines {item['total']} ≠ invoice total "
                    f"{item['invoice_total']} {item['currency']}"
                )
            elif check == "ok":
                out.write("  sum check: lines equal the invoice total")
            if item.get("diff"):
                out.write(f"  changes against the previous issue: {item['diff']}")
            for what in ("customers", "subscriptions"):
                count = item.get(f"unknown_{what}_count", 0)
                if count:
                    shown = ", ".join(item[f"unknown_{what}"][:5])
                    out.write(f"  {count} {what} not known locally (e.g. {shown})")
            for rule, count in (item.get("subscriptions_matched") or {}).items():
                if count:
                    out.write(f"  {count} subscriptions matched by {rule}")
            if item.get("unmapped_customer_numbers_count"):
                shown = ", ".join(item["unmapped_customer_numbers"][:5])
                out.write(
                    f"  {item['unmapped_customer_numbers_count']} customer numbers not mapped to "
                    f"a customer yet (e.g. {shown}): map them on the customer's page"
                )

    def _fetch(self, options):
        try:
            from cspbilling.upstream.services import do_fetch_invoices
        except ImportError as exc:
            raise CommandError(f"the Partner Center client is not available: {exc}") from None
        for batch in do_fetch_invoices(invoice_id=options["invoice"], actor=options["actor"]):
            self._print_summary(batch)
