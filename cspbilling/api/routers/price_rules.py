"""What customers pay: price rules and customer groups. Staff read; finance and administrators
write. A body the schema refuses is a 422; one the rules refuse (a percentage out of range, an
unknown customer or group, a rule that would tie with another) is a 409 naming the field.
Nothing is saved then."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError as FieldErrors
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Query, Router, Status

from cspbilling.accounts.permissions import MONEY_ROLES, READ_ROLES
from cspbilling.api.common import ERRORS, WRITE_ERRORS, actor, money, require_roles
from cspbilling.api.problems import problem_response
from cspbilling.api.schemas.invoicing import (
    CustomerGroupIn,
    GroupIn,
    GroupOut,
    PriceRuleChange,
    PriceRuleIn,
    PriceRuleOut,
    PriceRulePage,
)
from cspbilling.customers.models import Customer, CustomerGroup
from cspbilling.customers.services import do_assign_customer_group, do_create_customer_group
from cspbilling.invoicing import selectors
from cspbilling.invoicing.models import PriceRule, TaxCategory
from cspbilling.invoicing.price_rules import rule_specificity
from cspbilling.invoicing.services import do_change_price_rule, do_create_price_rule

router = Router(tags=["pricing"])
FOR_CUSTOMER = Query(None, description="Rules for this customer only.")
IN_EFFECT_ON = Query(None, description="Rules in effect on this day.")


def _rule_out(rule: PriceRule) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "name": rule.name,
        "customer_tenant_id": rule.customer.tenant_id if rule.customer_id else None,
        "group": rule.group.name if rule.group_id else None,
        "offer_id": rule.offer_id,
        "durable_offer_id": rule.durable_offer_id,
        "method": rule.method,
        "percent": None if rule.percent is None else format(rule.percent.normalize(), "f"),
        "unit_price": money(rule.unit_price),
        "currency": rule.currency,
        "tax_category": rule.tax_category.code,
        "tax_rate": format(rule.tax_category.rate.normalize(), "f"),
        "effective_from": rule.effective_from,
        "effective_to": rule.effective_to,
        "specificity": rule_specificity(rule),
        "created_by": rule.created_by,
    }


def _refused(request: HttpRequest, exc: FieldErrors) -> HttpResponse:
    fields = exc.message_dict if hasattr(exc, "error_dict") else {"body": exc.messages}
    errors = [
        {"loc": ["body", field], "msg": message, "type": "value_error"}
        for field, messages in fields.items()
        for message in messages
    ]
    where = "; ".join(f"{e['loc'][1]}: {e['msg']}" for e in errors[:5])
    return problem_response(request, 409, f"Not saved: {where}", errors=errors)


def _references(payload: dict[str, Any]) -> dict[str, Any]:
    """Names and ids in the body, as the objects they name; 422 problems when one is unknown."""
    fields = dict(payload)
    errors: dict[str, list[str]] = {}
    if "customer_tenant_id" in fields:
        tenant = fields.pop("customer_tenant_id")
        fields["customer"] = Customer.objects.filter(tenant_id=tenant).first() if tenant else None
        if tenant and fields["customer"] is None:
            errors["customer_tenant_id"] = [f"No customer has tenant id {tenant}."]
    if "group" in fields:
        name = (fields["group"] or "").strip()
        fields["group"] = CustomerGroup.objects.filter(name=name).first() if name else None
        if name and fields["group"] is None:
            errors["group"] = [f"No customer group is named {name!r}."]
    if "tax_category" in fields:
        code = fields["tax_category"]
        fields["tax_category"] = TaxCategory.objects.filter(code=code).first()
        if fields["tax_category"] is None:
            errors["tax_category"] = [f"No tax category has the code {code!r}."]
    if errors:
        raise FieldErrors(errors)
    return fields


def _rule(rule_id: int) -> PriceRule:
    rule = selectors.price_rules().filter(pk=rule_id).first()
    if rule is None:
        raise Http404("no such rule")
    return rule


@router.get("/price-rules", response={200: PriceRulePage, **ERRORS})
def list_price_rules(
    request: HttpRequest,
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=1_000_000),
    customer_tenant_id: UUID | None = FOR_CUSTOMER,
    in_effect_on: dt.date | None = IN_EFFECT_ON,
):
    """Price rules, oldest first."""
    require_roles(request, READ_ROLES)
    qs = selectors.price_rules(customer_tenant_id=customer_tenant_id, in_effect_on=in_effect_on)
    return {
        "count": qs.count(),
        "limit": limit,
        "offset": offset,
        "items": [_rule_out(rule) for rule in qs[offset : offset + limit]],
    }


@router.get("/price-rules/{rule_id}", response={200: PriceRuleOut, **ERRORS})
def get_price_rule(request: HttpRequest, rule_id: int):
    require_roles(request, READ_ROLES)
    return _rule_out(_rule(rule_id))


@router.post("/price-rules", response={201: PriceRuleOut, **WRITE_ERRORS})
def create_price_rule(request: HttpRequest, payload: PriceRuleIn):
    """A new rule. 409 naming the field when the rules refuse it (for instance it would tie with
    a rule of the same scope in effect on overlapping dates); nothing is saved then."""
    require_roles(request, MONEY_ROLES)
    try:
        fields = _references(payload.dict())
        rule = do_create_price_rule(actor=actor(request), **fields)
    except FieldErrors as exc:
        return _refused(request, exc)
    return Status(201, _rule_out(_rule(rule.pk)))


@router.patch("/price-rules/{rule_id}", response={200: PriceRuleOut, **WRITE_ERRORS})
def change_price_rule(request: HttpRequest, rule_id: int, payload: PriceRuleChange):
    """Change what is sent (to end a rule, send its `effective_to`). Invoices already made keep
    the price they recorded."""
    require_roles(request, MONEY_ROLES)
    rule = _rule(rule_id)
    try:
        fields = _references(payload.dict(exclude_unset=True))
        do_change_price_rule(rule=rule, actor=actor(request), **fields)
    except FieldErrors as exc:
        return _refused(request, exc)
    return _rule_out(_rule(rule.pk))


@router.get("/customer-groups", response={200: list[GroupOut], **ERRORS})
def list_customer_groups(request: HttpRequest):
    require_roles(request, READ_ROLES)
    groups = CustomerGroup.objects.annotate(members=Count("customers")).order_by("name")
    return [
        {"id": g.pk, "name": g.name, "description": g.description, "customers": g.members}
        for g in groups
    ]


@router.post("/customer-groups", response={201: GroupOut, **WRITE_ERRORS})
def create_customer_group(request: HttpRequest, payload: GroupIn):
    require_roles(request, MONEY_ROLES)
    try:
        group = do_create_customer_group(
            name=payload.name, description=payload.description, actor=actor(request)
        )
    except FieldErrors as exc:
        return _refused(request, exc)
    out = {"id": group.pk, "name": group.name, "description": group.description, "customers": 0}
    return Status(201, out)


@router.put("/customers/{tenant_id}/group", response={200: GroupOut | None, **WRITE_ERRORS})
def assign_customer_group(request: HttpRequest, tenant_id: UUID, payload: CustomerGroupIn):
    """Put the customer in a group (its price rules apply from the next billing run), or in
    none (`"group": null`)."""
    require_roles(request, MONEY_ROLES)
    customer = Customer.objects.filter(tenant_id=tenant_id).first()
    if customer is None:
        raise Http404("no such customer")
    try:
        group = _references({"group": payload.group})["group"] if payload.group else None
    except FieldErrors as exc:
        return _refused(request, exc)
    do_assign_customer_group(customer=customer, group=group, actor=actor(request))
    if group is None:
        return None
    members = group.customers.count()
    return {
        "id": group.pk,
        "name": group.name,
        "description": group.description,
        "customers": members,
    }
