"""`cspbilling statement TENANT [--as-of D] [--from D] [--json] [--pdf FILE]`: a customer's
statement of account, from the ledger."""

from __future__ import annotations

import datetime as dt
import json
import uuid

from django.core.management.base import BaseCommand, CommandError


def _day(text: str | None, name: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{name} {text!r}: give YYYY-MM-DD") from None


class Command(BaseCommand):
    help = "A customer's statement of account: opening balance, movements, closing balance"

    def add_arguments(self, parser):
        parser.add_argument("tenant", help="the customer's tenant id")
        parser.add_argument("--as-of", help="the last day (default: today)")
        parser.add_argument("--from", dest="start", help="the first day (default: 3 months back)")
        parser.add_argument("--currency", help="default: the customer's")
        parser.add_argument("--json", action="store_true", help="for scripts (amounts as text)")
        parser.add_argument("--pdf", help="write the statement's PDF to this file")

    def handle(self, *args, **options):
        from django.utils import timezone

        from cspbilling.customers.models import Customer
        from cspbilling.payments import reports

        try:
            tenant = uuid.UUID(options["tenant"])
        except ValueError:
            raise CommandError(f"{options['tenant']!r} is not a tenant id") from None
        customer = Customer.objects.filter(tenant_id=tenant).first()
        if customer is None:
            raise CommandError(f"no customer has tenant id {options['tenant']!r}")
        data = reports.statement(
            customer,
            as_of=_day(options["as_of"], "--as-of") or timezone.localdate(),
            start=_day(options["start"], "--from"),
            currency=options["currency"],
        )
        if options["pdf"]:
            from pathlib import Path

            from cspbilling.payments.pdf.render import render_statement_pdf

            Path(options["pdf"]).write_bytes(render_statement_pdf(data))
        if options["json"]:
            self.stdout.write(json.dumps(reports.statement_json(data), ensure_ascii=False))
            return
        self.stdout.write(f"{customer.display_name}  {data['start']} – {data['as_of']}")
        self.stdout.write(f"{'opening balance':40} {data['opening_balance']:>14}")
        for line in data["lines"]:
            self.stdout.write(
                f"{line['on']}  {str(line['label']):20} {line['document'][:16]:16} "
                f"{line['amount']:>14} {line['balance']:>14}"
            )
        self.stdout.write(
            f"{'closing balance':40} {data['closing_balance']:>14} {data['currency']}"
        )
