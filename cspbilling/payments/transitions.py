"""The payment state machine: a posted payment can be reversed once (bounced, recalled).

posted ──▶ reversed
"""

from __future__ import annotations

from django.utils import timezone

from cspbilling.core.transitions import StateMachine
from cspbilling.core.transitions import TransitionError as TransitionError
from cspbilling.payments.models import Payment, PaymentStatus

S = PaymentStatus
MACHINE = StateMachine("payment", {S.POSTED: {S.REVERSED}, S.REVERSED: set()})


def reverse(payment: Payment, *, reason: str) -> None:
    MACHINE.move(payment, S.REVERSED)
    payment.reversal_reason = reason
    payment.reversed_at = timezone.now()
