"""The case's state machine, as a table (DESIGN.md): new → open → waiting_on_customer |
escalated → resolved → closed; a resolved case reopens; merge, duplicate and spam close from
any open state. An escalated case waits on 21Vianet: it goes back to open (the escalation was
withdrawn) or is resolved, never to waiting on the customer. The functions change the
instance; the services save it."""

from __future__ import annotations

from datetime import datetime

from cspbilling.cases.models import Case, CaseStatus
from cspbilling.core.transitions import StateMachine

S = CaseStatus

MACHINE = StateMachine(
    "case",
    {
        S.NEW: {S.OPEN, S.WAITING_ON_CUSTOMER, S.ESCALATED, S.RESOLVED, S.CLOSED},
        S.OPEN: {S.WAITING_ON_CUSTOMER, S.ESCALATED, S.RESOLVED, S.CLOSED},
        S.WAITING_ON_CUSTOMER: {S.OPEN, S.ESCALATED, S.RESOLVED, S.CLOSED},
        S.ESCALATED: {S.OPEN, S.RESOLVED, S.CLOSED},
        S.RESOLVED: {S.OPEN, S.CLOSED},
        S.CLOSED: set(),
    },
)


def open_case(case: Case) -> None:
    MACHINE.move(case, S.OPEN)


def wait_on_customer(case: Case) -> None:
    MACHINE.move(case, S.WAITING_ON_CUSTOMER)


def escalate(case: Case) -> None:
    MACHINE.move(case, S.ESCALATED)


def resolve(case: Case, *, at: datetime) -> None:
    MACHINE.move(case, S.RESOLVED)
    case.resolved_at = at


def reopen(case: Case) -> None:
    MACHINE.move(case, S.OPEN)
    case.resolved_at = None
    case.reopen_count += 1


def close(case: Case, *, reason: str, at: datetime) -> None:
    MACHINE.move(case, S.CLOSED)
    case.close_reason = reason
    case.closed_at = at
