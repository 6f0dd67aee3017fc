"""Withdrawing a filed escalation: we no longer ask 21Vianet (the customer withdrew the dispute,
or we settled it ourselves). Like a rejection, the escalation's own hold on collections is
lifted; unlike one, the case is not resolved: it is ours again (open, its clock running) and
the agent answers the customer. A dispute case keeps holding its own amount until then.

`portal`: the request lives in the 21Vianet portal, where only a person can withdraw it: the
agent is told so (page, note on the case). `api`: a note asking 21Vianet to close the ticket
goes out through the outbox (the service-request API adds notes; it cannot close a request)."""

from __future__ import annotations

from django.utils import timezone

from cspbilling.audit.actions import AuditAction
from cspbilling.cases.services import add_note, end_escalation
from cspbilling.core.services import entry_point, transaction_step
from cspbilling.escalations import transitions
from cspbilling.escalations.locks import lock_escalation
from cspbilling.escalations.models import (
    WAITING_ON_UPSTREAM,
    Escalation,
    EscalationChannel,
    EscalationStatus,
)
from cspbilling.escalations.services.events import EscalationError, record_escalation_event
from cspbilling.escalations.services.holds import release_escalation_hold
from cspbilling.notifications.services import queue_partner_center_command

WITHDRAW_COMMAND = "escalations.withdraw"


def withdrawal_note_zh(escalation: Escalation, reason: str) -> str:
    """What 21Vianet reads on the ticket (api mode): our reference marks it as sent."""
    return (
        f"[{escalation.reference}] 合作伙伴撤回此服务请求，请关闭工单 "
        f"{escalation.ticket_number}。原因：{reason}"
    )


def still_to_do(escalation: Escalation) -> str:
    """What the agent must still do upstream after withdrawing (shown, and noted on the case)."""
    if escalation.channel == EscalationChannel.PORTAL:
        return (
            f"Withdraw ticket {escalation.ticket_number} in the 21Vianet portal too (Support "
            "requests → Customer requests → the ticket → close / withdraw): cspbilling cannot "
            "reach it there."
        )
    return (
        f"A note asking 21Vianet to close ticket {escalation.ticket_number} goes through the "
        "service-request API (the outbox); the API cannot close a request itself, so 21Vianet "
        "closes it (or close it in the Partner Center portal)."
    )


@transaction_step
def withdraw_escalation(*, escalation: Escalation, reason: str, actor: str) -> Escalation:
    """A filed escalation withdrawn before 21Vianet decided, with the reason (required)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise EscalationError("say why the request is withdrawn: it is kept on the case")
    escalation = lock_escalation(escalation.pk)
    if escalation.status == EscalationStatus.PREPARED:
        raise EscalationError(f"{escalation.reference} was never filed: cancel it instead")
    if escalation.status == EscalationStatus.FILING:
        raise EscalationError(
            f"{escalation.reference} is being filed through the API: withdraw it once it is "
            "filed (the worker finishes the filing within minutes)"
        )
    if escalation.status not in WAITING_ON_UPSTREAM:
        raise EscalationError(
            f"{escalation.reference} is {escalation.get_status_display().lower()}: there is "
            "nothing left to withdraw"
        )
    now, before = timezone.now(), escalation.status
    transitions.withdraw(escalation, at=now)
    escalation.outcome_reason, escalation.updated_at = reason, now
    escalation.next_reminder_at = escalation.next_customer_update_at = None
    escalation.save()
    escalation.lines.update(is_open=False)
    release_escalation_hold(
        escalation=escalation, reason=f"{escalation.reference} withdrawn: {reason}", actor=actor
    )
    sent = None
    if escalation.channel == EscalationChannel.API:
        sent = queue_partner_center_command(
            operation=WITHDRAW_COMMAND,
            args={
                "reference": escalation.reference,
                "ticket_number": escalation.ticket_number,
                "text": withdrawal_note_zh(escalation, reason),
            },
            idempotency_key=f"escalation-withdraw:{escalation.reference}",
            related=("escalation", escalation.reference),
            actor=actor,
        )
    record_escalation_event(
        escalation,
        AuditAction.ESCALATION_WITHDRAWN,
        actor=actor,
        before={"status": before},
        after={
            "status": escalation.status,
            "reason": reason,
            "channel": escalation.channel,
            "outbox": sent.pk if sent else None,
        },
    )
    add_note(
        case=escalation.case,
        body=f"{escalation.reference} (ticket {escalation.ticket_number}) withdrawn: {reason}. "
        f"{still_to_do(escalation)}",
        actor=actor,
    )
    end_escalation(case=escalation.case, actor=actor, note=f"{escalation.reference} withdrawn")
    return escalation


do_withdraw_escalation = entry_point(withdraw_escalation)
