"""Minor units and back: one function each way, exact for amounts with the currency's places."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from cspbilling.core.money import from_minor_units, to_minor_units

TWO_PLACES = st.decimals(
    min_value=Decimal("-1e15"), max_value=Decimal("1e15"), places=2, allow_nan=False
)


@given(TWO_PLACES)
def test_minor_units_round_trip_for_two_place_amounts(amount):
    back = from_minor_units(to_minor_units(amount))
    assert back == amount and back.as_tuple().exponent == -2


def test_from_minor_units_uses_the_currency_places():
    assert str(from_minor_units(95877)) == "958.77"
    assert str(from_minor_units(0)) == "0.00"
    assert str(from_minor_units(-5, "CNY")) == "-0.05"
    assert str(from_minor_units(1200, "JPY")) == "1200"
