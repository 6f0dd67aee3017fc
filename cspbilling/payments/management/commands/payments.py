"""`cspbilling payments record|list|reverse`: money received from customers."""

from __future__ import annotations

import datetime as dt
import json
import sys

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Payments from customers: record (allocated oldest invoice first), list, reverse"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        record = sub.add_parser("record", help="record money received")
        record.add_argument("--customer", required=True, help="the customer's tenant id")
        record.add_argument("--amount", required=True, help="e.g. 1234.50")
        record.add_argument("--currency", default="CNY")
        record.add_argument("--date", required=True, help="the day it was received, YYYY-MM-DD")
        record.add_argument("--reference", default="", help="the payer's reference")
        record.add_argument(
            "--method",
            default="bank_transfer",
            choices=["bank_transfer", "alipay", "wechat_pay", "cheque", "other"],
        )
        record.add_argument(
            "--keep-as-credit", action="store_true", help="allocate nothing (customer credit)"
        )
        record.add_argument("--actor", default="cli")
        listing = sub.add_parser("list", help="list payments")
        listing.add_argument("--customer", default="", help="tenant id")
        listing.add_argument("--json", action="store_true", help="a JSON list (amounts as text)")
        allocate = sub.add_parser("allocate", help="allocate a payment to invoices")
        allocate.add_argument("id", type=int)
        allocate.add_argument(
            "--to",
            action="append",
            required=True,
            metavar="INVOICE=AMOUNT",
            help="an invoice number and the amount to pay on it (repeat; each on its own)",
        )
        allocate.add_argument("--actor", default="cli")
        statement = sub.add_parser(
            "import-statement", help="import a bank statement (CSV export or camt.053 XML)"
        )
        statement.add_argument("file")
        statement.add_argument("--account", required=True, help="our bank account's name")
        statement.add_argument("--currency", default="CNY", help="a new account's currency")
        statement.add_argument("--actor", default="cli")
        reverse = sub.add_parser("reverse", help="a bounced or recalled payment")
        reverse.add_argument("id", type=int)
        reverse.add_argument("--reason", required=True)
        reverse.add_argument("--actor", default="cli")

    def handle(self, *args, **options):
        return getattr(self, f"_{options['action'].replace('-', '_')}")(options)

    def _import_statement(self, options):
        from pathlib import Path

        from cspbilling.core.progress import progress_bar
        from cspbilling.payments.models import BankAccount
        from cspbilling.payments.services import do_bank_account_named, do_import_statement
        from cspbilling.payments.statements.lines import StatementError

        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        if not BankAccount.objects.filter(name=options["account"]).exists():
            self.stdout.write(f"new bank account {options['account']}")
        account = do_bank_account_named(
            name=options["account"], currency=options["currency"].upper(), actor=options["actor"]
        )
        try:
            with progress_bar(enabled=sys.stdout.isatty()) as progress:  # a bar on a terminal
                statement = do_import_statement(
                    path=path,
                    filename=path.name,
                    account=account,
                    actor=options["actor"],
                    progress=progress,
                )
        except StatementError as exc:
            raise CommandError(f"{path.name}: {exc} (nothing imported)") from None
        summary = statement.summary
        self.stdout.write(
            f"{statement.filename} ({statement.file_format}, {statement.encoding}): "
            f"{summary['lines']} lines: {summary['matched']} matched, "
            f"{summary['suggested']} suggested, {summary['unmatched']} to review, "
            f"{summary['ignored']} money out, {summary['already_imported']} already imported"
        )

    def _record(self, options):
        from cspbilling.core.money import from_minor_units
        from cspbilling.customers.models import Customer
        from cspbilling.payments import balances
        from cspbilling.payments.services import PaymentError, do_record_payment

        customer = Customer.objects.filter(tenant_id=options["customer"]).first()
        if customer is None:
            raise CommandError(f"--customer {options['customer']!r}: no customer has it")
        try:
            received_on = dt.date.fromisoformat(options["date"])
        except ValueError:
            raise CommandError(f"--date {options['date']!r}: give YYYY-MM-DD") from None
        try:
            payment = do_record_payment(
                customer=customer,
                amount=options["amount"],
                currency=options["currency"].upper(),
                received_on=received_on,
                method=options["method"],
                reference=options["reference"],
                actor=options["actor"],
                allocate="none" if options["keep_as_credit"] else "oldest",
            )
        except PaymentError as exc:
            raise CommandError(str(exc)) from None
        credit = from_minor_units(
            balances.credit_minor(customer, payment.currency), payment.currency
        )
        self.stdout.write(
            f"payment #{payment.pk}: {payment.amount} {payment.currency} from "
            f"{customer.display_name}; credit now {credit}"
        )

    def _list(self, options):
        from cspbilling.payments.selectors import payment_row, payments

        rows = [payment_row(p) for p in payments(customer_tenant_id=options["customer"] or None)]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False))
            return
        for row in rows:
            self.stdout.write(
                f"#{row['id']:<6} {row['received_on']} {row['amount']:>12} {row['currency']} "
                f"{row['status']:8} unallocated {row['unallocated']:>10}  {row['customer_name']}"
            )

    def _allocate(self, options):
        from cspbilling.invoicing.models import Invoice
        from cspbilling.payments.models import Payment
        from cspbilling.payments.services import PaymentError, do_allocate_payment

        payment = Payment.objects.filter(pk=options["id"]).first()
        if payment is None:
            raise CommandError(f"no payment #{options['id']}")
        refused = 0
        for target in options["to"]:
            number, _, amount = target.partition("=")
            invoice = Invoice.objects.filter(number=number).first()
            if invoice is None or not amount:
                raise CommandError(f"--to {target!r}: give INVOICE_NUMBER=AMOUNT of an invoice")
            try:  # each allocation on its own: one refused leaves the others
                do_allocate_payment(
                    payment=payment, invoice=invoice, amount=amount, actor=options["actor"]
                )
            except PaymentError as exc:
                refused += 1
                self.stdout.write(f"{number}: refused: {exc}")
            else:
                self.stdout.write(f"{number}: {amount} allocated")
        if refused:
            self.stdout.write(f"{refused} allocation(s) refused")

    def _reverse(self, options):
        from cspbilling.payments.models import Payment
        from cspbilling.payments.services import PaymentError, do_reverse_payment
        from cspbilling.payments.transitions import TransitionError

        payment = Payment.objects.filter(pk=options["id"]).first()
        if payment is None:
            raise CommandError(f"no payment #{options['id']}")
        try:
            do_reverse_payment(payment=payment, reason=options["reason"], actor=options["actor"])
        except (PaymentError, TransitionError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"payment #{payment.pk} reversed")
