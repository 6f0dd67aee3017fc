"""Partner Center's answers about a subscription: a suspension or reactivation it carried out or
could not, and (seen by the sync) one done in Partner Center itself."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from cspbilling.audit.actions import AuditAction
from cspbilling.core.fingerprint import fingerprint
from cspbilling.core.services import entry_point, transaction_step
from cspbilling.subscriptions import transitions
from cspbilling.subscriptions.locks import lock_subscription_and_suspension
from cspbilling.subscriptions.mapping import subscription_fields
from cspbilling.subscriptions.models import (
    OPEN_SUSPENSION_STATUSES,
    Subscription,
    SubscriptionStatus,
    Suspension,
    SuspensionReason,
    SuspensionStatus,
)
from cspbilling.subscriptions.services.suspensions import audit_suspension, suspension_snapshot

SEEN_SUSPENDED_NOTE = (
    "suspended outside cspbilling: found suspended in Partner Center by the sync at {at:%Y-%m-%d "
    "%H:%M} UTC; it may have been suspended earlier, so the data may be deleted sooner"
)


def _mirror_upstream(sub: Subscription, upstream: Any, *, now: datetime) -> dict[str, Any]:
    """Write Partner Center's answer into the mirror exactly as a sync would; returns the change."""
    fields = subscription_fields(upstream)
    fp = fingerprint(fields)
    if fp == sub.upstream_fingerprint:
        return {}
    changed = {
        name: (getattr(sub, name), value)
        for name, value in fields.items()
        if getattr(sub, name) != value
    }
    for name, value in fields.items():
        setattr(sub, name, value)
    sub.upstream_fingerprint = fp
    sub.last_synced_at = now
    sub.save()
    return changed


@transaction_step
def record_upstream_state(
    *, suspension_id: int, upstream: Any, actor: str = "worker"
) -> Suspension:
    """Partner Center shows the subscription in the state the episode asked for: confirm it.
    Running it again changes nothing."""
    sub_pk = Suspension.objects.values_list("subscription_id", flat=True).get(pk=suspension_id)
    sub, suspension = lock_subscription_and_suspension(
        subscription_pk=sub_pk, suspension_pk=suspension_id
    )
    now = timezone.now()
    changed = _mirror_upstream(sub, upstream, now=now)
    status = str(upstream.status)
    before = suspension_snapshot(suspension)
    if suspension.status == SuspensionStatus.REQUESTED and status == "suspended":
        transitions.confirm_suspended(suspension, at=now)
        action = AuditAction.SUBSCRIPTION_SUSPENDED
    elif suspension.status == SuspensionStatus.REACTIVATION_REQUESTED and status == "active":
        transitions.confirm_reactivated(suspension, at=now)
        action = AuditAction.SUBSCRIPTION_REACTIVATED
    else:
        return suspension
    suspension.save()
    suspension.subscription = sub
    context = {
        "requested_by": suspension.reactivation_requested_by or suspension.requested_by,
        "upstream_status": status,
        "suspension_reasons": list(upstream.suspension_reasons or []),
        "mirror_changed": {k: {"before": b, "after": a} for k, (b, a) in changed.items()},
    }
    audit_suspension(suspension, actor=actor, action=action, before=before, context=context)
    return suspension


@transaction_step
def record_upstream_failure(
    *, suspension_id: int, error: str, upstream_status: str | None = None, actor: str = "worker"
) -> Suspension:
    """Partner Center cannot carry the episode out (the subscription is deleted there)."""
    sub_pk = Suspension.objects.values_list("subscription_id", flat=True).get(pk=suspension_id)
    sub, suspension = lock_subscription_and_suspension(
        subscription_pk=sub_pk, suspension_pk=suspension_id
    )
    if suspension.status not in (
        SuspensionStatus.REQUESTED,
        SuspensionStatus.REACTIVATION_REQUESTED,
    ):
        return suspension
    before = suspension_snapshot(suspension)
    transitions.fail(suspension, at=timezone.now(), error=error)
    suspension.save()
    if upstream_status and sub.status != upstream_status:
        sub.status = upstream_status
        sub.save(update_fields=["status", "updated_at"])
    suspension.subscription = sub
    audit_suspension(
        suspension,
        actor=actor,
        action=AuditAction.SUBSCRIPTION_SUSPENSION_FAILED,
        before=before,
        context={"error": error, "upstream_status": upstream_status},
    )
    return suspension


@transaction_step
def record_upstream_status_changes(
    *, changes: dict[str, tuple[str, str]], now: datetime
) -> list[dict]:
    """Open or close suspension records to match the sync's status changes; returns the audit
    events to write. A subscription found suspended with no record of ours gets one (so its
    data-deletion countdown starts); one of ours found active again is closed."""
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


def _event(sub: Subscription, episode: Suspension, action: AuditAction) -> dict:
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


@transaction_step
def withdraw_cancelled_command(args: dict, *, actor: str, reason: str = "") -> None:
    """Staff cancelled this suspension's Partner Center command before it was carried out: a
    suspension never sent is failed with that reason (nothing changed upstream; a new one may be
    asked for), a reactivation never sent goes back to suspended (it may be asked for again).
    Whatever Partner Center did meanwhile, the next sync records it."""
    suspension_id = args.get("suspension_id")
    sub_pk = Suspension.objects.filter(pk=suspension_id).values_list("subscription_id", flat=True)
    if not sub_pk:
        return
    sub, suspension = lock_subscription_and_suspension(
        subscription_pk=sub_pk[0], suspension_pk=suspension_id
    )
    before = suspension_snapshot(suspension)
    why = f"its Partner Center command was cancelled by {actor}" + (f": {reason}" if reason else "")
    if suspension.status == SuspensionStatus.REQUESTED:
        transitions.fail(suspension, at=timezone.now(), error=why)
        action = AuditAction.SUBSCRIPTION_SUSPENSION_FAILED
    elif suspension.status == SuspensionStatus.REACTIVATION_REQUESTED:
        transitions.withdraw_reactivation(suspension)
        action = AuditAction.SUBSCRIPTION_REACTIVATION_WITHDRAWN
    else:
        return  # already carried out or settled: the record says what happened
    suspension.save()
    suspension.subscription = sub
    audit_suspension(suspension, actor=actor, action=action, before=before, context={"why": why})


do_record_upstream_state = entry_point(record_upstream_state)
do_record_upstream_failure = entry_point(record_upstream_failure)
