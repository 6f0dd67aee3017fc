"""Who a statement line's money is from, in the order a careful person would look:

1. our invoice number in the remittance text: that invoice's customer (automatic);
2. a payer name or account a person already assigned to a customer, and an amount that is
   exactly what one of its invoices (or all of them together) leaves open (automatic); the
   payer alone is only a suggestion;
3. the amount alone, exactly one open invoice's open amount across every customer (a
   suggestion, never automatic: two customers can owe the same amount);
4. nothing: the line waits in the review queue for a person.

The matcher reads everything it needs in a few set-based queries (every open invoice with its
open amount, the payer rules, the invoices the statement names) and then decides every line in
memory, spending each matched line on the invoices as the payment will (the named invoice
first, then the oldest due), so that the next line sees what is left. It writes nothing.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings

from cspbilling.invoicing.models import Invoice, InvoiceStatus
from cspbilling.payments import balances
from cspbilling.payments.models import PayerRule, StatementLineStatus
from cspbilling.payments.statements.lines import ReadLine

IN_CHUNK = 500  # invoice numbers per IN (…) list: far below every engine's parameter limit


@dataclass(frozen=True)
class PlannedAllocation:
    invoice_id: int
    invoice_number: str
    amount_minor: int
    open_after_minor: int


@dataclass(frozen=True)
class Match:
    status: str
    rule: str
    customer_id: int | None = None
    invoice_id: int | None = None
    # For a matched line: what its payment pays, invoice by invoice (the rest is credit).
    allocations: tuple[PlannedAllocation, ...] = field(default=())


def normalise_payer(name: str) -> str:
    """Payer names as banks print them vary in spaces and case: compare without them."""
    return "".join(name.split()).casefold()


def invoice_number_pattern() -> re.Pattern[str]:
    series = re.escape(settings.INVOICE_NUMBER_SERIES)
    return re.compile(rf"{series}-?\d{{4}}-?\d{{6}}", re.IGNORECASE)


def _canonical(text: str, series: str) -> str:
    digits = "".join(ch for ch in text if ch.isdigit())
    return f"{series}-{digits[:4]}-{digits[4:]}"


class Matcher:
    """Built once per import (`Matcher.for_lines`); the caller locks `may_pay(lines)`, then
    `read_open_amounts()`, then `match` line after line, in file order."""

    def __init__(self, numbers: set[str]) -> None:
        self.pattern = invoice_number_pattern()
        self.by_name: dict[str, set[int]] = defaultdict(set)
        self.by_account: dict[str, set[int]] = defaultdict(set)
        for customer_id, name, account in PayerRule.objects.values_list(
            "customer_id", "payer_name", "payer_account"
        ):
            if name:
                self.by_name[normalise_payer(name)].add(customer_id)
            if account:
                self.by_account[account.replace(" ", "")].add(customer_id)
        self.named: dict[str, tuple[int, int, str]] = {}  # number → (invoice, customer, currency)
        ordered = sorted(numbers)
        for start in range(0, len(ordered), IN_CHUNK):
            chunk = ordered[start : start + IN_CHUNK]
            for pk, number, customer_id, currency in Invoice.objects.filter(
                number__in=chunk, status=InvoiceStatus.ISSUED
            ).values_list("pk", "number", "customer_id", "currency"):
                self.named[number] = (pk, customer_id, currency)
        self.open: dict[int, balances.OpenInvoice] = {}
        self.by_customer: dict[tuple[int, str], list[balances.OpenInvoice]] = defaultdict(list)
        self.by_amount: dict[int, set[int]] = defaultdict(set)

    def may_pay(self, lines: list[ReadLine]) -> set[int]:
        """Every customer a line could be matched to (and its payment recorded for): those of
        the invoices named, and the payers people taught. Lock them before reading amounts."""
        customers = {customer_id for _, customer_id, _ in self.named.values()}
        for line in lines:
            payer = self._payer(line)
            if payer is not None:
                customers.add(payer)
        return customers

    def read_open_amounts(self) -> None:
        """What every issued invoice leaves open, now (under the locks)."""
        for row in balances.all_open_invoices():
            self.open[row.id] = row
            self.by_customer[row.customer_id, row.currency].append(row)
            self.by_amount[row.open_minor].add(row.id)
        for rows in self.by_customer.values():
            rows.sort(key=lambda r: (r.due_on is None, r.due_on, r.issued_on, r.number))

    @classmethod
    def for_lines(cls, lines: list[ReadLine]) -> Matcher:
        pattern = invoice_number_pattern()
        series = settings.INVOICE_NUMBER_SERIES
        numbers = set()
        for line in lines:
            found = pattern.search(line.remittance) or pattern.search(line.payer_name)
            if found:
                numbers.add(_canonical(found.group(), series))
        return cls(numbers)

    def match(self, line: ReadLine, minor: int, currency: str) -> Match:
        if minor <= 0:
            return Match(StatementLineStatus.IGNORED, "money out")
        found = self.pattern.search(line.remittance) or self.pattern.search(line.payer_name)
        if found:
            number = _canonical(found.group(), settings.INVOICE_NUMBER_SERIES)
            named = self.named.get(number)
            if named is not None:
                invoice_id, customer_id, invoice_currency = named
                first = invoice_id if invoice_currency == currency else None
                return self._matched(
                    f"invoice number {number} in the remittance",
                    customer_id,
                    first,
                    minor,
                    currency,
                )
        payer = self._payer(line)
        if payer is not None:
            open_rows = self.by_customer.get((payer, currency), [])
            exact = next((r for r in open_rows if r.open_minor == minor), None)
            if exact is not None or (open_rows and sum(r.open_minor for r in open_rows) == minor):
                invoice_id = exact.id if exact is not None else None
                return self._matched(
                    "known payer, exact open amount", payer, invoice_id, minor, currency
                )
            return Match(StatementLineStatus.SUGGESTED, "known payer, amount differs", payer)
        same_amount = self.by_amount.get(minor, set())
        if len(same_amount) == 1:
            row = self.open[next(iter(same_amount))]
            if row.currency == currency:
                return Match(
                    StatementLineStatus.SUGGESTED,
                    "amount alone: the open amount of one invoice",
                    row.customer_id,
                    row.id,
                )
        return Match(StatementLineStatus.UNMATCHED, "")

    def _payer(self, line: ReadLine) -> int | None:
        candidates: set[int] = set()
        if line.payer_account:
            candidates = self.by_account.get(line.payer_account.replace(" ", ""), set())
        if not candidates and line.payer_name:
            candidates = self.by_name.get(normalise_payer(line.payer_name), set())
        return next(iter(candidates)) if len(candidates) == 1 else None

    def _matched(
        self, rule: str, customer_id: int, invoice_id: int | None, minor: int, currency: str
    ) -> Match:
        """Spend the line as its payment will: the named invoice first, then the oldest due."""
        left = minor
        spent: list[PlannedAllocation] = []
        first = self.open.get(invoice_id) if invoice_id is not None else None
        queue = [first] if first is not None else []
        queue += [r for r in self.by_customer.get((customer_id, currency), []) if r is not first]
        for row in queue:
            if left <= 0:
                break
            part = min(left, row.open_minor)
            if part <= 0:
                continue
            self._spend(row, part)
            spent.append(PlannedAllocation(row.id, row.number, part, row.open_minor))
            left -= part
        return Match(
            StatementLineStatus.MATCHED, rule, customer_id, invoice_id, allocations=tuple(spent)
        )

    def _spend(self, row: balances.OpenInvoice, part: int) -> None:
        amounts = self.by_amount.get(row.open_minor)
        if amounts is not None:
            amounts.discard(row.id)
            if not amounts:
                del self.by_amount[row.open_minor]
        row.open_minor -= part
        if row.open_minor > 0:
            self.by_amount[row.open_minor].add(row.id)
        else:
            rows = self.by_customer[row.customer_id, row.currency]
            rows.remove(row)
