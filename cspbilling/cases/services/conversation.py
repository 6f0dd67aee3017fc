"""The conversation: staff replies (public, emailed), internal notes (never leave the console),
and what the customer writes (portal, email, API), with canned responses per language."""

from __future__ import annotations

from django.utils import timezone

from cspbilling.audit.actions import AuditAction
from cspbilling.cases import sla, transitions
from cspbilling.cases.locks import lock_case
from cspbilling.cases.models import (
    AuthorKind,
    CannedResponse,
    Case,
    CaseMessage,
    CaseStatus,
    Channel,
    Visibility,
)
from cspbilling.cases.services.cases import CaseError, _clean, publish_staff_message
from cspbilling.cases.services.events import record_case_event
from cspbilling.core.services import entry_point, transaction_step


@transaction_step
def reply_to_case(
    *,
    case: Case,
    body: str,
    actor: str,
    channel: str = Channel.CONSOLE,
    wait_on_customer: bool = False,
) -> CaseMessage:
    """A public reply from staff, emailed to the customer in its language. With
    `wait_on_customer` the case waits for the customer's answer (its SLA clock pauses)."""
    case = lock_case(case.pk)
    if case.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        raise CaseError(f"{case.reference} is {case.status}: reopen it to reply")
    if case.customer_id is None:
        raise CaseError(
            f"{case.reference} is in triage: say whose customer it is first (or close it as "
            "spam); an unknown sender is never answered"
        )
    if wait_on_customer and case.status == CaseStatus.ESCALATED:
        raise CaseError(
            f"{case.reference} is escalated: it waits on 21Vianet, not on the customer (its "
            "clock is paused already); send the reply without “wait on the customer”"
        )
    now = timezone.now()
    before = case.status
    message = publish_staff_message(case, body=body, actor=actor, channel=channel)
    sla.record_first_response(case, now=now)
    if case.status == CaseStatus.NEW:
        transitions.open_case(case)
    if wait_on_customer and case.status != CaseStatus.WAITING_ON_CUSTOMER:
        transitions.wait_on_customer(case)
        sla.pause(case, now=now)
    case.updated_at = now
    case.save()
    record_case_event(
        case,
        AuditAction.CASE_REPLIED,
        actor=actor,
        before={"status": before},
        after={"status": case.status},
        message=message,
    )
    if case.status == CaseStatus.WAITING_ON_CUSTOMER and before != case.status:
        record_case_event(case, AuditAction.CASE_WAITING_ON_CUSTOMER, actor=actor)
    return message


@transaction_step
def add_note(*, case: Case, body: str, actor: str) -> CaseMessage:
    """An internal note: staff only, never emailed, never shown in the portal or the API for
    customers, never in a webhook."""
    case = lock_case(case.pk)
    message = CaseMessage.objects.create(
        case=case,
        visibility=Visibility.INTERNAL,
        author_kind=AuthorKind.STAFF,
        author=actor,
        channel=Channel.CONSOLE,
        body=_clean(body, what="note", limit=100_000),
    )
    record_case_event(case, AuditAction.CASE_NOTE_ADDED, actor=actor, message=message)
    return message


@transaction_step
def record_customer_message(
    *,
    case: Case,
    body: str,
    author: str,
    channel: str,
    actor: str,
    message_id: str | None = None,
    quoted_history: str = "",
    reopen: bool = True,
) -> CaseMessage:
    """The customer wrote on its case: waiting → open (the clock runs again); a resolved case
    reopens (unless `reopen` is false: the message confirms the resolution). A closed case takes
    no more messages (the caller opens a new one)."""
    case = lock_case(case.pk)
    if case.status == CaseStatus.CLOSED:
        raise CaseError(f"{case.reference} is closed: open a new case")
    now = timezone.now()
    message = CaseMessage.objects.create(
        case=case,
        visibility=Visibility.PUBLIC,
        author_kind=AuthorKind.CUSTOMER,
        author=author,
        channel=channel,
        body=_clean(body, what="message", limit=100_000),
        quoted_history=quoted_history,
        message_id=message_id,
        created_at=now,
    )
    before = case.status
    if case.status == CaseStatus.WAITING_ON_CUSTOMER:
        transitions.open_case(case)
        sla.resume(case, now=now)
    case.updated_at = now
    case.save()
    record_case_event(
        case,
        AuditAction.CASE_CUSTOMER_WROTE,
        actor=actor,
        before={"status": before},
        after={"status": case.status},
        message=message,
    )
    if case.status == CaseStatus.RESOLVED and reopen:
        from cspbilling.cases.services.closing import reopen_case

        reopen_case(case=case, actor=actor, channel=channel)
    return message


@transaction_step
def save_canned_response(*, name: str, language: str, body: str, actor: str) -> CannedResponse:
    from django.conf import settings

    if language not in {code for code, _ in settings.LANGUAGES}:
        raise CaseError(f"{language!r} is not a language of ours")
    name = _clean(name, what="name", limit=100)
    body = _clean(body, what="response", limit=20_000)
    response, created = CannedResponse.objects.update_or_create(
        name=name, language=language, defaults={"body": body}
    )
    from cspbilling.audit.services import record_event

    record_event(
        actor=actor,
        action=AuditAction.CASE_CANNED_RESPONSE_SAVED,
        object_type="canned_response",
        object_id=response.pk,
        after={"name": name, "language": language, "created": created},
    )
    return response


do_reply_to_case = entry_point(reply_to_case)
do_add_note = entry_point(add_note)
do_record_customer_message = entry_point(record_customer_message)
do_save_canned_response = entry_point(save_canned_response)
