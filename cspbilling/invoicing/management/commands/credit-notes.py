"""`cspbilling credit-notes create|issue|list|pdf`: credit notes on issued invoices."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError


def _line_amount(text: str) -> tuple[int, Decimal]:
    line, _, amount = text.partition("=")
    try:
        return int(line), Decimal(amount)
    except (ValueError, InvalidOperation):
        raise CommandError(f"--line {text!r}: give LINE_ID=AMOUNT, e.g. 1234=40.00") from None


class Command(BaseCommand):
    help = "Credit notes: credit an issued invoice whole or per line, issue drafts, list them"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="credit an issued invoice (issued at once)")
        create.add_argument("invoice", help="the invoice number")
        create.add_argument("--reason", required=True, help="why (the customer reads it)")
        create.add_argument(
            "--line",
            action="append",
            default=[],
            metavar="ID=AMOUNT",
            help="net amount to credit on one invoice line (repeat); none: everything left",
        )
        create.add_argument("--draft", action="store_true", help="keep it as a draft to review")
        create.add_argument("--actor", default="cli")
        issue = sub.add_parser("issue", help="issue a draft credit note")
        issue.add_argument("id", type=int)
        issue.add_argument("--actor", default="cli")
        listing = sub.add_parser("list", help="list credit notes")
        listing.add_argument("--status", choices=["draft", "issued", "discarded"])
        listing.add_argument("--json", action="store_true", help="a JSON list (amounts as text)")
        pdf = sub.add_parser("pdf", help="write a credit note's PDF")
        pdf.add_argument("number")
        pdf.add_argument("-o", "--output", required=True)

    def handle(self, *args, **options):
        return getattr(self, f"_{options['action']}")(options)

    def _create(self, options):
        from cspbilling.invoicing import selectors
        from cspbilling.invoicing.credits import CreditError
        from cspbilling.invoicing.services import do_credit_invoice, do_draft_credit_note

        invoice = selectors.invoices().filter(number=options["invoice"]).first()
        if invoice is None:
            raise CommandError(f"no issued invoice numbered {options['invoice']!r}")
        amounts = dict(_line_amount(text) for text in options["line"]) or None
        make = do_draft_credit_note if options["draft"] else do_credit_invoice
        try:
            note = make(
                invoice=invoice, reason=options["reason"], amounts=amounts, actor=options["actor"]
            )
        except CreditError as exc:
            raise CommandError(str(exc)) from None
        label = note.number or f"draft credit note #{note.pk}"
        self.stdout.write(f"{label}: {note.total} {note.currency} on {invoice.number}")

    def _issue(self, options):
        from cspbilling.invoicing import selectors
        from cspbilling.invoicing.services import do_issue_credit_note

        note = selectors.credit_notes().filter(pk=options["id"]).first()
        if note is None:
            raise CommandError(f"no credit note #{options['id']}")
        try:
            note = do_issue_credit_note(credit_note=note, actor=options["actor"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{note.number}: {note.total} {note.currency}")

    def _list(self, options):
        from cspbilling.invoicing import selectors

        rows = [
            selectors.credit_note_row(note)
            for note in selectors.credit_notes(status=options["status"])
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False))
            return
        for row in rows:
            label = row["number"] or f"(draft #{row['id']})"
            self.stdout.write(
                f"{label:22} {row['invoice_number']:18} {row['status']:9} "
                f"{row['total']:>12} {row['currency']}  {row['reason'][:60]}"
            )

    def _pdf(self, options):
        from pathlib import Path

        from cspbilling.invoicing import selectors
        from cspbilling.invoicing.pdf.render import render_credit_note_pdf

        note = selectors.credit_notes().filter(number=options["number"]).first()
        if note is None:
            raise CommandError(f"no credit note numbered {options['number']!r}")
        path = Path(options["output"])
        path.write_bytes(render_credit_note_pdf(note))
        self.stdout.write(f"{path} ({path.stat().st_size:,} bytes)")
