"""The arithmetic of a price: rounded once per line, half-up, to the currency's minor unit."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given
from hypothesis import strategies as st

from cspbilling.invoicing.pricing import price_by_percent, price_by_unit, specificity

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


def test_half_a_fen_rounds_up_away_from_zero_not_to_even():
    # 0.125 would round to 0.12 with banker's rounding; the law's half-up makes it 0.13.
    price = price_by_unit(
        quantity=Decimal(1), unit_price=Decimal("0.125"), tax_rate=Decimal(0), currency="CNY"
    )
    assert price.net == Decimal("0.13")
    negative = price_by_unit(
        quantity=Decimal(-1), unit_price=Decimal("0.125"), tax_rate=Decimal(0), currency="CNY"
    )
    assert negative.net == Decimal("-0.13")  # a refund mirrors its charge


def test_a_currency_without_minor_units_rounds_to_whole_units():
    price = price_by_unit(
        quantity=Decimal(3), unit_price=Decimal("333.5"), tax_rate=Decimal("0.1"), currency="JPY"
    )
    assert (price.net, price.tax) == (Decimal(1001), Decimal(100))


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
