"""The outbox state machine: which status may follow which, one function per transition.

The functions change the instance only; the caller saves it inside its transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from cspbilling.core.transitions import StateMachine
from cspbilling.core.transitions import TransitionError as TransitionError
from cspbilling.notifications.models import MessageStatus as S
from cspbilling.notifications.models import OutboundMessage

MACHINE = StateMachine(
    "outbound message",
    {
        # pending -> delivered: a late success from a worker whose lease ran out meanwhile.
        S.PENDING: {S.SENDING, S.CANCELLED, S.DELIVERED},
        # sending -> sending: a lease ran out (the worker died) and another worker claims it.
        S.SENDING: {S.SENDING, S.DELIVERED, S.PENDING, S.FAILED},
        S.FAILED: {S.PENDING, S.CANCELLED, S.DELIVERED},
        S.DELIVERED: set(),
        S.CANCELLED: set(),
    },
)


def claim(message: OutboundMessage, *, worker_id: str, now: datetime, lease: timedelta) -> None:
    MACHINE.move(message, S.SENDING)
    message.attempts += 1
    message.claimed_by = worker_id
    message.lease_until = now + lease


def deliver(message: OutboundMessage, *, now: datetime) -> None:
    MACHINE.move(message, S.DELIVERED)
    message.delivered_at = now
    message.lease_until = None
    message.last_error = ""


def schedule_retry(message: OutboundMessage, *, error: str, at: datetime) -> None:
    MACHINE.move(message, S.PENDING)
    message.last_error = error
    message.next_attempt_at = at
    message.lease_until = None


def fail(message: OutboundMessage, *, error: str) -> None:
    MACHINE.move(message, S.FAILED)
    message.last_error = error
    message.lease_until = None


def retry_by_staff(message: OutboundMessage, *, now: datetime) -> None:
    """A person asks for another go: the attempts start over."""
    MACHINE.move(message, S.PENDING)
    message.attempts = 0
    message.next_attempt_at = now
    message.lease_until = None


def cancel(message: OutboundMessage) -> None:
    MACHINE.move(message, S.CANCELLED)
    message.lease_until = None
