"""The arithmetic of a price: which rule is more specific, and what an invoice line costs.

Pure functions over Decimal: the billing run does the same in SQL for millions of lines, and the
tests hold both to these.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from cspbilling.core.money import MINOR_UNITS

HUNDRED = Decimal(100)


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


def price_by_unit(
    *, quantity: Decimal, unit_price: Decimal, tax_rate: Decimal, currency: str
) -> LinePrice:
    net = to_minor_unit(quantity * unit_price, currency)
    return LinePrice(net=net, tax=to_minor_unit(net * tax_rate, currency))
