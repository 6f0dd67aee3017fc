"""Named row locks, always taken in primary-key order (SQLite: the transaction is the lock)."""

from __future__ import annotations

from collections.abc import Iterable

from cspbilling.subscriptions.models import (
    OPEN_SUSPENSION_STATUSES,
    Subscription,
    Suspension,
    SuspensionStatus,
)


def lock_subscriptions(pks: Iterable[int]) -> list[Subscription]:
    """The subscriptions (a parent and its add-ons), locked in pk order."""
    return list(
        Subscription.objects.select_for_update(of=("self",))
        .filter(pk__in=sorted(set(pks)))
        .order_by("pk")
        .select_related("customer")
    )


def lock_subscription_and_suspension(
    *, subscription_pk: int, suspension_pk: int
) -> tuple[Subscription, Suspension]:
    """One subscription, then its suspension episode (the order every writer uses)."""
    subscription = Subscription.objects.select_for_update().get(pk=subscription_pk)
    suspension = Suspension.objects.select_for_update().get(pk=suspension_pk)
    return subscription, suspension


def lock_open_suspension(subscription: Subscription) -> Suspension | None:
    """The subscription's open suspension episode (at most one), locked; None if it has none."""
    return (
        Suspension.objects.select_for_update()
        .filter(subscription=subscription, status__in=OPEN_SUSPENSION_STATUSES)
        .first()
    )


def lock_suspended_add_on_suspensions(parent: Suspension) -> list[Suspension]:
    """The suspended episodes of the add-ons suspended with `parent`, locked in pk order, and
    returned in the model's order (newest first)."""
    locked = list(
        Suspension.objects.select_for_update()
        .filter(parent_suspension=parent, status=SuspensionStatus.SUSPENDED)
        .order_by("pk")
    )
    return sorted(locked, key=lambda s: (s.requested_at, s.pk), reverse=True)
