"""21Vianet's decision, back to money and to the case.

Upheld: the credit 21Vianet promised is recorded; if a later upstream invoice carries it already,
it is matched at once (matching.py: credited once, whether or not a billing run passed it on);
else the customer's credit notes are issued at once (`on_approval`) or once a later upstream
invoice carries the credit (`on_arrival`: matching.py).
Rejected: the hold on collections is lifted and the customer is told why. Either way the case is
resolved through cases' resolve path, with the customer-visible resolution message."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from cspbilling.audit.actions import AuditAction
from cspbilling.cases.models import Channel, DisputeOutcome
from cspbilling.cases.services import add_note
from cspbilling.cases.services.cases import publish_staff_message
from cspbilling.core.money import MoneyError, to_minor_units
from cspbilling.core.services import entry_point, transaction_step
from cspbilling.escalations import texts, transitions
from cspbilling.escalations.locks import lock_escalation
from cspbilling.escalations.models import WAITING_ON_UPSTREAM, CreditNoteWhen, Escalation
from cspbilling.escalations.services.crediting import issue_credit_notes
from cspbilling.escalations.services.events import EscalationError, record_escalation_event
from cspbilling.escalations.services.holds import release_escalation_hold
from cspbilling.escalations.services.matching import match_credit_of
from cspbilling.escalations.services.settling import close_escalation, resolve_case_of


@transaction_step
def record_upheld(
    *, escalation: Escalation, promised_credit: Decimal, actor: str, note: str = ""
) -> Escalation:
    """21Vianet upheld the dispute and promised `promised_credit` (what it gives us back)."""
    escalation = lock_escalation(escalation.pk)
    if escalation.status not in WAITING_ON_UPSTREAM:
        raise EscalationError(f"{escalation.reference} is {escalation.status}")
    try:
        promised = to_minor_units(Decimal(str(promised_credit)), escalation.currency)
    except (MoneyError, ArithmeticError, ValueError):
        raise EscalationError(f"{promised_credit!r} is not an amount") from None
    if not 0 < promised <= escalation.disputed_minor:
        raise EscalationError(
            f"the promised credit is more than zero and at most the disputed "
            f"{escalation.disputed_amount} {escalation.currency}"
        )
    transitions.uphold(escalation, at=timezone.now())
    escalation.promised_credit_minor, escalation.outcome_reason = promised, note
    escalation.save()
    add_note(
        case=escalation.case,
        body=f"21Vianet upheld {escalation.reference}: credit of "
        f"{escalation.promised_credit} {escalation.currency} promised. {note}".strip(),
        actor=actor,
    )
    record_escalation_event(
        escalation, AuditAction.ESCALATION_UPHELD, actor=actor, after={"promised_minor": promised}
    )
    if match_credit_of(escalation, actor=actor):
        pass  # the credit was on an upstream invoice already: credited once, and closed
    elif settings.ESCALATIONS_CREDIT_NOTE_WHEN == CreditNoteWhen.ON_APPROVAL:
        issue_credit_notes(escalation, actor=actor)
        close_escalation(escalation, actor=actor)
    else:
        case = escalation.case
        publish_staff_message(
            case,
            body=texts.upheld_credit_pending(
                case.language, amount=escalation.promised_credit, currency=escalation.currency
            ),
            actor=actor,
            channel=Channel.CONSOLE,
        )
    return escalation


@transaction_step
def record_rejected(*, escalation: Escalation, reason: str, actor: str) -> Escalation:
    """21Vianet found the charges correct: the hold is lifted, the customer is told why (the
    case's resolution message) and the escalation closes."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise EscalationError("say why 21Vianet rejected it: the customer reads it")
    escalation = lock_escalation(escalation.pk)
    if escalation.status not in WAITING_ON_UPSTREAM:
        raise EscalationError(f"{escalation.reference} is {escalation.status}")
    transitions.reject(escalation, at=timezone.now())
    escalation.outcome_reason = reason
    escalation.save()
    record_escalation_event(
        escalation, AuditAction.ESCALATION_REJECTED, actor=actor, after={"reason": reason}
    )
    release_escalation_hold(
        escalation=escalation, reason=f"{escalation.reference} rejected by 21Vianet", actor=actor
    )
    resolve_case_of(
        escalation,
        resolution=texts.rejected(escalation.case.language, reason=reason),
        outcome=DisputeOutcome.UPHELD,
        credit_notes=[],
        actor=actor,
    )
    close_escalation(escalation, actor=actor)
    return escalation


do_record_upheld = entry_point(record_upheld)
do_record_rejected = entry_point(record_rejected)
