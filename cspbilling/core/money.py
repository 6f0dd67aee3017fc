"""Money is Decimal, rounded once, half-up, to the currency's minor unit."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

CENT = Decimal("0.01")
MINOR_UNITS = {"CNY": 2, "USD": 2, "EUR": 2, "JPY": 0}
CURRENCY_ALIASES = {"元": "CNY", "¥": "CNY", "￥": "CNY", "RMB": "CNY", "CNH": "CNY"}


class MoneyError(ValueError):
    pass


def normalise_currency(value: str) -> str:
    code = (value or "").strip()
    code = CURRENCY_ALIASES.get(code, CURRENCY_ALIASES.get(code.upper(), code.upper()))
    if len(code) != 3 or not code.isalpha():
        raise MoneyError(f"{value!r} is not a currency code")
    return code


def parse_amount(text: str | int | Decimal) -> Decimal:
    """Parse an amount as written in files and APIs: '1,234.50', '-3', '(12.00)'. Never float."""
    if isinstance(text, Decimal):
        return text
    if isinstance(text, int):
        return Decimal(text)
    if isinstance(text, float):
        raise MoneyError("amounts are never floats")
    raw = str(text).strip().replace(",", "").replace("\u00a0", "").replace(" ", "")
    raw = raw.lstrip("¥￥")  # a cell formatted as currency, as a spreadsheet saves it
    negative = raw.startswith("(") and raw.endswith(")")
    if negative:
        raw = raw[1:-1]
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise MoneyError(f"{text!r} is not a number") from None
    if not value.is_finite():
        raise MoneyError(f"{text!r} is not a finite number")
    return -value if negative else value


def to_minor_units(amount: Decimal, currency: str = "CNY") -> int:
    """Exact integer minor units (fen); raises if the amount has more precision than that."""
    places = MINOR_UNITS.get(currency, 2)
    scaled = amount.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"{amount} has more than {places} decimal places")
    return int(scaled)


def from_minor_units(minor: int, currency: str = "CNY") -> Decimal:
    """An amount from integer minor units (fen), with the currency's places: 95877 → 958.77."""
    return Decimal(int(minor)).scaleb(-MINOR_UNITS.get(currency, 2))
