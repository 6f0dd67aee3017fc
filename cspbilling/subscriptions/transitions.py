"""The suspension state machine, in one place. Each function checks and applies one transition;
the caller saves the row inside its transaction.

    requested ──▶ suspended ──▶ reactivation_requested ──▶ reactivated
        │             └───── (reactivated in Partner Center) ──────▲
        │                               │
        └──────────▶ failed ◀───────────┘   (the subscription is deleted in Partner Center)
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from cspbilling.core.transitions import StateMachine
from cspbilling.core.transitions import TransitionError as TransitionError
from cspbilling.subscriptions.models import Suspension, SuspensionStatus

S = SuspensionStatus
MACHINE = StateMachine(
    "suspension",
    {
        S.REQUESTED: {S.SUSPENDED, S.FAILED},
        # Straight to reactivated when someone reactivated it in Partner Center itself.
        S.SUSPENDED: {S.REACTIVATION_REQUESTED, S.REACTIVATED},
        # Back to suspended when staff cancel the reactivation command before it is carried out.
        S.REACTIVATION_REQUESTED: {S.REACTIVATED, S.FAILED, S.SUSPENDED},
        S.REACTIVATED: set(),
        S.FAILED: set(),
    },
)


def data_deletion_date(suspended_at: datetime) -> date:
    """The day the 21Vianet cloud deletes a suspended subscription's data (60 days there)."""
    days = settings.SUSPENDED_DATA_RETENTION_DAYS
    return timezone.localdate(suspended_at) + timedelta(days=days)


def confirm_suspended(suspension: Suspension, *, at: datetime) -> None:
    MACHINE.move(suspension, S.SUSPENDED)
    suspension.suspended_at = at
    suspension.data_deletion_on = data_deletion_date(at)


def request_reactivation(suspension: Suspension, *, actor: str, at: datetime, note: str) -> None:
    MACHINE.move(suspension, S.REACTIVATION_REQUESTED)
    suspension.reactivation_requested_by = actor
    suspension.reactivation_requested_at = at
    suspension.reactivation_note = note


def confirm_reactivated(suspension: Suspension, *, at: datetime) -> None:
    MACHINE.move(suspension, S.REACTIVATED)
    suspension.reactivated_at = at


def confirm_reactivated_outside(suspension: Suspension, *, at: datetime) -> None:
    """Reactivated in Partner Center, not through us: the sync saw it active again."""
    MACHINE.move(suspension, S.REACTIVATED)
    suspension.reactivated_at = at
    suspension.reactivation_requested_by = "partner-center"
    suspension.reactivation_note = "reactivated outside cspbilling (seen by the sync)"


def withdraw_reactivation(suspension: Suspension) -> None:
    """The reactivation command was cancelled before Partner Center carried it out."""
    MACHINE.move(suspension, S.SUSPENDED)
    suspension.reactivation_requested_by = ""
    suspension.reactivation_requested_at = None
    suspension.reactivation_note = ""


def fail(suspension: Suspension, *, at: datetime, error: str) -> None:
    MACHINE.move(suspension, S.FAILED)
    suspension.failed_at = at
    suspension.failure = error
