"""What staff decide outside the run: promises to pay, exemptions, the global pause switch, and
closing the tasks (escalate actions) the run opened for a person."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import record_event
from cspbilling.collections.locks import lock_collections_switch
from cspbilling.collections.models import (
    Action,
    ActionKind,
    ActionStatus,
    Exemption,
    PauseSwitch,
    PromiseToPay,
)
from cspbilling.core.money import MoneyError, to_minor_units
from cspbilling.core.services import entry_point, transaction_step
from cspbilling.customers.locks import lock_customer
from cspbilling.customers.models import Customer


class CollectionsError(ValueError):
    """A staff request that cannot be carried out; says why."""


@transaction_step
def record_promise(
    *, customer: Customer, amount: Decimal, promised_on: dt.date, actor: str, note: str = ""
) -> PromiseToPay:
    """The customer promised to pay `amount` by `promised_on`: its stages wait until then."""
    lock_customer(customer.pk)
    try:
        minor = to_minor_units(Decimal(str(amount)), customer.currency)
    except (MoneyError, ArithmeticError, ValueError):
        raise CollectionsError(f"{amount!r} is not an amount in {customer.currency}") from None
    if minor <= 0:
        raise CollectionsError("a promised amount must be more than zero")
    if promised_on < timezone.localdate():
        raise CollectionsError(f"{promised_on} is in the past")
    promise = PromiseToPay.objects.create(
        customer=customer,
        amount_minor=minor,
        currency=customer.currency,
        promised_on=promised_on,
        note=note,
        recorded_by=actor,
    )
    record_event(
        actor=actor,
        action=AuditAction.PROMISE_RECORDED,
        object_type="customer",
        object_id=customer.pk,
        after={"amount_minor": minor, "promised_on": promised_on, "note": note},
    )
    return promise


@transaction_step
def grant_exemption(
    *, customer: Customer, reason: str, expires_on: dt.date, actor: str
) -> Exemption:
    """No collections actions for the customer until `expires_on` (inclusive)."""
    if not reason.strip():
        raise CollectionsError("an exemption needs a reason")
    if expires_on < timezone.localdate():
        raise CollectionsError(f"{expires_on} is in the past")
    lock_customer(customer.pk)
    exemption = Exemption.objects.create(
        customer=customer, reason=reason.strip(), expires_on=expires_on, granted_by=actor
    )
    record_event(
        actor=actor,
        action=AuditAction.EXEMPTION_GRANTED,
        object_type="customer",
        object_id=customer.pk,
        after={"reason": exemption.reason, "expires_on": expires_on},
    )
    return exemption


@transaction_step
def set_pause(*, paused: bool, reason: str, actor: str) -> PauseSwitch:
    """Pause (or resume) every suspension by collections; notices go on."""
    if paused and not reason.strip():
        raise CollectionsError("say why suspensions are paused")
    switch = lock_collections_switch()
    before = {"paused": switch.paused, "reason": switch.reason}
    switch.paused, switch.reason = paused, reason.strip()
    switch.changed_by, switch.changed_at = actor, timezone.now()
    switch.save()
    record_event(
        actor=actor,
        action=AuditAction.COLLECTIONS_PAUSE_CHANGED,
        object_type="collections_switch",
        object_id=switch.pk,
        before=before,
        after={"paused": paused, "reason": switch.reason},
    )
    return switch


@transaction_step
def close_task(*, action: Action, actor: str, note: str) -> Action:
    """A person did what the escalate stage asked."""
    action = Action.objects.select_for_update().get(pk=action.pk)
    if action.kind != ActionKind.ESCALATE or action.status != ActionStatus.OPEN:
        raise CollectionsError("this is not an open collections task")
    action.status, action.reason = ActionStatus.DONE, note
    action.decided_at, action.decided_by = timezone.now(), actor
    action.save(update_fields=["status", "reason", "decided_at", "decided_by"])
    record_event(
        actor=actor,
        action=AuditAction.COLLECTIONS_TASK_CLOSED,
        object_type="customer",
        object_id=action.customer_id,
        after={"action": action.pk, "note": note},
    )
    return action


do_record_promise = entry_point(record_promise)
do_grant_exemption = entry_point(grant_exemption)
do_set_pause = entry_point(set_pause)
do_close_task = entry_point(close_task)
