"""Reading subscriptions. Portal code passes the signed-in user's customer, never a URL's id."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Count, F, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from cspbilling.customers.models import Customer
from cspbilling.notifications.models import MessageStatus
from cspbilling.subscriptions.models import (
    OPEN_SUSPENSION_STATUSES,
    Subscription,
    SubscriptionStatus,
    Suspension,
    SuspensionStatus,
)


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


def with_subscription_counts(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    """The customers, each with `subscription_count` and `suspended_count`."""
    return customers.annotate(
        subscription_count=Count("subscriptions", distinct=True),
        suspended_count=Count(
            "subscriptions",
            filter=Q(subscriptions__status=SubscriptionStatus.SUSPENDED),
            distinct=True,
        ),
    )


def subscription_counts_by_status() -> dict[str, int]:
    """{status: count} for every status, zero included, in the order of SubscriptionStatus."""
    counts = dict.fromkeys(SubscriptionStatus.values, 0)
    rows = Subscription.objects.values("status").annotate(n=Count("id")).order_by()
    for row in rows:
        counts[row["status"]] = row["n"]
    return counts


# --- suspensions -----------------------------------------------------------------------------

UPSTREAM_REQUESTED, UPSTREAM_CONFIRMED, UPSTREAM_FAILED = "requested", "confirmed", "failed"


def _suspensions() -> QuerySet[Suspension]:
    return Suspension.objects.select_related(
        "subscription__customer", "suspend_command", "reactivate_command"
    )


def open_suspensions(
    *, reason: str | None = None, status: str | None = None, query: str = ""
) -> QuerySet[Suspension]:
    """Open episodes (or failed ones, with status="failed"), the nearest data deletion first."""
    if status == SuspensionStatus.FAILED:
        qs = _suspensions().filter(status=status)  # closed, but staff look for them
    else:
        qs = _suspensions().filter(status__in=OPEN_SUSPENSION_STATUSES)
        if status:
            qs = qs.filter(status=status)
    if reason:
        qs = qs.filter(reason=reason)
    if query:
        qs = qs.filter(
            Q(subscription__customer__company_name__icontains=query)
            | Q(subscription__customer__legal_name__icontains=query)
            | Q(subscription__offer_name__icontains=query)
            | Q(subscription__subscription_id__iexact=query)
        )
    return qs.order_by(F("data_deletion_on").asc(nulls_last=True), "requested_at", "id")


def get_suspension(*, suspension_id: int) -> Suspension:
    try:
        return _suspensions().get(pk=suspension_id)
    except Suspension.DoesNotExist:
        raise Http404("no such suspension") from None


def open_suspension_for(*, subscription: Subscription) -> Suspension | None:
    return (
        _suspensions()
        .filter(subscription=subscription, status__in=OPEN_SUSPENSION_STATUSES)
        .first()
    )


def open_suspensions_by_subscription(*, subscriptions) -> dict[int, Suspension]:
    """{subscription pk: open episode} for a page of subscriptions, in one query."""
    pks = [s.pk for s in subscriptions]
    qs = Suspension.objects.filter(subscription_id__in=pks, status__in=OPEN_SUSPENSION_STATUSES)
    return {s.subscription_id: s for s in qs.select_related("suspend_command")}


def suspensions_near_deletion(*, today: date, within_days: int = 14) -> QuerySet[Suspension]:
    """Confirmed suspensions whose data the cloud deletes within `within_days` days of `today`
    (or already past it), the nearest first. For the dashboard and the daily warning."""
    return (
        _suspensions()
        .filter(
            status=SuspensionStatus.SUSPENDED,
            data_deletion_on__lte=today + timedelta(days=within_days),
        )
        .order_by("data_deletion_on", "id")
    )


def days_until_deletion(suspension: Suspension, *, today: date) -> int | None:
    if suspension.data_deletion_on is None or suspension.status != SuspensionStatus.SUSPENDED:
        return None
    return (suspension.data_deletion_on - today).days


def upstream_state(suspension: Suspension) -> tuple[str, str]:
    """(requested | confirmed | failed, the error) of the episode's latest Partner Center step."""
    if suspension.status == SuspensionStatus.FAILED:
        return UPSTREAM_FAILED, suspension.failure
    waiting = {
        SuspensionStatus.REQUESTED: suspension.suspend_command,
        SuspensionStatus.REACTIVATION_REQUESTED: suspension.reactivate_command,
    }
    if suspension.status not in waiting:
        return UPSTREAM_CONFIRMED, ""
    command = waiting[suspension.status]
    if command is not None and command.status in (MessageStatus.FAILED, MessageStatus.CANCELLED):
        return UPSTREAM_FAILED, command.last_error or command.get_status_display()
    return UPSTREAM_REQUESTED, (command.last_error if command is not None else "")


def today() -> date:
    """Today in the configured time zone (the one clock the countdowns read)."""
    return timezone.localdate()


def active_add_ons(*, subscription: Subscription) -> QuerySet[Subscription]:
    return Subscription.objects.filter(
        customer_id=subscription.customer_id,
        parent_subscription_id=subscription.subscription_id,
        status=SubscriptionStatus.ACTIVE,
        removed_upstream_at__isnull=True,
    ).exclude(subscription_id="")


def latest_suspension_for(*, subscription: Subscription) -> Suspension | None:
    """The episode that explains the subscription's current suspension, if we have one."""
    return (
        Suspension.objects.filter(
            subscription=subscription,
            status__in=[SuspensionStatus.SUSPENDED, SuspensionStatus.REACTIVATION_REQUESTED],
        )
        .order_by("-requested_at", "-id")
        .first()
    )
