"""Named row locks, always taken in primary-key order (SQLite: the transaction is the lock)."""

from __future__ import annotations

from collections.abc import Iterable

from cspbilling.subscriptions.models import Subscription, Suspension


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
