"""Which price rules are valid, and which one prices a charge (reads only; services write)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from cspbilling.core.attrs import clip
from cspbilling.core.money import MINOR_UNITS, MoneyError, normalise_currency
from cspbilling.customers.models import Customer
from cspbilling.invoicing.models import PriceRule, PricingMethod, TaxCategory
from cspbilling.invoicing.pricing import specificity

RULE_FIELDS = (
    "name",
    "customer",
    "group",
    "offer_id",
    "durable_offer_id",
    "method",
    "percent",
    "unit_price",
    "currency",
    "tax_category",
    "effective_from",
    "effective_to",
)
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2100, 12, 31)
MIN_PERCENT, MAX_PERCENT = Decimal(-100), Decimal(1000)
MAX_UNIT_PRICE = Decimal("1000000000")


def _decimal(value: Any, field: str, errors: dict, places: int) -> Decimal | None:
    if value in (None, ""):
        return None
    if isinstance(value, float):
        value = str(value)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        errors[field] = [f"{value!r} is not a number."]
        return None
    if not number.is_finite():
        errors[field] = [f"{value!r} is not a finite number."]
        return None
    if -number.as_tuple().exponent > places:
        errors[field] = [f"At most {places} decimal places."]
        return None
    return number


def _date(value: Any, field: str, errors: dict) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            errors[field] = [f"{value!r} is not a date (YYYY-MM-DD)."]
            return None
    if not EARLIEST <= day <= LATEST:
        errors[field] = [f"The date must be between {EARLIEST} and {LATEST}."]
        return None
    return day


def clean_price_rule(fields: dict[str, Any]) -> dict[str, Any]:
    """A whole rule's fields, cleaned; ValidationError by field for anything wrong."""
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise ValidationError(f"not a price rule field: {', '.join(sorted(unknown))}")
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {
        "name": clip(fields.get("name"), 200),
        "customer": fields.get("customer"),
        "group": fields.get("group"),
        "offer_id": clip(fields.get("offer_id"), 128),
        "durable_offer_id": clip(fields.get("durable_offer_id"), 128),
        "method": fields.get("method"),
        "tax_category": fields.get("tax_category"),
        "currency": "",
        "percent": None,
        "unit_price": None,
    }
    if not cleaned["name"]:
        errors["name"] = ["A rule needs a name."]
    if cleaned["customer"] is not None and cleaned["group"] is not None:
        errors["group"] = ["A rule is for one customer or for one group, not both."]
    if cleaned["offer_id"] and cleaned["durable_offer_id"]:
        errors["durable_offer_id"] = ["Give the offer id or the durable offer id, not both."]
    if not isinstance(cleaned["tax_category"], TaxCategory):
        errors["tax_category"] = ["Choose a tax category."]
    if cleaned["method"] == PricingMethod.PERCENT:
        percent = _decimal(fields.get("percent"), "percent", errors, places=3)
        if percent is None and "percent" not in errors:
            errors["percent"] = ["A markup or discount rule needs a percentage."]
        elif percent is not None and not MIN_PERCENT <= percent <= MAX_PERCENT:
            errors["percent"] = [f"The percentage must be between {MIN_PERCENT} and {MAX_PERCENT}."]
        cleaned["percent"] = percent
    elif cleaned["method"] == PricingMethod.UNIT_PRICE:
        price = _decimal(fields.get("unit_price"), "unit_price", errors, places=6)
        if price is None and "unit_price" not in errors:
            errors["unit_price"] = ["A fixed-price rule needs a unit price."]
        elif price is not None and not Decimal(0) <= price <= MAX_UNIT_PRICE:
            errors["unit_price"] = [f"The unit price must be between 0 and {MAX_UNIT_PRICE}."]
        cleaned["unit_price"] = price
        try:
            currency = normalise_currency(fields.get("currency") or "")
        except MoneyError:
            currency = ""
        if currency not in MINOR_UNITS:
            errors["currency"] = [f"A fixed price needs a currency ({', '.join(MINOR_UNITS)})."]
        cleaned["currency"] = currency
    else:
        errors["method"] = [f"The method is one of {', '.join(PricingMethod.values)}."]
    cleaned["effective_from"] = _date(fields.get("effective_from"), "effective_from", errors)
    if cleaned["effective_from"] is None and "effective_from" not in errors:
        errors["effective_from"] = ["A rule needs the date it takes effect."]
    cleaned["effective_to"] = _date(fields.get("effective_to"), "effective_to", errors)
    start, end = cleaned["effective_from"], cleaned["effective_to"]
    if start and end and end < start:
        errors["effective_to"] = ["The rule cannot end before it starts."]
    if errors:
        raise ValidationError(errors)
    return cleaned


def scope_key(rule: dict[str, Any] | PriceRule) -> str:
    """Rules of one scope are the ones that could tie: same customer or group, same offer key."""
    get = rule.get if isinstance(rule, dict) else lambda name: getattr(rule, name)
    customer, group = get("customer"), get("group")
    return "|".join(
        [
            f"c{customer.pk}" if customer else "",
            f"g{group.pk}" if group else "",
            get("offer_id") or "",
            get("durable_offer_id") or "",
        ]
    )


def overlapping_rules(rule: dict[str, Any], *, exclude_pk: int | None = None) -> QuerySet:
    """Rules of the same scope whose effective dates overlap this one's: they would tie."""
    start, end = rule["effective_from"], rule["effective_to"]
    qs = PriceRule.objects.filter(
        customer=rule["customer"],
        group=rule["group"],
        offer_id=rule["offer_id"],
        durable_offer_id=rule["durable_offer_id"],
    ).filter(Q(effective_to__isnull=True) | Q(effective_to__gte=start))
    if end is not None:
        qs = qs.filter(effective_from__lte=end)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.order_by("pk")


def rule_specificity(rule: PriceRule) -> int:
    return specificity(
        customer=rule.customer_id is not None,
        group=rule.group_id is not None,
        offer_id=bool(rule.offer_id),
        durable_offer_id=bool(rule.durable_offer_id),
    )


def rule_for(
    customer: Customer, *, offer_id: str, durable_offer_id: str, on: dt.date
) -> PriceRule | None:
    """The rule that prices this customer's charge for this offer on this day, or None."""
    party = Q(customer__isnull=True, group__isnull=True) | Q(customer=customer)
    if customer.group_id is not None:
        party |= Q(group_id=customer.group_id)
    offer = Q(offer_id="", durable_offer_id="")
    if offer_id:
        offer |= Q(offer_id=offer_id)
    if durable_offer_id:
        offer |= Q(durable_offer_id=durable_offer_id)
    candidates = (
        PriceRule.objects.filter(party, offer, effective_from__lte=on)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on))
        .select_related("tax_category")
    )
    return max(candidates, key=rule_specificity, default=None)
