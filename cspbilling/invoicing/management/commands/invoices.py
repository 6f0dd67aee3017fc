"""`cspbilling invoices issue|discard|pdf|list`: issue drafts, discard a supplementary draft,
write a PDF, list invoices (for scripts: --json)."""

from __future__ import annotations

import json
import re

from django.core.management.base import BaseCommand, CommandError

PERIOD = re.compile(r"^(?P<year>[12]\d{3})-(?P<month>0[1-9]|1[0-2])$")


def _period(text: str):
    import datetime as dt

    match = PERIOD.match(text or "")
    if not match:
        raise CommandError(f"--period {text!r}: give the month as YYYY-MM")
    return dt.date(int(match["year"]), int(match["month"]), 1)


class Command(BaseCommand):
    help = "Our invoices to customers: issue drafts, discard supplementary ones, list them"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        issue = sub.add_parser("issue", help="issue draft invoices (numbers them, freezes them)")
        which = issue.add_mutually_exclusive_group(required=True)
        which.add_argument("--period", help="every draft of this month, YYYY-MM")
        which.add_argument("--draft", type=int, nargs="+", help="these drafts (ids)")
        issue.add_argument("--customer", default="", help="with --period: one customer's")
        issue.add_argument("--actor", default="cli")
        discard = sub.add_parser(
            "discard", help="discard a supplementary draft: the customer is not billed it"
        )
        discard.add_argument("draft", type=int, help="the supplementary draft's id")
        discard.add_argument("--reason", required=True, help="why (kept in the audit log)")
        discard.add_argument("--actor", default="cli")
        pdf = sub.add_parser("pdf", help="write an invoice's PDF")
        pdf.add_argument("number", help="the invoice number (or draft id)")
        pdf.add_argument("-o", "--output", required=True, help="the file to write")
        listing = sub.add_parser("list", help="list invoices")
        listing.add_argument("--period", help="YYYY-MM")
        listing.add_argument("--status", choices=["draft", "issued", "discarded"])
        listing.add_argument("--customer", default="", help="tenant id")
        listing.add_argument("--json", action="store_true", help="a JSON list (amounts as text)")

    def handle(self, *args, **options):
        if options["action"] == "issue":
            return self._issue(options)
        if options["action"] == "pdf":
            return self._pdf(options)
        if options["action"] == "discard":
            return self._discard(options)
        return self._list(options)

    def _pdf(self, options):
        from pathlib import Path

        from cspbilling.invoicing.pdf.render import render_invoice_pdf

        wanted = options["number"]
        invoices = self._invoices({})
        invoice = invoices.filter(number=wanted).first()
        if invoice is None and wanted.isdigit():
            invoice = invoices.filter(pk=int(wanted), number__isnull=True).first()
        if invoice is None:
            raise CommandError(f"no invoice numbered {wanted!r}")
        path = Path(options["output"])
        path.write_bytes(render_invoice_pdf(invoice))
        self.stdout.write(f"{path} ({path.stat().st_size:,} bytes)")

    def _invoices(self, options):
        from cspbilling.invoicing import selectors

        return selectors.invoices(
            period=_period(options["period"]) if options.get("period") else None,
            status=options.get("status"),
            customer_tenant_id=options.get("customer") or None,
        )

    def _issue(self, options):
        from cspbilling.invoicing.models import InvoiceStatus
        from cspbilling.invoicing.services import IssueError, do_issue_invoices

        if options["draft"]:
            drafts = list(self._invoices({}).filter(pk__in=options["draft"]))
            missing = set(options["draft"]) - {invoice.pk for invoice in drafts}
            if missing:
                raise CommandError(f"no such draft: {', '.join(map(str, sorted(missing)))}")
        else:
            drafts = list(self._invoices({**options, "status": InvoiceStatus.DRAFT}))
        issued = 0
        for draft in sorted(drafts, key=lambda invoice: invoice.pk):  # one transaction each
            try:
                (invoice,) = do_issue_invoices(invoices=[draft], actor=options["actor"])
            except IssueError as exc:
                raise CommandError(
                    f"draft #{draft.pk}: {exc} ({issued} issued before it)"
                ) from None
            issued += 1
            self.stdout.write(f"{invoice.number}  {invoice.customer.display_name}")
        self.stdout.write(f"{issued} invoice(s) issued")

    def _discard(self, options):
        from cspbilling.invoicing.services import (
            SupplementError,
            do_discard_supplementary_invoice,
        )

        invoice = self._invoices({}).filter(pk=options["draft"]).first()
        if invoice is None:
            raise CommandError(f"no invoice #{options['draft']}")
        try:
            do_discard_supplementary_invoice(
                invoice=invoice, reason=options["reason"], actor=options["actor"]
            )
        except SupplementError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"supplementary invoice #{invoice.pk} discarded")

    def _list(self, options):
        from cspbilling.invoicing.selectors import invoice_row

        rows = [invoice_row(invoice) for invoice in self._invoices(options)]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False))
            return
        for row in rows:
            self.stdout.write(
                f"{row['number'] or '(draft #' + str(row['id']) + ')':22} {row['period']}  "
                f"{row['status']:9} {row['total']:>14} {row['currency']}  {row['customer_name']}"
            )
