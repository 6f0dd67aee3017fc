"""The arithmetic of credit notes: what is left to credit on each line of an invoice, and what a
credit of one amount on one line gives back in tax. Pure reads and Decimal; the services write.

A line is never credited beyond itself: the net credited (over every credit note that is not
discarded) keeps the line's sign and never exceeds it; the tax credited follows the net, half-up
per line, and the last credit of a line takes exactly the tax left, so a line credited in full in
several steps gives back exactly its tax, never a fen more or less.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum

from cspbilling.core.money import MoneyError, from_minor_units, to_minor_units
from cspbilling.invoicing.models import CreditNoteLine, CreditNoteStatus, Invoice, InvoiceLine
from cspbilling.invoicing.pricing import to_minor_unit


class CreditError(ValueError):
    """A credit that cannot be given; the message says which line and why."""


@dataclass(frozen=True)
class Creditable:
    line: InvoiceLine
    net_minor: int  # left to credit, the sign of the line
    tax_minor: int

    @property
    def net(self) -> Decimal:
        return from_minor_units(self.net_minor, self.line.invoice.currency)


def creditable_lines(invoice: Invoice) -> list[Creditable]:
    """Each line of the invoice with what is left to credit on it."""
    credited = {
        row["invoice_line"]: (row["net"], row["tax"])
        for row in CreditNoteLine.objects.filter(invoice_line__invoice=invoice)
        .exclude(credit_note__status=CreditNoteStatus.DISCARDED)
        .values("invoice_line")
        .annotate(net=Sum("net_minor"), tax=Sum("tax_minor"))
        .order_by()
    }
    lines = invoice.lines.order_by("subscription_id", "charge_start", "id")
    result = []
    for line in lines:
        net, tax = credited.get(line.pk, (0, 0))
        result.append(Creditable(line, line.net_minor - net, line.tax_minor - tax))
    return result


def _same_sign(a: int, b: int) -> bool:
    return (a > 0 and b > 0) or (a < 0 and b < 0)


def credit_of(left: Creditable, amount: Decimal, currency: str) -> tuple[int, int]:
    """(net, tax) in minor units for crediting `amount` (net, major units) on this line."""
    where = f"line {left.line.pk} ({left.line.offer_name or left.line.offer_id})"
    try:
        net = to_minor_units(amount, currency)
    except MoneyError as exc:
        raise CreditError(f"{where}: {exc}") from None
    if net == 0:
        raise CreditError(f"{where}: a credit of 0 gives nothing back")
    if not _same_sign(net, left.line.net_minor):
        raise CreditError(f"{where}: a credit has the sign of its line ({left.line.net})")
    if abs(net) > abs(left.net_minor):
        raise CreditError(
            f"{where}: {amount} is more than the {from_minor_units(left.net_minor, currency)} "
            "left to credit"
        )
    if net == left.net_minor:
        return net, left.tax_minor
    tax = to_minor_units(to_minor_unit(amount * left.line.tax_rate, currency), currency)
    if abs(tax) > abs(left.tax_minor):  # rounding cannot take more tax than is left
        tax = left.tax_minor
    return net, tax
