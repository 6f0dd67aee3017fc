"""Template helpers shared by the console and the portal."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.translation import gettext

from cspbilling.core.money import from_minor_units
from cspbilling.web.navigation import navigation_for

register = template.Library()


@register.inclusion_tag("console/_nav.html", takes_context=True)
def console_nav(context) -> dict:
    request = context["request"]
    items = navigation_for(request.user, request.path)
    for item in items:
        item["label"] = gettext(item["label"])
    return {"items": items}


@register.inclusion_tag("console/_badge.html")
def status_badge(value: str, label: str = "") -> dict:
    """A coloured pill for a status value (its CSS class is badge-<value>)."""
    return {"value": value or "none", "label": label or value or "—"}


@register.filter
def money(value, places: int | str = 2) -> str:
    """An amount as finance reads it: thousands separators and fixed decimals ("1,234.50").

    `places` "2-6" (unit prices): at least 2 decimals, up to 6, no trailing zeros beyond 2.

    Accepts Decimals, numbers and the strings import summaries store; None or junk is "—".
    The same grouping in every language, so columns of amounts line up and compare.
    """
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    low, _, high = str(places).partition("-")
    text = f"{amount:,.{int(high or low)}f}"
    if high:
        whole, _, decimals = text.partition(".")
        text = f"{whole}.{decimals.rstrip('0').ljust(int(low), '0')}"
    return text


@register.filter
def minor_units(value, currency: str = "CNY") -> Decimal | None:
    """Integer minor units (fen) as an amount of the currency: 12345|minor_units:"CNY" → 123.45."""
    if value is None or value == "":
        return None
    return from_minor_units(int(value), currency)
