"""Suspending for non-payment, carefully: proof of notice, the circuit breaker, the pause switch,
staff approval, and the suspension itself through subscriptions' step (with its cause)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Expression
from django.utils import timezone

from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import record_event
from cspbilling.collections import decisions
from cspbilling.collections.locks import lock_collections_switch
from cspbilling.collections.models import (
    Action,
    ActionKind,
    ActionStatus,
    PolicyVersion,
    Stage,
)
from cspbilling.collections.notices import queue_breaker_alert
from cspbilling.collections.services.reinstatement import in_suspension_condition
from cspbilling.core.money import from_minor_units
from cspbilling.core.services import entry_point, transaction_step
from cspbilling.customers.locks import lock_customer
from cspbilling.notifications.models import MessageStatus
from cspbilling.subscriptions.models import Subscription, SubscriptionStatus, SuspensionReason
from cspbilling.subscriptions.services import suspend_subscription
from cspbilling.workdays.calendar import china_calendar


class ApprovalError(ValueError):
    """An approval that cannot be decided; says why."""


@dataclass
class SuspensionPlan:
    action: Action
    stage: Stage


@dataclass(frozen=True, slots=True)
class StageRef:
    position: int
    code: str


@dataclass(frozen=True, slots=True)
class MessageRef:
    pk: int
    status: str
    delivered_at: dt.datetime | None
    last_error: str


@dataclass(frozen=True, slots=True)
class SentNotice:
    """A notice of the episode as proof of notice reads it (the action's and its outbox
    message's few columns: tens of thousands are read in a day's run)."""

    stage: StageRef
    status: str
    reason: str
    as_of: dt.date
    message: MessageRef | None

    @property
    def message_id(self) -> int | None:
        return self.message.pk if self.message else None


def notices_by_episode(
    episode_ids: set[int] | Expression, *, within: tuple[int, int] | None = None
) -> dict[int, list[SentNotice]]:
    """The notices (not skipped) of these episodes, in stage order, with their outbox rows.
    Read by episode alone (its index), the stages looked up apart: joined to the stages,
    SQLite walked every action of each stage for each batch (14 s for 45,000 episodes).
    `episode_ids` may be an SQL expression selecting them (one query, not batches of ids);
    `within`: the range of their customers' ids (the action key's index is then read for that
    range, not every action scanned: PostgreSQL did, 40 ms for each run's chunk)."""
    stages = {
        pk: StageRef(position, code)
        for pk, position, code in Stage.objects.values_list("pk", "position", "code")
    }
    columns = ("episode_id", "stage_id", "status", "reason", "as_of")
    columns += ("message_id", "message__status", "message__delivered_at", "message__last_error")
    notices = (
        Action.objects.filter(kind=ActionKind.NOTIFY)
        .exclude(status=ActionStatus.SKIPPED)
        .order_by()
    )
    if within is not None:
        notices = notices.filter(customer_id__gte=within[0], customer_id__lte=within[1])
    found: dict[int, list[SentNotice]] = {}
    if isinstance(episode_ids, Expression):
        batches = [notices.filter(episode_id__in=episode_ids)]
    else:
        ids = sorted(episode_ids)
        batches = [
            notices.filter(episode_id__in=ids[start : start + 500])
            for start in range(0, len(ids), 500)
        ]
    for chunk in batches:
        for episode, stage_id, status, reason, as_of, *message in chunk.values_list(*columns):
            sent = MessageRef(*message) if message[0] is not None else None
            found.setdefault(episode, []).append(
                SentNotice(stages[stage_id], status, reason, as_of, sent)
            )
    for notices_of_episode in found.values():
        notices_of_episode.sort(key=lambda notice: notice.stage.position)
    return found


@dataclass(frozen=True)
class NoticeWait:
    """Why a suspension waits for proof of notice, and when it is worth deciding again: not
    before `possible_from`, nor while the message of the notice `waiting_for` is undelivered
    (a notice of this run has its message only once the run queues its notices)."""

    reason: str
    possible_from: dt.date | None = None
    waiting_for: Any = None  # the notice (an Action, or one this run decided)


