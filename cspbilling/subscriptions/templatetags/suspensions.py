"""Suspension facts for the customer page's subscription table and the portal."""

from __future__ import annotations

from django import template
from django.conf import settings

from cspbilling.accounts.permissions import MONEY_ROLES, user_has_role
from cspbilling.subscriptions import selectors
from cspbilling.subscriptions.models import Suspension
from cspbilling.subscriptions.wording import customer_next_step, customer_reason

register = template.Library()


@register.simple_tag
def open_suspensions(subscriptions) -> dict[int, Suspension]:
    """{subscription pk: open episode}, one query for the whole table."""
    return selectors.open_suspensions_by_subscription(subscriptions=list(subscriptions))


@register.filter
def for_subscription(by_pk: dict, subscription):
    return by_pk.get(subscription.pk) if by_pk else None


@register.simple_tag(takes_context=True)
def may_suspend(context) -> bool:
    request = context.get("request")
    return bool(request) and user_has_role(request.user, MONEY_ROLES)


@register.simple_tag
def suspension_notice(subscription) -> dict | None:
    """What the portal tells the customer about its suspended subscription, or None."""
    if subscription.status != "suspended":
        return None
    episode = selectors.latest_suspension_for(subscription=subscription)
    reason = episode.reason if episode else "other"
    today = selectors.today()
    days = selectors.days_until_deletion(episode, today=today) if episode else None
    return {
        "since": episode.suspended_at if episode else None,
        "reason": customer_reason(reason),
        "next_step": customer_next_step(reason),
        "deletion_on": episode.data_deletion_on if episode else None,
        "days_left": max(days, 0) if days is not None else None,
        "retention_days": settings.SUSPENDED_DATA_RETENTION_DAYS,
    }


@register.simple_tag
def days_left(suspension) -> int | None:
    return selectors.days_until_deletion(suspension, today=selectors.today())
