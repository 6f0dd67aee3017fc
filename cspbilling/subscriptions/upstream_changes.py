"""Suspensions and reactivations done in Partner Center itself, seen by the sync.

Runs inside the sync's transaction. A subscription found suspended with no record of ours gets
one (so its data-deletion countdown starts); one of ours found active again is closed.
"""

from __future__ import annotations

from datetime import datetime

from cspbilling.audit.actions import AuditAction
from cspbilling.subscriptions import transitions
from cspbilling.subscriptions.models import (
    OPEN_SUSPENSION_STATUSES,
    Subscription,
    SubscriptionStatus,
    Suspension,
    SuspensionReason,
    SuspensionStatus,
)

SEEN_SUSPENDED_NOTE = (
    "suspended outside cspbilling: found suspended in Partner Center by the sync at {at:%Y-%m-%d "
    "%H:%M} UTC; it may have been suspended earlier, so the data may be deleted sooner"
)


def status_changes_from_events(events: list[dict]) -> dict[str, tuple[str, str]]:
    """{subscription id: (status before, status after)} from the sync's change events."""
    return {
        event["object_id"]: (event["before"]["status"], event["after"]["status"])
        for event in events
        if event["action"] == AuditAction.SUBSCRIPTION_CHANGED_UPSTREAM
        and "status" in event["after"]
    }


def record_upstream_status_changes(
    *, changes: dict[str, tuple[str, str]], now: datetime
) -> list[dict]:
    """Open or close suspension records to match; returns the audit events to write."""
    if not changes:
        return []
    subscriptions = Subscription.objects.filter(subscription_id__in=list(changes))
    open_by_sub = {
        s.subscription_id: s
        for s in Suspension.objects.filter(
            subscription__in=subscriptions, status__in=OPEN_SUSPENSION_STATUSES
        )
    }
    events = []
    for sub in subscriptions:
        _, after = changes[sub.subscription_id]
        episode = open_by_sub.get(sub.pk)
        if after == SubscriptionStatus.SUSPENDED and episode is None:
            episode = Suspension(
                subscription=sub,
                reason=SuspensionReason.OTHER,
                note=SEEN_SUSPENDED_NOTE.format(at=now),
                status=SuspensionStatus.SUSPENDED,
                requested_by="partner-center",
                requested_at=now,
                suspended_at=now,
                data_deletion_on=transitions.data_deletion_date(now),
            )
            episode.save()
            events.append(_event(sub, episode, AuditAction.SUSPENSION_SEEN_UPSTREAM))
        elif (
            after == SubscriptionStatus.ACTIVE
            and episode is not None
            # A requested suspension or reactivation is settled by its own command.
            and episode.status == SuspensionStatus.SUSPENDED
        ):
            transitions.confirm_reactivated_outside(episode, at=now)
            episode.save()
            events.append(_event(sub, episode, AuditAction.SUSPENSION_REACTIVATED_UPSTREAM))
    return events


def _event(sub: Subscription, episode: Suspension, action: str) -> dict:
    return {
        "action": action,
        "object_type": "subscription",
        "object_id": sub.subscription_id,
        "after": {
            "status": episode.status,
            "suspended_at": episode.suspended_at,
            "reactivated_at": episode.reactivated_at,
            "data_deletion_on": episode.data_deletion_on,
        },
        "context": {"suspension_id": episode.pk},
    }
