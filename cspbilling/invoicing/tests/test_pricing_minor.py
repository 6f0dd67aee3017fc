"""The billing run's integer prices are `pricing.py`'s Decimal prices, to the minor unit, over
the whole range the columns allow for amounts (20 digits, 6 of them decimals)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from cspbilling.core.money import to_minor_units
from cspbilling.invoicing.pricing import (
    period_fraction,
    price_by_percent,
    price_by_unit,
    upstream_list,
)
from cspbilling.invoicing.pricing_minor import (
    fraction_micro,
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


quantities = st.decimals(min_value=Decimal(-(10**6)), max_value=Decimal(10**6), places=6)
# An upstream group: (unit price or none, quantity) per line, and its amount (any: a share of
# the list, a credit, nothing, or none of those).
upstream_lines = st.lists(
    st.tuples(st.one_of(st.none(), st.just(Decimal(0)), unit_prices), quantities),
    min_size=1,
    max_size=4,
)


@given(
    quantity=quantities,
    unit_price=unit_prices,
    amount=amounts,
    upstream=upstream_lines,
    rate=rates,
    currency=currencies,
)
@example(
    quantity=Decimal(1),
    unit_price=Decimal(1),
    amount=Decimal(-1),
    upstream=[(Decimal(8), Decimal(1))],
    rate=Decimal("0.06"),
    currency="CNY",
)  # an eighth: -0.125 → -0.13
@example(
    quantity=Decimal(5),
    unit_price=Decimal(124),
    amount=Decimal(-150),
    upstream=[(Decimal(93), Decimal(-5))],
    rate=Decimal("0.06"),
    currency="CNY",
)
@example(
    quantity=Decimal(3),
    unit_price=Decimal(124),
    amount=Decimal(-30),
    upstream=[(None, Decimal(3))],
    rate=Decimal("0.06"),
    currency="JPY",
)
def test_a_unit_price_in_integers_is_the_decimal_price(
    quantity, unit_price, amount, upstream, rate, currency
):
    listed = upstream_list(upstream)
    price = price_by_unit(
        quantity=quantity,
        unit_price=unit_price,
        tax_rate=rate,
        currency=currency,
        upstream_amount=amount,
        upstream_list=listed,
    )
    places = 0 if currency == "JPY" else 2
    net = net_by_unit(
        scaled(quantity, 6),
        scaled(unit_price, 6),
        places,
        amount_micro=scaled(amount, 6),
        list_e12=scaled(listed, 12),
    )
    assert net == to_minor_units(price.net, currency)
    assert tax_on(net, scaled(rate, 4)) == to_minor_units(price.tax, currency)
    assert net == 0 or (net > 0) == (amount > 0)  # signed like the amount
    fraction = fraction_micro(scaled(amount, 6), scaled(listed, 12))
    expected = period_fraction(upstream_amount=amount, upstream_list=listed)
    assert (None if fraction is None else Decimal(fraction).scaleb(-6)) == expected


def test_ties_round_away_from_zero_and_more_places_are_refused():
    assert [half_up(n, 10) for n in (5, 15, -5, -15, 4, -4, 0)] == [1, 2, -1, -2, 0, 0, 0]
    with pytest.raises(ValueError, match="more than 3 decimal places"):
        scaled(Decimal("1.2345"), 3)