def proof_of_notice_wait(
    action: Action,
    *,
    stage: Stage,
    version: PolicyVersion,
    as_of: dt.date,
    episode_notices: list[SentNotice] | None = None,
    zone: dt.tzinfo | None = None,
) -> NoticeWait | None:
    """Why the suspension must wait (None when the notices promised were delivered in time):
    every earlier notice of this episode delivered, the latest at least `min_notice_days` ago.
    `episode_notices`: the episode's notices when the caller fetched them for many at once;
    `zone`: the time zone of delivery days, when the caller looked it up once for many (the
    lookup is most of the cost of a call)."""
    if action.episode_id is None:
        return NoticeWait("no notice was sent in this overdue episode")
    if episode_notices is None:
        episode_notices = notices_by_episode({action.episode_id}).get(action.episode_id, [])
    notices = [n for n in episode_notices if n.stage.position < stage.position]
    if not notices:
        return NoticeWait("no notice was sent in this overdue episode")
    latest: dt.date | None = None
    zone = zone or timezone.get_current_timezone()
    for notice in notices:
        message = notice.message
        if notice.status != ActionStatus.DONE or message is None:
            return NoticeWait(
                f"the notice of stage {notice.stage.code} was not sent: {notice.reason}"
            )
        if message.status in (MessageStatus.PENDING, MessageStatus.SENDING):
            return awaiting_delivery(notice, version=version)
        if message.status != MessageStatus.DELIVERED or message.delivered_at is None:
            return NoticeWait(not_delivered(notice))
        day = message.delivered_at.astimezone(zone).date()
        latest = day if latest is None or day > latest else latest
    ready = latest + dt.timedelta(days=version.min_notice_days)
    if ready > as_of:
        return NoticeWait(
            f"the last notice was delivered on {latest}: the policy promises "
            f"{version.min_notice_days} days, so suspension is possible from {ready}",
            possible_from=ready,
        )
    return None


def awaiting_delivery(notice: Any, *, version: PolicyVersion) -> NoticeWait:
    """A suspension waiting for a notice queued and not delivered yet. The same words on the
    day's first run (which queues it) and on any later run while it waits, so a second run the
    same day finds the action held for the same reason and writes nothing."""
    ready = notice.as_of + dt.timedelta(days=version.min_notice_days)
    return NoticeWait(
        f"the notice of stage {notice.stage.code} (queued {notice.as_of}) is not delivered yet: "
        f"the policy promises {version.min_notice_days} days after it is delivered, so "
        f"suspension is possible from {ready} at the earliest",
        possible_from=ready,
        waiting_for=notice,
    )


def not_delivered(notice: Any) -> str:
    message = notice.message
    why = f" ({message.last_error})" if message.last_error else ""
    return (
        f"the notice of stage {notice.stage.code} (outbox #{message.pk}) is "
        f"{message.status}, not delivered{why}"
    )


def _active_parents(customer_id: int) -> list[Subscription]:
    return list(
        Subscription.objects.filter(
            customer_id=customer_id,
            status=SubscriptionStatus.ACTIVE,
            removed_upstream_at=None,
            parent_subscription_id="",
        ).order_by("pk")
    )


def apply_breaker(plans: list[SuspensionPlan], *, as_of: dt.date, paused: bool, actor: str) -> str:
    """Hold every planned suspension when paused or when the breaker trips (and alert staff);
    returns why the breaker tripped, or ""."""
    if paused:
        for plan in plans:
            plan.action.status = ActionStatus.HELD
            plan.action.reason = "suspensions are paused (the global switch)"
        return ""
    customers = len({p.action.customer_id for p in plans})
    subs = Subscription.objects.filter(
        customer_id__in={p.action.customer_id for p in plans},
        status=SubscriptionStatus.ACTIVE,
        removed_upstream_at=None,
    ).count()
    all_customers = (
        Subscription.objects.filter(status=SubscriptionStatus.ACTIVE)
        .values("customer_id")
        .distinct()
        .count()
    )
    all_subs = Subscription.objects.filter(status=SubscriptionStatus.ACTIVE).count()
    percent, allowed = settings.COLLECTIONS_BREAKER_PERCENT, settings.COLLECTIONS_BREAKER_ALLOW
    too_many = customers > allowed and (
        customers * 100 > percent * max(all_customers, 1) or subs * 100 > percent * max(all_subs, 1)
    )
    if not too_many:
        return ""
    why = (
        f"the run of {as_of} would suspend {customers} of {all_customers} customers and {subs} of "
        f"{all_subs} active subscriptions, more than the breaker's {percent}%"
    )
    for plan in plans:
        plan.action.status = ActionStatus.HELD
        plan.action.reason = f"circuit breaker: {why}"
    queue_breaker_alert(as_of=as_of, text=why, actor=actor)
    record_event(
        actor=actor,
        action=AuditAction.COLLECTIONS_BREAKER_TRIPPED,
        object_type="collections_run",
        object_id=as_of.isoformat(),
        after={"why": why, "customers": customers, "subscriptions": subs},
    )
    return why


