"""The billing run's integer prices are `pricing.py`'s Decimal prices, to the minor unit, over
the whole range the columns allow for amounts (20 digits, 6 of them decimals)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from cspbilling.core.money import to_minor_units
from cspbilling.invoicing.pricing import price_by_percent, price_by_unit
from cspbilling.invoicing.pricing_minor import (
    half_up,
    net_by_percent,
    net_by_unit,
    scaled,
    tax_on,
)

LIMIT = Decimal("99999999999999.999999")  # DecimalField(max_digits=20, decimal_places=6)
amounts = st.one_of(
    st.decimals(min_value=-LIMIT, max_value=LIMIT, places=6),
    st.decimals(min_value=Decimal(-10), max_value=Decimal(10), places=6),  # ties are small
)
percents = st.decimals(min_value=Decimal(-100), max_value=Decimal(1000), places=3)
unit_prices = st.decimals(min_value=Decimal(0), max_value=Decimal(10**9), places=6)
rates = st.decimals(min_value=Decimal(0), max_value=Decimal("0.9999"), places=4)
currencies = st.sampled_from(["CNY", "JPY"])  # 2 and 0 places


@given(amount=amounts, percent=percents, rate=rates, currency=currencies)
@example(amount=Decimal("0.125"), percent=Decimal(0), rate=Decimal("0.06"), currency="CNY")
@example(amount=Decimal("-2.675"), percent=Decimal(0), rate=Decimal("0.06"), currency="CNY")
@example(amount=Decimal("-0.5"), percent=Decimal(0), rate=Decimal(0), currency="JPY")
def test_a_percent_price_in_integers_is_the_decimal_price(amount, percent, rate, currency):
    price = price_by_percent(
        upstream_amount=amount, percent=percent, tax_rate=rate, currency=currency
    )
    places = 0 if currency == "JPY" else 2
    net = net_by_percent(scaled(amount, 6), scaled(percent, 3), places)
    assert net == to_minor_units(price.net, currency)
    assert tax_on(net, scaled(rate, 4)) == to_minor_units(price.tax, currency)


@given(
    quantity=st.decimals(min_value=Decimal(-(10**6)), max_value=Decimal(10**6), places=6),
    unit_price=unit_prices,
    rate=rates,
    currency=currencies,
)
def test_a_unit_price_in_integers_is_the_decimal_price(quantity, unit_price, rate, currency):
    price = price_by_unit(
        quantity=quantity, unit_price=unit_price, tax_rate=rate, currency=currency
    )
    places = 0 if currency == "JPY" else 2
    net = net_by_unit(scaled(quantity, 6), scaled(unit_price, 6), places)
    assert net == to_minor_units(price.net, currency)
    assert tax_on(net, scaled(rate, 4)) == to_minor_units(price.tax, currency)


def test_ties_round_away_from_zero_and_more_places_are_refused():
    assert [half_up(n, 10) for n in (5, 15, -5, -15, 4, -4, 0)] == [1, 2, -1, -2, 0, 0, 0]
    with pytest.raises(ValueError, match="more than 3 decimal places"):
        scaled(Decimal("1.2345"), 3)
