"""The prices of `pricing.py` in integers, for a billing run's hundreds of thousands of groups:
amounts and quantities in millionths in, net and tax in minor units out, rounded once each,
half-up (away from zero on a tie), exactly as `price_by_percent` and `price_by_unit` round them
(the tests hold the two to each other, over every amount the columns allow; a Decimal product
beyond 28 significant digits would be rounded there, never here). A percentage has at most 3
decimals, a unit price 6 and a tax rate 4 (their columns), so every factor is an integer.
An upstream list (Σ unit price × quantity) has 12 decimals: it comes in 10**-12 units."""

from __future__ import annotations

from decimal import Decimal

MAX_FRACTION_MICRO = 10**12  # `pricing.MAX_FRACTION` in millionths


def half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator (> 0) rounded to an integer, ties away from zero."""
    quotient = (2 * abs(numerator) + denominator) // (2 * denominator)
    return quotient if numerator >= 0 else -quotient


def scaled(value: Decimal, places: int) -> int:
    """value × 10**places, which must be an integer (a column with at most `places` decimals)."""
    result = value.scaleb(places)
    if result != result.to_integral_value():
        raise ValueError(f"{value} has more than {places} decimal places")
    return int(result)


def net_by_percent(amount_micro: int, percent_milli: int, places: int) -> int:
    """amount × (100 + percent) / 100 in minor units: amount_micro / 10**6 ×
    (100000 + percent_milli) / 10**5, times 10**places."""
    return half_up(amount_micro * (100_000 + percent_milli), 10 ** (11 - places))


def net_by_unit(
    quantity_micro: int, unit_price_micro: int, places: int, *, amount_micro: int, list_e12: int
) -> int:
    """|quantity| × unit price × |amount ÷ list|, signed like the amount (`price_by_unit`):
    q/10**6 × p/10**6 × (a/10**6) / (list/10**12) = q·p·a / (10**6 · list), times 10**places.
    No list: |quantity| × unit price, signed like the amount; no amount: 0."""
    if amount_micro == 0:
        return 0
    if list_e12 == 0:
        net = half_up(abs(quantity_micro) * unit_price_micro, 10 ** (12 - places))
    else:
        net = half_up(
            abs(quantity_micro) * unit_price_micro * abs(amount_micro) * 10**places,
            10**6 * abs(list_e12),
        )
    return net if amount_micro > 0 else -net


def fraction_micro(amount_micro: int, list_e12: int) -> int | None:
    """`pricing.period_fraction` in millionths: |a/10**6 ÷ list/10**12| × 10**6."""
    if amount_micro == 0 or list_e12 == 0:
        return None
    fraction = half_up(abs(amount_micro) * 10**12, abs(list_e12))
    return fraction if fraction < MAX_FRACTION_MICRO else None


def tax_on(net_minor: int, rate_e4: int) -> int:
    """The tax on a net amount, both in minor units; the rate in ten-thousandths (0.06 → 600)."""
    return half_up(net_minor * rate_e4, 10_000)
