"""Suspending and reactivating subscriptions. The decision, its audit event, the Partner Center
command and the customer notice are written in one transaction; the worker then carries the
command to Partner Center (tasks.py) and records its answer here.

Add-ons: suspending a parent suspends its active add-ons with it (each gets its own episode,
linked to the parent's, and its own command), and reactivating the parent reactivates those
add-ons too. An add-on suspended on its own stays suspended until it is reactivated itself, and
an add-on cannot be reactivated while its parent is suspended (Partner Center answers 409/27009).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import record_event
from cspbilling.core.fingerprint import fingerprint
from cspbilling.notifications.services import queue_partner_center_command
from cspbilling.subscriptions import notices, transitions
from cspbilling.subscriptions.locks import lock_subscription_and_suspension, lock_subscriptions
from cspbilling.subscriptions.mapping import subscription_fields
from cspbilling.subscriptions.models import (
    OPEN_SUSPENSION_STATUSES,
    Subscription,
    SubscriptionStatus,
    Suspension,
    SuspensionReason,
    SuspensionStatus,
)

GONE_STATUSES = {
    SubscriptionStatus.DELETED,
    SubscriptionStatus.EXPIRED,
    SubscriptionStatus.DISABLED,
}
CAUSE_FIELDS = {"policy_version", "stage", "invoice_refs", "amount", "currency"}


class SuspensionError(ValueError):
    """The request cannot be carried out; the message says why, and nothing was changed."""


def _name(sub: Subscription) -> str:
    return f"“{sub}” ({sub.subscription_id})"


def _open_suspension(sub: Subscription) -> Suspension | None:
    return (
        Suspension.objects.select_for_update()
        .filter(subscription=sub, status__in=OPEN_SUSPENSION_STATUSES)
        .first()
    )


def _check_can_suspend(sub: Subscription) -> None:
    if sub.removed_upstream_at is not None:
        raise SuspensionError(
            f"{_name(sub)} is no longer in Partner Center (since "
            f"{sub.removed_upstream_at:%Y-%m-%d}); it cannot be suspended"
        )
    if sub.status in GONE_STATUSES:
        raise SuspensionError(
            f"{_name(sub)} is {sub.status} in Partner Center; it cannot be suspended"
        )
    existing = _open_suspension(sub)
    if existing is not None:
        raise SuspensionError(
            f"{_name(sub)} already has an open suspension (#{existing.pk}, "
            f"{existing.get_status_display().lower()})"
        )
    if sub.status == SubscriptionStatus.SUSPENDED:
        raise SuspensionError(f"{_name(sub)} is already suspended")
    if sub.status != SubscriptionStatus.ACTIVE:
        raise SuspensionError(
            f"{_name(sub)} is {sub.status}; only an active subscription can be suspended"
        )


def _cause_fields(cause: dict[str, Any] | None) -> dict[str, Any]:
    cause = dict(cause or {})
    fields: dict[str, Any] = {"cause": {k: v for k, v in cause.items() if k not in CAUSE_FIELDS}}
    fields["policy_version"] = str(cause.get("policy_version") or "")
    fields["stage"] = str(cause.get("stage") or "")
    fields["invoice_refs"] = [str(ref) for ref in cause.get("invoice_refs") or []]
    fields["currency"] = str(cause.get("currency") or "")
    amount = cause.get("amount")
    if amount is not None:
        if isinstance(amount, float):
            raise SuspensionError("cause amount must be a Decimal or a string, not a float")
        try:
            fields["amount"] = Decimal(str(amount)).quantize(Decimal("0.01"))
        except InvalidOperation:
            raise SuspensionError(f"cause amount {amount!r} is not a number") from None
    return fields


def _snapshot(s: Suspension) -> dict[str, Any]:
    return {
        "status": s.status,
        "reason": s.reason,
        "suspended_at": s.suspended_at,
        "reactivated_at": s.reactivated_at,
        "data_deletion_on": s.data_deletion_on,
    }


def _queue_command(s: Suspension, *, action: str, actor: str):
    return queue_partner_center_command(
        operation=f"subscriptions.{action}",
        args={"suspension_id": s.pk},
        idempotency_key=f"suspension:{s.pk}:{action}",
        related=("suspension", s.pk),
        actor=actor,
    )


def _audit(s: Suspension, *, actor: str, action: str, before: Any, context: dict) -> None:
    record_event(
        actor=actor,
        action=action,
        object_type="subscription",
        object_id=s.subscription.subscription_id,
        before=before,
        after=_snapshot(s),
        context={"suspension_id": s.pk, **context},
    )


def _create_suspension(**fields: Any) -> Suspension:
    try:
        with transaction.atomic():  # a savepoint: a concurrent twin may have won the insert
            return Suspension.objects.create(**fields)
    except IntegrityError:
        raise SuspensionError(
            f"{_name(fields['subscription'])} already has an open suspension"
        ) from None


def suspend_subscription(
    *,
    subscription: Subscription,
    reason: str,
    actor: str,
    note: str = "",
    cause: dict[str, Any] | None = None,
) -> Suspension:
    """Ask Partner Center to suspend the subscription (and its active add-ons)."""
    if reason not in SuspensionReason.values:
        raise SuspensionError(
            f"unknown suspension reason {reason!r}; use one of {', '.join(SuspensionReason.values)}"
        )
    cause_fields = _cause_fields(cause)
    with transaction.atomic(durable=True):
        add_on_pks = Subscription.objects.filter(
            customer_id=subscription.customer_id,
            parent_subscription_id=subscription.subscription_id,
        ).values_list("pk", flat=True)
        locked = {s.pk: s for s in lock_subscriptions([subscription.pk, *add_on_pks])}
        target = locked.pop(subscription.pk)
        _check_can_suspend(target)
        now = timezone.now()
        episode = dict(reason=reason, note=note, requested_by=actor, requested_at=now)
        suspension = _create_suspension(subscription=target, **episode, **cause_fields)
        add_ons = []
        for add_on in locked.values():
            if add_on.status != SubscriptionStatus.ACTIVE or add_on.removed_upstream_at:
                continue
            if _open_suspension(add_on) is not None:
                continue
            add_ons.append(
                _create_suspension(
                    subscription=add_on, parent_suspension=suspension, **episode, **cause_fields
                )
            )
        for s in [suspension, *add_ons]:
            s.suspend_command = _queue_command(s, action="suspend", actor=actor)
        if reason == SuspensionReason.NON_PAYMENT:
            suspension.suspend_notice = notices.queue_suspension_notice(
                suspension=suspension,
                subscriptions=[s.subscription for s in [suspension, *add_ons]],
                deletion_date=transitions.data_deletion_date(now),
                actor=actor,
            )
        for s in [suspension, *add_ons]:
            s.save()
            context = {"note": note, "with_parent": s.parent_suspension_id}
            if s is suspension and reason == SuspensionReason.NON_PAYMENT:
                context["notice"] = "queued" if s.suspend_notice else s.notice_note
            _audit(
                s,
                actor=actor,
                action=AuditAction.SUBSCRIPTION_SUSPENSION_REQUESTED,
                before=None,
                context=context,
            )
    return suspension


def _parent_of(sub: Subscription) -> Subscription | None:
    if not sub.parent_subscription_id:
        return None
    return Subscription.objects.filter(
        customer_id=sub.customer_id, subscription_id=sub.parent_subscription_id
    ).first()


def _check_can_reactivate(sub: Subscription) -> None:
    if sub.removed_upstream_at is not None or sub.status in GONE_STATUSES:
        raise SuspensionError(
            f"{_name(sub)} is no longer in Partner Center or is deleted; it cannot be reactivated"
        )
    parent = _parent_of(sub)
    if parent is not None and (
        parent.status == SubscriptionStatus.SUSPENDED
        or parent.suspensions.filter(status__in=OPEN_SUSPENSION_STATUSES).exists()
    ):
        raise SuspensionError(
            f"reactivate the parent subscription {_name(parent)} first: an add-on cannot be "
            "active while its parent is suspended (Partner Center 409/27009)"
        )


def _episode_to_reactivate(sub: Subscription) -> Suspension:
    existing = _open_suspension(sub)
    if existing is None:
        if sub.status != SubscriptionStatus.SUSPENDED:
            raise SuspensionError(
                f"{_name(sub)} is {sub.status}, not suspended; nothing to reactivate"
            )
        # Suspended outside cspbilling (seen by sync): adopt it so the reactivation has a record.
        return _create_suspension(
            subscription=sub,
            reason=SuspensionReason.OTHER,
            note="suspended outside cspbilling (found suspended in Partner Center)",
            status=SuspensionStatus.SUSPENDED,
            requested_by="partner-center",
        )
    if existing.status == SuspensionStatus.REQUESTED:
        raise SuspensionError(
            f"the suspension of {_name(sub)} is still waiting for Partner Center's confirmation "
            f"(outbox message #{existing.suspend_command_id}); reactivate it once it is confirmed"
        )
    if existing.status == SuspensionStatus.REACTIVATION_REQUESTED:
        raise SuspensionError(
            f"reactivation of {_name(sub)} was already requested by "
            f"{existing.reactivation_requested_by} at "
            f"{timezone.localtime(existing.reactivation_requested_at):%Y-%m-%d %H:%M}"
        )
    return existing


def reactivate_subscription(
    *, subscription: Subscription, actor: str, note: str = ""
) -> Suspension:
    """Ask Partner Center to reactivate the subscription (and the add-ons suspended with it)."""
    with transaction.atomic(durable=True):
        with_parent = Suspension.objects.filter(
            parent_suspension__subscription=subscription,
            parent_suspension__status=SuspensionStatus.SUSPENDED,
            status=SuspensionStatus.SUSPENDED,
        ).values_list("subscription_id", flat=True)
        locked = {s.pk: s for s in lock_subscriptions([subscription.pk, *with_parent])}
        target = locked.pop(subscription.pk)
        _check_can_reactivate(target)
        suspension = _episode_to_reactivate(target)
        add_ons = [
            s
            for s in Suspension.objects.select_for_update().filter(
                parent_suspension=suspension, status=SuspensionStatus.SUSPENDED
            )
            if s.subscription_id in locked
        ]
        now = timezone.now()
        for s in [suspension, *add_ons]:
            s.subscription = target if s is suspension else locked[s.subscription_id]
            before = _snapshot(s)
            transitions.request_reactivation(s, actor=actor, at=now, note=note)
            s.reactivate_command = _queue_command(s, action="reactivate", actor=actor)
            if s is suspension:
                s.reactivate_notice = notices.queue_reactivation_notice(
                    suspension=s,
                    subscriptions=[x.subscription for x in [suspension, *add_ons]],
                    actor=actor,
                )
            s.save()
            _audit(
                s,
                actor=actor,
                action=AuditAction.SUBSCRIPTION_REACTIVATION_REQUESTED,
                before=before,
                context={"note": note, "with_parent": s.parent_suspension_id},
            )
    return suspension


def _mirror_upstream(sub: Subscription, upstream: Any, *, now) -> dict[str, Any]:
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


def record_upstream_state(
    *, suspension_id: int, upstream: Any, actor: str = "worker"
) -> Suspension:
    """Partner Center shows the subscription in the state the episode asked for: confirm it.
    Running it again changes nothing."""
    with transaction.atomic(durable=True):
        sub_pk = Suspension.objects.values_list("subscription_id", flat=True).get(pk=suspension_id)
        sub, suspension = lock_subscription_and_suspension(
            subscription_pk=sub_pk, suspension_pk=suspension_id
        )
        now = timezone.now()
        changed = _mirror_upstream(sub, upstream, now=now)
        status = str(upstream.status)
        before = _snapshot(suspension)
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
        _audit(suspension, actor=actor, action=action, before=before, context=context)
    return suspension


def record_upstream_failure(
    *, suspension_id: int, error: str, upstream_status: str | None = None, actor: str = "worker"
) -> Suspension:
    """Partner Center cannot carry the episode out (the subscription is deleted there)."""
    with transaction.atomic(durable=True):
        sub_pk = Suspension.objects.values_list("subscription_id", flat=True).get(pk=suspension_id)
        sub, suspension = lock_subscription_and_suspension(
            subscription_pk=sub_pk, suspension_pk=suspension_id
        )
        if suspension.status not in (
            SuspensionStatus.REQUESTED,
            SuspensionStatus.REACTIVATION_REQUESTED,
        ):
            return suspension
        before = _snapshot(suspension)
        transitions.fail(suspension, at=timezone.now(), error=error)
        suspension.save()
        if upstream_status and sub.status != upstream_status:
            sub.status = upstream_status
            sub.save(update_fields=["status", "updated_at"])
        suspension.subscription = sub
        _audit(
            suspension,
            actor=actor,
            action=AuditAction.SUBSCRIPTION_SUSPENSION_FAILED,
            before=before,
            context={"error": error, "upstream_status": upstream_status},
        )
    return suspension
