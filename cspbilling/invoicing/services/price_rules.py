"""Saving price rules: validated whole, a rule that could tie with another refused, audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError

from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import record_event
from cspbilling.core.services import entry_point, transaction_step
from cspbilling.invoicing.locks import lock_price_rule_scope
from cspbilling.invoicing.models import PriceRule
from cspbilling.invoicing.price_rules import (
    RULE_FIELDS,
    clean_price_rule,
    overlapping_rules,
    scope_key,
)


def _number(value: Decimal | None) -> str | None:
    """As a person writes it: 10 not 10.000 (the column's places are not a change)."""
    return None if value is None else f"{value.normalize():f}"


def _audit_view(rule: PriceRule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "customer": str(rule.customer.tenant_id) if rule.customer_id else None,
        "group": rule.group.name if rule.group_id else None,
        "offer_id": rule.offer_id,
        "durable_offer_id": rule.durable_offer_id,
        "method": rule.method,
        "percent": _number(rule.percent),
        "unit_price": _number(rule.unit_price),
        "currency": rule.currency,
        "tax_category": rule.tax_category.code,
        "effective_from": rule.effective_from.isoformat(),
        "effective_to": rule.effective_to.isoformat() if rule.effective_to else None,
    }


def _refuse_ties(cleaned: dict[str, Any], exclude_pk: int | None = None) -> None:
    lock_price_rule_scope(scope_key(cleaned))
    clash = overlapping_rules(cleaned, exclude_pk=exclude_pk).first()
    if clash is not None:
        until = clash.effective_to.isoformat() if clash.effective_to else "no end"
        raise ValidationError(
            {
                "effective_from": [
                    f"Rule #{clash.pk} “{clash.name}” has the same scope and is in effect "
                    f"{clash.effective_from.isoformat()} – {until}: the two would tie. "
                    "End that rule first or choose other dates."
                ]
            }
        )


@transaction_step
def create_price_rule(*, actor: str, **fields: Any) -> PriceRule:
    """A new rule; ValidationError (by field) when it is wrong or would tie, nothing saved."""
    cleaned = clean_price_rule(fields)
    _refuse_ties(cleaned)
    rule = PriceRule.objects.create(**cleaned, created_by=actor)
    record_event(
        actor=actor,
        action=AuditAction.PRICE_RULE_CREATED,
        object_type="price_rule",
        object_id=rule.pk,
        after=_audit_view(rule),
    )
    return rule


@transaction_step
def change_price_rule(*, rule: PriceRule, actor: str, **fields: Any) -> PriceRule:
    """Change some fields of a rule (the others stay). Invoices already made keep the price
    they recorded: a rule's change prices only what is billed after it."""
    locked = PriceRule.objects.select_related("customer", "group", "tax_category").get(pk=rule.pk)
    before = _audit_view(locked)
    whole = {name: getattr(locked, name) for name in RULE_FIELDS} | fields
    cleaned = clean_price_rule(whole)
    _refuse_ties(cleaned, exclude_pk=locked.pk)
    for name, value in cleaned.items():
        setattr(locked, name, value)
    after = _audit_view(locked)
    if after == before:
        return locked
    locked.save()
    changed = [key for key in after if after[key] != before[key]]
    record_event(
        actor=actor,
        action=AuditAction.PRICE_RULE_CHANGED,
        object_type="price_rule",
        object_id=locked.pk,
        before={key: before[key] for key in changed},
        after={key: after[key] for key in changed},
    )
    return locked


@transaction_step
def end_price_rule(*, rule: PriceRule, last_day: dt.date, actor: str) -> PriceRule:
    """A rule stops applying after `last_day` (rules are ended, never deleted: invoices name
    the rule that priced them)."""
    return change_price_rule(rule=rule, actor=actor, effective_to=last_day)


do_create_price_rule = entry_point(create_price_rule)
do_change_price_rule = entry_point(change_price_rule)
do_end_price_rule = entry_point(end_price_rule)
