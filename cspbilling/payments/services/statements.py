"""Importing a bank statement, and what a person decides about its lines.

One transaction per statement: every line is new (account, day, amount and the bank's
reference: a line seen before is skipped, so importing a statement twice adds nothing) or the
statement is refused whole, naming the row and the column. Matched lines become payments at
once; suggestions and the rest wait in the review queue, where assigning a line records its
payment and teaches the payer's name and account for the next statements.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import batched
from pathlib import Path

from django.utils import timezone

from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import record_event
from cspbilling.core.bulk import insert_rows
from cspbilling.core.money import MINOR_UNITS, MoneyError, from_minor_units, to_minor_units
from cspbilling.core.progress import ProgressReporter, SilentProgress
from cspbilling.core.services import entry_point, one_line, transaction_step
from cspbilling.customers.locks import lock_customers
from cspbilling.customers.models import Customer
from cspbilling.invoicing.models import Invoice
from cspbilling.payments import balances
from cspbilling.payments.models import (
    AllocationKind,
    BankAccount,
    PayerRule,
    PaymentMethod,
    StatementImport,
    StatementLine,
    StatementLineStatus,
)
from cspbilling.payments.services.bulk_payments import PlannedPayment, record_planned_payments
from cspbilling.payments.services.payments import (
    EARLIEST,
    PaymentError,
    allocate_oldest_first,
    record_payment,
)
from cspbilling.payments.statements.camt_reader import read_camt
from cspbilling.payments.statements.csv_reader import read_csv
from cspbilling.payments.statements.lines import ReadLine, StatementError
from cspbilling.payments.statements.matching import Match, Matcher


def read_statement(path: Path, account: BankAccount) -> tuple[list[ReadLine], str, str, dict]:
    """(lines, format, encoding, column mapping) — no database write; StatementError if bad."""
    head = path.read_bytes()[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return read_camt(path), "camt.053", "XML", {}
    lines, encoding, mapping = read_csv(path, saved=account.csv_columns, currency=account.currency)
    return lines, "csv", encoding, mapping


def _minor(line: ReadLine, account: BankAccount) -> int:
    currency = line.currency or account.currency
    if currency not in MINOR_UNITS:
        raise StatementError(f"row {line.row}, currency: {currency!r} is not one we bill in")
    try:
        return to_minor_units(line.amount, currency)
    except MoneyError as exc:
        raise StatementError(f"row {line.row}, amount: {exc}") from None


def _pay(line: StatementLine, customer: Customer, invoice: Invoice | None, actor: str):
    """The payment a statement line brings: the named invoice first, then the oldest."""
    allocate: str | list = "oldest"
    part = 0
    if invoice is not None:
        owed = balances.open_minor(invoice)
        part = min(owed, line.amount_minor)
        allocate = [(invoice, from_minor_units(part, line.currency))] if part > 0 else "oldest"
    payment = record_payment(
        customer=customer,
        amount=line.amount,
        currency=line.currency,
        received_on=line.booked_on,
        method=PaymentMethod.BANK_TRANSFER,
        reference=line.remittance or line.bank_reference,
        actor=actor,
        allocate=allocate,
    )
    if invoice is not None and allocate != "oldest" and part < line.amount_minor:
        allocate_oldest_first(payment, actor=actor, kind=AllocationKind.ALLOCATED)  # the rest
    return payment


@dataclass(frozen=True)
class _NewLine:
    read: ReadLine
    minor: int
    currency: str


def _new_lines(read: list[ReadLine], account: BankAccount) -> tuple[list[_NewLine], int]:
    """The lines not imported before (by account, day, amount and bank reference), every amount
    and day checked first; and how many were already there."""
    checked = []
    for line in read:
        minor = _minor(line, account)
        if not EARLIEST <= line.booked_on <= timezone.localdate() + dt.timedelta(days=1):
            raise StatementError(f"row {line.row}, date: {line.booked_on} is not a day money came")
        checked.append(_NewLine(line, minor, line.currency or account.currency))
    if not checked:
        return [], 0
    days = [line.read.booked_on for line in checked]
    seen = set(
        StatementLine.objects.filter(
            bank_account=account, booked_on__range=(min(days), max(days))
        ).values_list("booked_on", "amount_minor", "bank_reference")
    )
    new, repeated = [], 0
    for line in checked:
        key = (line.read.booked_on, line.minor, line.read.bank_reference)
        if key in seen:
            repeated += 1
            continue
        seen.add(key)
        new.append(line)
    return new, repeated


def _match_under_locks(
    lines: list[_NewLine], progress: ProgressReporter
) -> tuple[list[Match], dict[int, Customer]]:
    """Lock every customer a line could pay (in key order), then read what is open and match:
    a payment recorded meanwhile by someone else is counted, and no one waits in a circle."""
    reads = [line.read for line in lines]
    matcher = Matcher.for_lines(reads)
    locked = lock_customers(matcher.may_pay(reads))
    matcher.read_open_amounts()
    progress.start("matching lines to customers and invoices", total=len(lines))
    matches = []
    for chunk in batched(lines, 1000):
        matches += [matcher.match(line.read, line.minor, line.currency) for line in chunk]
        progress.advance(len(chunk))
    paying = {m.customer_id for m in matches if m.status == StatementLineStatus.MATCHED}
    if not paying <= locked.keys():
        raise RuntimeError("a statement line matched a customer that was not locked")
    return matches, locked


@transaction_step
def import_statement(
    *,
    path: Path,
    filename: str,
    account: BankAccount,
    actor: str,
    progress: ProgressReporter | None = None,
) -> StatementImport:
    """Import a bank statement file: every line checked first (a bad one refuses the file,
    naming row and column), then matched and the matched ones paid, all or nothing.
    `progress` hears its stages (reading, matching, writing)."""
    progress = progress or SilentProgress()
    progress.start(f"reading {one_line(filename, 80)}")
    read, file_format, encoding, mapping = read_statement(path, account)
    progress.advance(len(read))
    lines, repeated = _new_lines(read, account)  # every line checked before any write
    if mapping and mapping != account.csv_columns:
        account.csv_columns = mapping  # chosen once per account: the next export reads alike
        account.save(update_fields=["csv_columns"])
    statement = StatementImport.objects.create(
        bank_account=account,
        filename=one_line(filename, 255),
        file_format=file_format,
        encoding=encoding,
        imported_by=actor,
    )
    matches, locked = _match_under_locks(lines, progress)
    paid = [
        (line, match)
        for line, match in zip(lines, matches, strict=True)
        if match.status == StatementLineStatus.MATCHED
    ]
    progress.start("recording the payments and the lines", total=len(lines))
    payment_ids = record_planned_payments(
        planned=[
            PlannedPayment(
                customer=locked[match.customer_id],
                currency=line.currency,
                amount_minor=line.minor,
                received_on=line.read.booked_on,
                method=PaymentMethod.BANK_TRANSFER,
                reference=one_line(line.read.remittance or line.read.bank_reference, 140),
                allocations=match.allocations,
            )
            for line, match in paid
        ],
        actor=actor,
        why="bank statement imported",
    )
    payment_of = {id(line): pk for (line, _), pk in zip(paid, payment_ids, strict=True)}
    insert_rows(
        StatementLine,
        [
            {
                "bank_account_id": account.pk,
                "statement_id": statement.pk,
                "row": line.read.row,
                "booked_on": line.read.booked_on,
                "amount_minor": line.minor,
                "currency": line.currency,
                "bank_reference": line.read.bank_reference,
                "payer_name": line.read.payer_name,
                "payer_account": line.read.payer_account,
                "remittance": line.read.remittance,
                "status": match.status,
                "match_rule": match.rule,
                "suggested_customer_id": match.customer_id,
                "suggested_invoice_id": match.invoice_id,
                "payment_id": payment_of.get(id(line)),
            }
            for line, match in zip(lines, matches, strict=True)
        ],
    )
    progress.advance(len(lines))
    counts = {status: 0 for status in StatementLineStatus.values}
    for match in matches:
        counts[match.status] += 1
    statement.summary = {"lines": len(read), **counts, "already_imported": repeated}
    statement.save(update_fields=["summary"])
    record_event(
        actor=actor,
        action=AuditAction.BANK_STATEMENT_IMPORTED,
        object_type="bank_statement",
        object_id=statement.pk,
        after={"account": account.name, "file": statement.filename, **statement.summary},
    )
    return statement


@transaction_step
def assign_statement_line(
    *, line: StatementLine, customer: Customer, actor: str, invoice: Invoice | None = None
) -> StatementLine:
    """A person says whose money it is: its payment is recorded, and its payer's name and
    account are remembered for that customer."""
    locked = StatementLine.objects.select_for_update().get(pk=line.pk)
    if locked.status not in (StatementLineStatus.SUGGESTED, StatementLineStatus.UNMATCHED):
        raise PaymentError(f"statement line #{locked.pk} is {locked.get_status_display().lower()}")
    if invoice is not None and invoice.customer_id != customer.pk:
        raise PaymentError(f"{invoice.number} is another customer's invoice")
    locked.payment = _pay(locked, customer, invoice, actor)
    locked.status = StatementLineStatus.ASSIGNED
    locked.match_rule = f"assigned by {actor}"
    locked.save(update_fields=["payment", "status", "match_rule"])
    if locked.payer_name or locked.payer_account:
        PayerRule.objects.get_or_create(
            customer=customer,
            payer_name=locked.payer_name,
            payer_account=locked.payer_account,
            defaults={"created_by": actor},
        )
    record_event(
        actor=actor,
        action=AuditAction.BANK_LINE_ASSIGNED,
        object_type="bank_statement_line",
        object_id=locked.pk,
        after={
            "customer": str(customer.tenant_id),
            "payment": locked.payment_id,
            "payer_name": locked.payer_name,
            "payer_account": locked.payer_account,
        },
    )
    return locked


@transaction_step
def bank_account_named(*, name: str, currency: str, actor: str) -> BankAccount:
    """Our bank account of this name, made (and audited) the first time it is named."""
    account = BankAccount.objects.filter(name=name).first()
    if account is not None:
        return account
    if currency not in MINOR_UNITS:
        raise PaymentError(f"{currency!r} is not a currency we bill in")
    account = BankAccount.objects.create(name=one_line(name, 100), currency=currency)
    record_event(
        actor=actor,
        action=AuditAction.BANK_ACCOUNT_CREATED,
        object_type="bank_account",
        object_id=account.pk,
        after={"name": account.name, "currency": currency},
    )
    return account


do_import_statement = entry_point(import_statement)
do_bank_account_named = entry_point(bank_account_named)
do_assign_statement_line = entry_point(assign_statement_line)
