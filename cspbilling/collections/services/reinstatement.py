"""Reinstatement at once: when a payment, a credit note or a settled dispute takes the customer
out of the suspension condition, the subscriptions collections suspended are reactivated (never
those suspended for fraud, misuse or at the customer's request, nor by staff by hand), the
customer is told (subscriptions' reactivation notice) and it is audited. Idempotent."""

from __future__ import annotations

import datetime as dt

from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import record_event
from cspbilling.collections import decisions
from cspbilling.collections.locks import lock_open_episode
from cspbilling.collections.models import SuspendMode
from cspbilling.collections.schedule import stage_day
from cspbilling.collections.selectors import version_for
from cspbilling.core.services import entry_point, transaction_step
from cspbilling.customers.locks import lock_customer
from cspbilling.subscriptions.models import Suspension, SuspensionReason, SuspensionStatus
from cspbilling.subscriptions.services import SuspensionError, reactivate_subscription
from cspbilling.workdays.calendar import ChinaCalendar, china_calendar


def in_suspension_condition(
    customer_id: int,
    owed: decisions.Overdue | None,
    *,
    as_of: dt.date,
    calendar: ChinaCalendar,
) -> bool:
    """Whether the customer, as things stand, has reached a stage that suspends."""
    if owed is None:
        return False
    version, _ = version_for(customer_id)
    if version is None:
        return False
    return any(
        stage.suspend != SuspendMode.NONE
        and owed.amount_minor >= stage.min_overdue_minor
        and stage_day(owed.oldest_due, stage, calendar) <= as_of
        for stage in version.stages.all()
    )


def collections_suspensions(customer_id: int):
    """The open episodes collections started (non-payment with a policy version), parents only."""
    return Suspension.objects.filter(
        subscription__customer_id=customer_id,
        reason=SuspensionReason.NON_PAYMENT,
        parent_suspension=None,
        status=SuspensionStatus.SUSPENDED,
    ).exclude(policy_version="")


@transaction_step
def reinstate_if_cleared(
    *, customer_id: int, as_of: dt.date, actor: str, why: str = ""
) -> list[int]:
    """Reactivate what collections suspended if the customer is out of the suspension condition;
    close its episode if nothing is overdue. Returns the suspensions reactivated."""
    lock_customer(customer_id)
    owed = decisions.overdue_customers(as_of, customer_id=customer_id).get(customer_id)
    if owed is None:
        episode = lock_open_episode(customer_id)
        if episode is not None:
            episode.closed_on, episode.close_reason = as_of, why or "nothing overdue any more"
            episode.save(update_fields=["closed_on", "close_reason"])
    suspended = list(collections_suspensions(customer_id).select_related("subscription"))
    if not suspended or in_suspension_condition(
        customer_id, owed, as_of=as_of, calendar=china_calendar()
    ):
        return []
    done, skipped = [], []
    for suspension in suspended:
        try:
            reactivate_subscription(
                subscription=suspension.subscription,
                actor=actor,
                note=f"collections: out of the suspension condition ({why or 'paid'})",
            )
            done.append(suspension.pk)
        except SuspensionError as exc:  # e.g. its parent is still suspended for fraud
            skipped.append({"suspension": suspension.pk, "why": str(exc)})
    record_event(
        actor=actor,
        action=AuditAction.COLLECTIONS_REINSTATED,
        object_type="customer",
        object_id=customer_id,
        after={"reactivated": done, "skipped": skipped},
        context={"why": why, "as_of": as_of.isoformat()},
    )
    return done


do_reinstate_if_cleared = entry_point(reinstate_if_cleared)