OUT_OF_CONDITION = (
    "out of the suspension condition when the suspension was due: paid, credited or disputed "
    "since what the customer owes was read"
)


def still_in_suspension_condition(customer_id: int, as_of: dt.date) -> bool:
    """What the customer owes read afresh, not as the run read it: a payment committed since
    must not be followed by a suspension. The caller holds the customer's lock (every change
    of what a customer owes takes it first), so none can be committed after this reading: a
    payment waiting for the lock finds the suspension once it has it, and reinstates."""
    owed = decisions.overdue_customers(as_of, customer_id=customer_id).get(customer_id)
    return in_suspension_condition(customer_id, owed, as_of=as_of, calendar=china_calendar())


def suspend_customer(plan: SuspensionPlan, *, actor: str, as_of: dt.date | None = None) -> bool:
    """Suspend the customer's active subscriptions (add-ons go with their parent), each with the
    cause: policy version, stage, invoices, amount. Returns False, the action held with why,
    when the customer is no longer in the suspension condition on `as_of` (default: the day the
    action was decided)."""
    action = plan.action
    if not still_in_suspension_condition(action.customer_id, as_of or action.as_of):
        action.status, action.reason = ActionStatus.HELD, OUT_OF_CONDITION
        return False
    cause = {
        "policy_version": action.policy_version,
        "stage": plan.stage.code,
        "invoice_refs": action.invoice_refs,
        "amount": from_minor_units(action.amount_minor, action.currency),
        "currency": action.currency,
        "by": "collections",
    }
    ids = []
    for sub in _active_parents(action.customer_id):
        ids.append(
            suspend_subscription(
                subscription=sub,
                reason=SuspensionReason.NON_PAYMENT,
                actor=actor,
                note=f"collections: stage {plan.stage.code} of {action.policy_version}",
                cause=cause,
            ).pk
        )
    action.status = ActionStatus.DONE
    action.suspension_ids = ids
    if not ids:
        action.reason = "no active subscription to suspend"
    return True


@transaction_step
def decide_approval(*, action: Action, approve: bool, actor: str, note: str = "") -> Action:
    """Staff approve (the suspension happens now, with the evidence re-checked) or reject."""
    switch = lock_collections_switch()
    action = (
        Action.objects.select_for_update()
        .select_related("stage__version__policy")
        .get(pk=action.pk)
    )
    if action.status != ActionStatus.AWAITING_APPROVAL:
        raise ApprovalError(
            f"this suspension is {action.get_status_display().lower()}, not waiting"
        )
    if approve:
        if switch.paused:
            raise ApprovalError("suspensions are paused (the global switch): unpause first")
        if action.episode.closed_on is not None:
            raise ApprovalError("the customer is no longer overdue: nothing to suspend")
        lock_customer(action.customer_id)  # see still_in_suspension_condition
        plan = SuspensionPlan(action=action, stage=action.stage)
        if not suspend_customer(plan, actor=actor, as_of=timezone.localdate()):
            raise ApprovalError(f"nothing to suspend: {OUT_OF_CONDITION}")
    else:
        action.status = ActionStatus.REJECTED
    action.reason = note or ("approved" if approve else "rejected")
    action.decided_at, action.decided_by = timezone.now(), actor
    action.save(update_fields=["status", "reason", "suspension_ids", "decided_at", "decided_by"])
    record_event(
        actor=actor,
        action=AuditAction.COLLECTIONS_APPROVAL_DECIDED,
        object_type="customer",
        object_id=action.customer_id,
        after={
            "approved": approve,
            "stage": action.stage.code,
            "policy_version": action.policy_version,
            "suspensions": action.suspension_ids,
            "note": note,
        },
    )
    return action


do_decide_approval = entry_point(decide_approval)
