"""api mode: the worker reads each filed request when its poll is due (network first, then one
short transaction per request). New notes from 21Vianet become internal notes on the case;
`attention_needed` is 21Vianet asking for information. A 429 backs the poll off (doubling, at
least the Retry-After, at most the configured ceiling); an answer resets it."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cspbilling.audit.actions import AuditAction
from cspbilling.cases.services import add_note
from cspbilling.core.services import transaction_step
from cspbilling.escalations import transitions
from cspbilling.escalations.locks import lock_escalation
from cspbilling.escalations.models import (
    WAITING_ON_UPSTREAM,
    Escalation,
    EscalationChannel,
    EscalationStatus,
)
from cspbilling.escalations.services.events import record_escalation_event
from cspbilling.escalations.services.filing import do_file_through_api
from cspbilling.escalations.services.tracking import answered
from cspbilling.partnercenter.client import PartnerCenterClient
from cspbilling.partnercenter.errors import PartnerCenterError, PartnerCenterThrottled
from cspbilling.partnercenter.resources import ServiceRequest


def poll_interval() -> timedelta:
    return timedelta(minutes=max(settings.ESCALATIONS_POLL_MINUTES, 1))


@transaction_step
def apply_upstream(*, escalation: Escalation, request: ServiceRequest) -> Escalation:
    """What the request says now: its new notes, its status."""
    escalation = lock_escalation(escalation.pk)
    if escalation.status not in WAITING_ON_UPSTREAM:
        return escalation
    new_notes = request.notes[escalation.upstream_notes_seen :]
    ours = settings.PARTNER_CENTER["PARTNER_AUTHOR_NAME"].strip().casefold()
    theirs = [n for n in new_notes if (n.created_by_name or "").strip().casefold() != ours]
    for note in theirs:
        add_note(
            case=escalation.case,
            body=f"21Vianet ({note.created_by_name or 'support'}, ticket "
            f"{escalation.ticket_number}): {note.text}",
            actor="partner-center",
        )
    status = request.status.value if request.status else ""
    escalation.upstream_notes_seen = len(request.notes)
    escalation.upstream_status = status
    escalation.poll_backoff_seconds = 0
    escalation.next_poll_at = timezone.now() + poll_interval()
    escalation.save()
    if theirs:
        answered(
            escalation, requests_information=status == "attention_needed", actor="partner-center"
        )
    elif status == "attention_needed" and escalation.status == EscalationStatus.FILED:
        transitions.request_information(escalation)
        escalation.save()
    record_escalation_event(
        escalation,
        AuditAction.ESCALATION_POLLED,
        actor="partner-center",
        after={"upstream_status": status, "new_notes": len(theirs)},
    )
    return escalation


@transaction_step
def back_off(*, escalation: Escalation, retry_after: float | None, error: str) -> Escalation:
    escalation = lock_escalation(escalation.pk)
    ceiling = settings.ESCALATIONS_POLL_BACKOFF_MAX_MINUTES * 60
    doubled = max(escalation.poll_backoff_seconds * 2, int(poll_interval().total_seconds()))
    wait = min(max(doubled, int(retry_after or 0)), ceiling)
    escalation.poll_backoff_seconds = wait
    escalation.next_poll_at = timezone.now() + timedelta(seconds=wait)
    escalation.filing_error = error[:500]
    escalation.save(update_fields=["poll_backoff_seconds", "next_poll_at", "filing_error"])
    return escalation


def poll_one(escalation: Escalation, client: PartnerCenterClient) -> str:
    try:
        request = client.get_service_request(escalation.ticket_number)
    except PartnerCenterError as exc:
        throttled = exc.status == 429 or isinstance(exc, PartnerCenterThrottled)
        retry_after = getattr(exc, "retry_after", None)
        with transaction.atomic(durable=True):
            back_off(escalation=escalation, retry_after=retry_after, error=str(exc))
        return "throttled" if throttled else "failed"
    with transaction.atomic(durable=True):
        apply_upstream(escalation=escalation, request=request)
    return "polled"


def do_sync_escalations(*, client: PartnerCenterClient | None = None) -> dict[str, int]:
    """The periodic job of api mode: finish filings left `filing`, read due requests."""
    counts: dict[str, int] = {}
    api = Escalation.objects.filter(channel=EscalationChannel.API)
    filing = list(api.filter(status=EscalationStatus.FILING).order_by("pk"))
    due = list(
        api.filter(status__in=WAITING_ON_UPSTREAM, next_poll_at__lte=timezone.now()).order_by(
            "next_poll_at", "pk"
        )
    )
    if not filing and not due:
        return counts
    own_client = client is None
    client = client or PartnerCenterClient.from_settings(max_retries=0)
    try:
        for escalation in filing:
            done = do_file_through_api(escalation=escalation, actor="system", client=client)
            key = "filed" if done.status == EscalationStatus.FILED else "filing_failed"
            counts[key] = counts.get(key, 0) + 1
        for escalation in due:
            outcome = poll_one(escalation, client)
            counts[outcome] = counts.get(outcome, 0) + 1
            if outcome == "throttled":
                break  # the rest wait for the next run: the API asked us to slow down
    finally:
        if own_client:
            client.close()
    return counts
