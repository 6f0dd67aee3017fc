"""The arithmetic of a price: which rule is more specific, and what an invoice line costs.

Pure functions over Decimal: the billing run does the same in SQL for millions of lines, and the
tests hold both to these.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

from cspbilling.core.money import MINOR_UNITS

HUNDRED = Decimal(100)
# Enough digits that a quotient of column values is never rounded before its one rounding.
EXACT_DIGITS = 80
MICRO = Decimal("0.000001")
# A share of a period past this is nonsense upstream; below it, 12 digits, exact even in the
# floating point SQLite keeps decimals in (InvoiceLine.period_fraction).
MAX_FRACTION = Decimal(10**6)


def specificity(*, customer: bool, group: bool, offer_id: bool, durable_offer_id: bool) -> int:
    """Higher wins. Who comes first (one customer > a group > everyone), then what (an offer id >
    a durable offer id > any offer): a customer's own rule for any offer beats its group's rule
    for one offer."""
    party = 2 if customer else 1 if group else 0
    offer = 2 if offer_id else 1 if durable_offer_id else 0
    return party * 3 + offer


def to_minor_unit(amount: Decimal, currency: str) -> Decimal:
    """Rounded once, half-up, to the currency's minor unit (the law's rounding for CNY)."""
    return amount.quantize(Decimal(1).scaleb(-MINOR_UNITS.get(currency, 2)), ROUND_HALF_UP)


@dataclass(frozen=True)
class LinePrice:
    net: Decimal
    tax: Decimal

    @property
    def total(self) -> Decimal:
        return self.net + self.tax


def price_by_percent(
    *, upstream_amount: Decimal, percent: Decimal, tax_rate: Decimal, currency: str
) -> LinePrice:
    """The upstream amount with a markup (positive percent) or discount (negative)."""
    net = to_minor_unit(upstream_amount * (HUNDRED + percent) / HUNDRED, currency)
    return LinePrice(net=net, tax=to_minor_unit(net * tax_rate, currency))


def upstream_list(lines: Iterable[tuple[Decimal | None, Decimal | None]]) -> Decimal:
    """What upstream lines (unit price, quantity) list for a whole period: the sum of unit
    price × quantity, exact (a line without a unit price lists nothing)."""
    with localcontext() as context:
        context.prec = EXACT_DIGITS
        return sum(
            (Decimal(price or 0) * Decimal(quantity or 0) for price, quantity in lines),
            Decimal(0),
        )


def period_fraction(*, upstream_amount: Decimal, upstream_list: Decimal) -> Decimal | None:
    """The share of a full period the upstream lines carry, |amount ÷ list| to 6 places
    (half-up), or None when there is none to read (nothing billed, no upstream price, or a
    nonsense share of MAX_FRACTION or more)."""
    if upstream_amount == 0 or upstream_list == 0:
        return None
    with localcontext() as context:
        context.prec = EXACT_DIGITS
        fraction = abs(upstream_amount / upstream_list).quantize(MICRO, ROUND_HALF_UP)
    return fraction if fraction < MAX_FRACTION else None


def price_by_unit(
    *,
    quantity: Decimal,
    unit_price: Decimal,
    tax_rate: Decimal,
    currency: str,
    upstream_amount: Decimal,
    upstream_list: Decimal,
) -> LinePrice:
    """The rule's unit price × quantity × the share of a full period the upstream lines carry
    (their amount ÷ their list, `upstream_list`), signed like their amount: a prorated charge
    bills its days, a cancellation credit credits them, whatever sign its quantity has.

    Without an upstream list (no upstream unit price: usage, adjustments) the share is whole:
    unit price × quantity, signed like the amount. Nothing billed upstream (a free line) bills
    nothing. Rounded once, at the end; the tax is on the signed net."""
    if upstream_amount == 0:
        net = to_minor_unit(Decimal(0), currency)
    else:
        with localcontext() as context:
            context.prec = EXACT_DIGITS
            magnitude = abs(quantity) * unit_price
            if upstream_list != 0:
                magnitude = magnitude * abs(upstream_amount) / abs(upstream_list)
            net = to_minor_unit(magnitude, currency)
        if upstream_amount < 0 and net:
            net = -net
    return LinePrice(net=net, tax=to_minor_unit(net * tax_rate, currency))
