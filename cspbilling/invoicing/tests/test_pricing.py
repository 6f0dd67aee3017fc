"""The arithmetic of a price: rounded once per line, half-up, to the currency's minor unit."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext

from hypothesis import given
from hypothesis import strategies as st

from cspbilling.invoicing.pricing import (
    period_fraction,
    price_by_percent,
    price_by_unit,
    specificity,
    upstream_list,
)

amounts = st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=6)
percents = st.decimals(min_value=Decimal(-100), max_value=Decimal(1000), places=3)
rates = st.sampled_from([Decimal("0"), Decimal("0.06"), Decimal("0.09"), Decimal("0.13")])
CENT = Decimal("0.01")


def _exact_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


@given(amount=amounts, percent=percents, rate=rates)
def test_a_marked_up_line_is_the_exact_amount_rounded_once_and_its_tax_rounded_once(
    amount, percent, rate
):
    price = price_by_percent(upstream_amount=amount, percent=percent, tax_rate=rate, currency="CNY")
    exact_net = amount * (100 + percent) / 100
    assert price.net == _exact_cents(exact_net)
    assert abs(price.net - exact_net) <= Decimal("0.005")
    assert price.tax == _exact_cents(price.net * rate)
    assert price.total == price.net + price.tax
    assert price.net.as_tuple().exponent == -2 and price.tax.as_tuple().exponent == -2


@given(amount=amounts)
def test_no_markup_bills_the_upstream_amount_and_a_full_discount_bills_nothing(amount):
    same = price_by_percent(
        upstream_amount=amount, percent=Decimal(0), tax_rate=Decimal("0.06"), currency="CNY"
    )
    assert same.net == _exact_cents(amount)
    free = price_by_percent(
        upstream_amount=amount, percent=Decimal(-100), tax_rate=Decimal("0.06"), currency="CNY"
    )
    assert free.net == 0 and free.tax == 0


def _by_unit(quantity, unit_price, *, amount, listed, rate="0", currency="CNY"):
    return price_by_unit(
        quantity=Decimal(quantity),
        unit_price=Decimal(unit_price),
        tax_rate=Decimal(rate),
        currency=currency,
        upstream_amount=Decimal(amount),
        upstream_list=Decimal(listed),
    )


def test_half_a_fen_rounds_up_away_from_zero_not_to_even():
    # 0.125 would round to 0.12 with banker's rounding; the law's half-up makes it 0.13.
    assert _by_unit(1, "0.125", amount="9", listed="9").net == Decimal("0.13")
    negative = _by_unit(-1, "0.125", amount="-9", listed="-9")
    assert negative.net == Decimal("-0.13")  # a refund mirrors its charge


def test_a_currency_without_minor_units_rounds_to_whole_units():
    price = _by_unit(3, "333.5", amount="300", listed="300", rate="0.1", currency="JPY")
    assert (price.net, price.tax) == (Decimal(1001), Decimal(100))


def test_a_unit_price_bills_the_share_of_the_period_signed_like_the_amount():
    # 5 seats listed at 93.00 upstream (465.00), billed for 10 of 31 days (150.00); 124.00 here.
    listed = upstream_list([(Decimal(93), Decimal(5))])
    assert _by_unit(5, "124", amount="150", listed=listed, rate="0.06").net == Decimal("200.00")
    credit = _by_unit(5, "124", amount="-150", listed=listed, rate="0.06")
    assert (credit.net, credit.tax) == (Decimal("-200.00"), Decimal("-12.00"))
    reversed_seats = upstream_list([(Decimal(93), Decimal(-5))])
    assert _by_unit(-5, "124", amount="-150", listed=reversed_seats).net == Decimal("-200.00")
    assert period_fraction(upstream_amount=Decimal(-150), upstream_list=listed) == Decimal(
        "0.322581"
    )


def test_without_an_upstream_price_the_share_is_whole_and_nothing_billed_bills_nothing():
    assert _by_unit(3, "124", amount="-30", listed="0").net == Decimal("-372.00")
    assert _by_unit(5, "124", amount="0", listed="465").net == 0
    assert _by_unit(5, "124", amount="0", listed="0").net == 0
    assert upstream_list([(None, Decimal(3)), (Decimal(2), None)]) == 0
    assert period_fraction(upstream_amount=Decimal(30), upstream_list=Decimal(0)) is None


prices = st.decimals(min_value=Decimal(0), max_value=Decimal(10**6), places=6)
seats = st.decimals(min_value=Decimal(-1000), max_value=Decimal(1000), places=6)


@given(price=prices, upstream_price=prices, quantity=seats, days=st.integers(0, 31))
def test_a_charge_for_some_days_of_a_month_bills_those_days_and_its_credit_mirrors_it(
    price, upstream_price, quantity, days
):
    listed = upstream_price * quantity
    # 21Vianet's amount for the days, to 6 places (as its files carry it).
    amount = (listed * days / 31).quantize(Decimal("0.000001"), ROUND_HALF_UP)
    charge = _by_unit(quantity, price, amount=amount, listed=listed, rate="0.06")
    credit = _by_unit(quantity, price, amount=-amount, listed=listed, rate="0.06")
    assert (credit.net, credit.tax) == (-charge.net, -charge.tax)
    if amount == 0:
        assert charge.net == 0
    else:
        with localcontext() as exact_digits:
            exact_digits.prec = 80
            exact = abs(quantity) * price * abs(amount) / abs(listed)
            assert abs(charge.net) == _exact_cents(exact)
        assert charge.net == 0 or (charge.net > 0) == (amount > 0)
        if amount == listed:  # the whole month: quantity × price, as before
            assert charge.net == _exact_cents(quantity * price)


def test_who_comes_before_what():
    order = [
        specificity(customer=True, group=False, offer_id=True, durable_offer_id=False),
        specificity(customer=True, group=False, offer_id=False, durable_offer_id=True),
        specificity(customer=True, group=False, offer_id=False, durable_offer_id=False),
        specificity(customer=False, group=True, offer_id=True, durable_offer_id=False),
        specificity(customer=False, group=True, offer_id=False, durable_offer_id=False),
        specificity(customer=False, group=False, offer_id=True, durable_offer_id=False),
        specificity(customer=False, group=False, offer_id=False, durable_offer_id=True),
        specificity(customer=False, group=False, offer_id=False, durable_offer_id=False),
    ]
    assert order == sorted(order, reverse=True) and len(set(order)) == len(order)
