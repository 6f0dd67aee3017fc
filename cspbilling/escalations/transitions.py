"""The escalation's state machine, as a table: prepared → filing (api: sent, not confirmed) →
filed ⇄ info_requested → upheld | rejected → closed; a prepared request can be cancelled, a
filed one withdrawn (by us, before 21Vianet decided). The functions change the instance; the
services save it."""

from __future__ import annotations

from datetime import datetime

from cspbilling.core.transitions import StateMachine
from cspbilling.escalations.models import Escalation, EscalationStatus

S = EscalationStatus

MACHINE = StateMachine(
    "escalation",
    {
        S.PREPARED: {S.FILING, S.FILED, S.CANCELLED},
        S.FILING: {S.FILED},
        S.FILED: {S.INFO_REQUESTED, S.UPHELD, S.REJECTED, S.WITHDRAWN},
        S.INFO_REQUESTED: {S.FILED, S.UPHELD, S.REJECTED, S.WITHDRAWN},
        S.UPHELD: {S.CLOSED},
        S.REJECTED: {S.CLOSED},
        S.CLOSED: set(),
        S.CANCELLED: set(),
        S.WITHDRAWN: set(),
    },
)


def start_filing(escalation: Escalation) -> None:
    MACHINE.move(escalation, S.FILING)


def file(escalation: Escalation, *, ticket_number: str, by: str, at: datetime) -> None:
    MACHINE.move(escalation, S.FILED)
    escalation.ticket_number = ticket_number
    escalation.filed_by, escalation.filed_at = by, at


def request_information(escalation: Escalation) -> None:
    MACHINE.move(escalation, S.INFO_REQUESTED)


def information_given(escalation: Escalation) -> None:
    MACHINE.move(escalation, S.FILED)


def uphold(escalation: Escalation, *, at: datetime) -> None:
    MACHINE.move(escalation, S.UPHELD)
    escalation.decided_at = at


def reject(escalation: Escalation, *, at: datetime) -> None:
    MACHINE.move(escalation, S.REJECTED)
    escalation.decided_at = at


def close(escalation: Escalation, *, at: datetime) -> None:
    MACHINE.move(escalation, S.CLOSED)
    escalation.closed_at = at


def cancel(escalation: Escalation, *, at: datetime) -> None:
    MACHINE.move(escalation, S.CANCELLED)
    escalation.closed_at = at


def withdraw(escalation: Escalation, *, at: datetime) -> None:
    MACHINE.move(escalation, S.WITHDRAWN)
    escalation.closed_at = at
