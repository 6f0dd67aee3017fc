"""Who a statement line's money is from, in the order a careful person would look:

1. our invoice number in the remittance text: that invoice's customer (automatic);
2. a payer name or account a person already assigned to a customer, and an amount that is
   exactly what one of its invoices (or all of them together) leaves open (automatic); the
   payer alone is only a suggestion;
3. the amount alone, exactly one open invoice's open amount across every customer (a
   suggestion, never automatic: two customers can owe the same amount);
4. nothing: the line waits in the review queue for a person.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings

from cspbilling.customers.models import Customer
from cspbilling.invoicing.models import Invoice, InvoiceStatus
from cspbilling.payments import balances
from cspbilling.payments.models import PayerRule, StatementLineStatus
from cspbilling.payments.statements.lines import ReadLine


@dataclass(frozen=True)
class Match:
    status: str
    rule: str
    customer: Customer | None = None
    invoice: Invoice | None = None


def normalise_payer(name: str) -> str:
    """Payer names as banks print them vary in spaces and case: compare without them."""
    return "".join(name.split()).casefold()


class Matcher:
    """Reads what it needs once per import (payer rules, open amounts), then decides per line."""

    def __init__(self) -> None:
        series = re.escape(settings.INVOICE_NUMBER_SERIES)
        self.invoice_number = re.compile(rf"{series}-?\d{{4}}-?\d{{6}}", re.IGNORECASE)
        self.by_name: dict[str, set[int]] = defaultdict(set)
        self.by_account: dict[str, set[int]] = defaultdict(set)
        for rule in PayerRule.objects.all():
            if rule.payer_name:
                self.by_name[normalise_payer(rule.payer_name)].add(rule.customer_id)
            if rule.payer_account:
                self.by_account[rule.payer_account.replace(" ", "")].add(rule.customer_id)
        self.open_by_amount: dict[int, list[int]] = defaultdict(list)
        open_invoices = Invoice.objects.filter(status=InvoiceStatus.ISSUED)
        for invoice_id, minor in balances.open_minor_by_invoice(open_invoices).items():
            if minor > 0:
                self.open_by_amount[minor].append(invoice_id)

    def match(self, line: ReadLine, minor: int) -> Match:
        if minor <= 0:
            return Match(StatementLineStatus.IGNORED, "money out")
        found = self.invoice_number.search(line.remittance) or self.invoice_number.search(
            line.payer_name
        )
        if found:
            number = _canonical(found.group(), settings.INVOICE_NUMBER_SERIES)
            invoice = (
                Invoice.objects.select_related("customer")
                .filter(number=number, status=InvoiceStatus.ISSUED)
                .first()
            )
            if invoice is not None:
                return Match(
                    StatementLineStatus.MATCHED,
                    f"invoice number {number} in the remittance",
                    invoice.customer,
                    invoice,
                )
        payer = self._payer(line)
        if payer is not None:
            invoice = _invoice_leaving(payer, line.currency, minor)
            if invoice is not None or _all_open(payer, line.currency) == minor:
                return Match(
                    StatementLineStatus.MATCHED,
                    "known payer, exact open amount",
                    payer,
                    invoice,
                )
            return Match(StatementLineStatus.SUGGESTED, "known payer, amount differs", payer)
        same_amount = self.open_by_amount.get(minor, [])
        if len(same_amount) == 1:
            invoice = Invoice.objects.select_related("customer").get(pk=same_amount[0])
            if invoice.currency == line.currency:
                return Match(
                    StatementLineStatus.SUGGESTED,
                    "amount alone: the open amount of one invoice",
                    invoice.customer,
                    invoice,
                )
        return Match(StatementLineStatus.UNMATCHED, "")

    def _payer(self, line: ReadLine) -> Customer | None:
        candidates: set[int] = set()
        if line.payer_account:
            candidates = self.by_account.get(line.payer_account.replace(" ", ""), set())
        if not candidates and line.payer_name:
            candidates = self.by_name.get(normalise_payer(line.payer_name), set())
        if len(candidates) != 1:
            return None
        return Customer.objects.get(pk=next(iter(candidates)))

    def forget(self, invoice_id: int) -> None:
        """An invoice paid by this import no longer leaves its old amount open."""
        for key, ids in list(self.open_by_amount.items()):
            if invoice_id in ids:
                ids.remove(invoice_id)
                if not ids:
                    del self.open_by_amount[key]


def _canonical(text: str, series: str) -> str:
    digits = "".join(ch for ch in text if ch.isdigit())
    return f"{series}-{digits[:4]}-{digits[4:]}"


def _invoice_leaving(customer: Customer, currency: str, minor: int) -> Invoice | None:
    for invoice, left in balances.open_invoices(customer, currency):
        if left == minor:
            return invoice
    return None


def _all_open(customer: Customer, currency: str) -> int:
    return sum(left for _, left in balances.open_invoices(customer, currency))
