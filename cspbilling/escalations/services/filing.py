"""Filing, one record for every channel.

`portal`: the agent files the prepared request in the Partner Center portal and types the ticket
number back: validated, and unique (a ticket number belongs to one escalation) → `filed`.

`api`: the intent is recorded first (`filing`, committed), the request carries our reference in
its title, and before any retry it is looked up upstream: a request that was created while the
answer was lost (a timeout, a dropped connection) is found, never created twice."""

from __future__ import annotations

import re

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cspbilling.audit.actions import AuditAction
from cspbilling.cases.services import add_note
from cspbilling.core.services import entry_point, one_line, transaction_step
from cspbilling.escalations import transitions
from cspbilling.escalations.clock import business_days_later
from cspbilling.escalations.locks import lock_escalation
from cspbilling.escalations.models import Escalation, EscalationChannel, EscalationStatus
from cspbilling.escalations.services.events import EscalationError, record_escalation_event
from cspbilling.partnercenter.client import PartnerCenterClient
from cspbilling.partnercenter.errors import PartnerCenterError
from cspbilling.partnercenter.resources import ServiceRequest

SUPPORT_TOPIC_BILLING = "32444671"  # Partner Center's "Billing" support topic


def _mark_filed(escalation: Escalation, *, ticket_number: str, actor: str, how: str) -> None:
    now = timezone.now()
    transitions.file(escalation, ticket_number=ticket_number, by=actor, at=now)
    escalation.filing_error = ""
    escalation.next_reminder_at = business_days_later(
        now, settings.ESCALATIONS_REMIND_AFTER_BUSINESS_DAYS
    )
    if escalation.channel == EscalationChannel.API:
        escalation.next_poll_at = now
    escalation.updated_at = now
    escalation.save()
    add_note(
        case=escalation.case,
        body=f"{escalation.reference} filed with 21Vianet ({how}): ticket {ticket_number}.",
        actor=actor,
    )
    record_escalation_event(
        escalation,
        AuditAction.ESCALATION_FILED,
        actor=actor,
        after={"ticket_number": ticket_number, "channel": escalation.channel, "how": how},
    )


def clean_ticket_number(text: str) -> str:
    ticket = "".join((text or "").split())
    if not re.fullmatch(settings.ESCALATIONS_TICKET_PATTERN, ticket):
        raise EscalationError(
            f"{text!r} is not a 21Vianet ticket number (copy it from the request's page in the "
            "portal)"
        )
    return ticket


@transaction_step
def record_ticket_number(*, escalation: Escalation, ticket_number: str, actor: str) -> Escalation:
    """Portal mode: the agent filed the request and types 21Vianet's ticket number back."""
    ticket = clean_ticket_number(ticket_number)
    escalation = lock_escalation(escalation.pk)
    if escalation.channel != EscalationChannel.PORTAL:
        raise EscalationError(f"{escalation.reference} is filed through the API, not by hand")
    if escalation.ticket_number == ticket:
        return escalation  # the same form sent twice
    if escalation.status != EscalationStatus.PREPARED:
        raise EscalationError(
            f"{escalation.reference} is {escalation.status} with ticket {escalation.ticket_number}"
        )
    other = Escalation.objects.filter(ticket_number=ticket).exclude(pk=escalation.pk).first()
    if other is not None:
        raise EscalationError(f"ticket {ticket} belongs to {other.reference}")
    _mark_filed(escalation, ticket_number=ticket, actor=actor, how="portal")
    return escalation


@transaction_step
def start_api_filing(*, escalation: Escalation, actor: str) -> Escalation:
    """The intent, committed before anything is sent: `filing`, one more attempt counted."""
    escalation = lock_escalation(escalation.pk)
    if escalation.channel != EscalationChannel.API:
        raise EscalationError(f"{escalation.reference} is filed in the portal by a person")
    if escalation.status == EscalationStatus.PREPARED:
        transitions.start_filing(escalation)
    elif escalation.status != EscalationStatus.FILING:
        return escalation  # filed already: nothing to send
    escalation.filing_attempts += 1
    escalation.updated_at = timezone.now()
    escalation.save()
    record_escalation_event(
        escalation,
        AuditAction.ESCALATION_FILING,
        actor=actor,
        after={"attempt": escalation.filing_attempts},
    )
    return escalation


@transaction_step
def finish_api_filing(
    *, escalation: Escalation, request: ServiceRequest | None, error: str, actor: str
) -> Escalation:
    escalation = lock_escalation(escalation.pk)
    if escalation.status != EscalationStatus.FILING:
        return escalation
    if request is None:
        escalation.filing_error = one_line(error)
        escalation.updated_at = timezone.now()
        escalation.save(update_fields=["filing_error", "updated_at"])
        return escalation
    escalation.upstream_status = request.status.value if request.status else ""
    escalation.upstream_notes_seen = len(request.notes)
    _mark_filed(escalation, ticket_number=str(request.id), actor=actor, how="api")
    return escalation


def find_upstream(client: PartnerCenterClient, reference: str) -> ServiceRequest | None:
    """The request that carries our reference in its title, if 21Vianet has it."""
    for request in client.iter_service_requests():
        if f"[{reference}]" in (request.title or ""):
            return request
    return None


def do_file_through_api(
    *, escalation: Escalation, actor: str, client: PartnerCenterClient | None = None
) -> Escalation:
    """Entry point (api mode): record the intent, then (outside any transaction) look the
    request up when an attempt went before, create it only when it is not there, and record
    the ticket number. A failure leaves it `filing` with the reason; calling again is safe."""
    with transaction.atomic(durable=True):
        escalation = start_api_filing(escalation=escalation, actor=actor)
    if escalation.status != EscalationStatus.FILING:
        return escalation
    own_client = client is None
    client = client or PartnerCenterClient.from_settings()
    request, error = None, ""
    try:
        if escalation.filing_attempts > 1:
            request = find_upstream(client, escalation.reference)
        if request is None:
            request = client.create_service_request(
                title=escalation.title,
                description=escalation.description,
                severity=escalation.severity,
                support_topic_id=SUPPORT_TOPIC_BILLING,
            )
    except PartnerCenterError as exc:
        request, error = None, str(exc)
    finally:
        if own_client:
            client.close()
    with transaction.atomic(durable=True):
        return finish_api_filing(escalation=escalation, request=request, error=error, actor=actor)


do_record_ticket_number = entry_point(record_ticket_number)
