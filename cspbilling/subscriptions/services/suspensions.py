"""Suspending and reactivating subscriptions. The decision, its audit event, the Partner Center
command and the customer notice are written in one transaction; the worker then carries the
command to Partner Center (tasks.py) and records its answer (services/upstream.py).

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
from cspbilling.core.services import entry_point, transaction_step
from cspbilling.notifications.models import MessageKind, MessageStatus, OutboundMessage
from cspbilling.notifications.services import queue_partner_center_command
from cspbilling.subscriptions import notices, transitions
from cspbilling.subscriptions.locks import (
    lock_open_suspension,
    lock_subscriptions,
    lock_suspended_add_on_suspensions,
)
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
    existing = lock_open_suspension(sub)
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


def suspension_snapshot(s: Suspension) -> dict[str, Any]:
    return {
        "status": s.status,
        "reason": s.reason,
        "suspended_at": s.suspended_at,
        "reactivated_at": s.reactivated_at,
        "data_deletion_on": s.data_deletion_on,
    }


def _queue_command(s: Suspension, *, action: str, actor: str):
    key = f"suspension:{s.pk}:{action}"
    # A command staff cancelled keeps its key; asking again is a new command.
    cancelled = OutboundMessage.objects.filter(
        kind=MessageKind.PARTNER_CENTER,
        idempotency_key__startswith=key,
        status=MessageStatus.CANCELLED,
    ).count()
    return queue_partner_center_command(
        operation=f"subscriptions.{action}",
        args={"suspension_id": s.pk},
        idempotency_key=f"{key}:{cancelled + 1}" if cancelled else key,
        related=("suspension", s.pk),
        actor=actor,
    )


def audit_suspension(
    s: Suspension, *, actor: str, action: AuditAction, before: Any, context: dict
) -> None:
    record_event(
        actor=actor,
        action=action,
        object_type="subscription",
        object_id=s.subscription.subscription_id,
        before=before,
        after=suspension_snapshot(s),
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


@transaction_step
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
        if lock_open_suspension(add_on) is not None:
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
        audit_suspension(
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
    existing = lock_open_suspension(sub)
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


@transaction_step
def reactivate_subscription(
    *, subscription: Subscription, actor: str, note: str = ""
) -> Suspension:
    """Ask Partner Center to reactivate the subscription (and the add-ons suspended with it)."""
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
        s for s in lock_suspended_add_on_suspensions(suspension) if s.subscription_id in locked
    ]
    now = timezone.now()
    for s in [suspension, *add_ons]:
        s.subscription = target if s is suspension else locked[s.subscription_id]
        before = suspension_snapshot(s)
        transitions.request_reactivation(s, actor=actor, at=now, note=note)
        s.reactivate_command = _queue_command(s, action="reactivate", actor=actor)
        if s is suspension:
            s.reactivate_notice = notices.queue_reactivation_notice(
                suspension=s,
                subscriptions=[x.subscription for x in [suspension, *add_ons]],
                actor=actor,
            )
        s.save()
        audit_suspension(
            s,
            actor=actor,
            action=AuditAction.SUBSCRIPTION_REACTIVATION_REQUESTED,
            before=before,
            context={"note": note, "with_parent": s.parent_suspension_id},
        )
    return suspension


do_suspend_subscription = entry_point(suspend_subscription)
do_reactivate_subscription = entry_point(reactivate_subscription)
