"""Reading subscriptions. Portal code passes the signed-in user's customer, never a URL's id."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.http import Http404

from cspbilling.customers.models import Customer
from cspbilling.subscriptions.models import Subscription, SubscriptionStatus


def subscriptions_for_customer(*, customer: Customer) -> QuerySet[Subscription]:
    return Subscription.objects.filter(customer=customer).order_by("offer_name", "id")


def get_subscription_for_customer(*, customer: Customer, subscription_id: str) -> Subscription:
    """A subscription of this customer, or Http404 (another customer's is simply not found)."""
    try:
        return Subscription.objects.select_related("customer").get(
            customer=customer, subscription_id=subscription_id
        )
    except Subscription.DoesNotExist:
        raise Http404("no such subscription") from None


def get_subscription(*, subscription_id: str) -> Subscription:
    try:
        return Subscription.objects.select_related("customer").get(subscription_id=subscription_id)
    except Subscription.DoesNotExist:
        raise Http404("no such subscription") from None


def subscriptions_for_user(*, user) -> QuerySet[Subscription]:
    """Every subscription for staff; only its customer's for a portal user."""
    qs = Subscription.objects.select_related("customer")
    if getattr(user, "is_portal_user", False):
        return qs.filter(customer_id=user.customer_id)
    return qs


def subscription_counts_by_status() -> dict[str, int]:
    """{status: count} for every status, zero included, in the order of SubscriptionStatus."""
    counts = dict.fromkeys(SubscriptionStatus.values, 0)
    rows = Subscription.objects.values("status").annotate(n=Count("id")).order_by()
    for row in rows:
        counts[row["status"]] = row["n"]
    return counts
