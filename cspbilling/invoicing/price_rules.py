"""Which price rules are valid, and which one prices a charge (reads only; services write)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
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
    elif cleaned["method"] != PricingMethod.EXCLUDE:
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


class RuleBook:
    """Rules in memory, found by who they are for: a billing run asks for hundreds of thousands
    of charges without a query each. The one definition of which rule prices a charge."""

    def __init__(self, rules: Iterable[PriceRule], group_of: dict[int, int | None]) -> None:
        self.group_of = group_of
        self.by_customer: dict[int, list[PriceRule]] = defaultdict(list)
        self.by_group: dict[int, list[PriceRule]] = defaultdict(list)
        self.for_everyone: list[PriceRule] = []
        for rule in rules:
            if rule.customer_id is not None:
                self.by_customer[rule.customer_id].append(rule)
            elif rule.group_id is not None:
                self.by_group[rule.group_id].append(rule)
            else:
                self.for_everyone.append(rule)

    def rule_for(
        self, customer_id: int, *, offer_id: str, durable_offer_id: str, on: dt.date
    ) -> PriceRule | None:
        group_id = self.group_of.get(customer_id)
        candidates = [
            *self.by_customer.get(customer_id, ()),
            *(self.by_group.get(group_id, ()) if group_id is not None else ()),
            *self.for_everyone,
        ]
        best, best_rank = None, -1
        for rule in candidates:
            if rule.effective_from > on or (rule.effective_to and rule.effective_to < on):
                continue
            if rule.offer_id and rule.offer_id != offer_id:
                continue
            if rule.durable_offer_id and rule.durable_offer_id != durable_offer_id:
                continue
            rank = rule_specificity(rule)
            if rank > best_rank:
                best, best_rank = rule, rank
        return best


def rule_book() -> RuleBook:
    """Every rule, and every customer's group."""
    rules = PriceRule.objects.select_related("tax_category")
    groups = dict(Customer.objects.filter(group__isnull=False).values_list("id", "group_id"))
    return RuleBook(rules, groups)


def rule_for(
    customer: Customer, *, offer_id: str, durable_offer_id: str, on: dt.date
) -> PriceRule | None:
    """The rule that prices this customer's charge for this offer on this day, or None."""
    party = Q(customer__isnull=True, group__isnull=True) | Q(customer=customer)
    if customer.group_id is not None:
        party |= Q(group_id=customer.group_id)
    candidates = PriceRule.objects.filter(party).select_related("tax_category")
    book = RuleBook(candidates, {customer.pk: customer.group_id})
    return book.rule_for(customer.pk, offer_id=offer_id, durable_offer_id=durable_offer_id, on=on)
