"""Closing the loop. A case is resolved only with a resolution message the customer reads (and
is emailed); the customer confirms or reopens (signed link, reply, portal) within the window,
after which the case closes itself. Merge, duplicate and spam close with a closing message too:
no case reaches `closed` without a public message that tells the customer why."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cspbilling.audit.actions import AuditAction
from cspbilling.cases import sla, transitions
from cspbilling.cases.locks import lock_case, lock_cases
from cspbilling.cases.models import (
    AuthorKind,
    Case,
    CaseCategory,
    CaseMessage,
    CaseStatus,
    Channel,
    CloseReason,
    DisputeOutcome,
    Visibility,
)
from cspbilling.cases.services.cases import (
    CaseError,
    _clean,
    publish_staff_message,
    refuse_if_escalated,
)
from cspbilling.cases.services.events import record_case_event
from cspbilling.collections.models import HoldSource
from cspbilling.collections.services import place_dispute_hold, release_dispute_hold
from cspbilling.core.money import from_minor_units
from cspbilling.core.services import entry_point, transaction_step
from cspbilling.invoicing.models import CreditNote, CreditNoteStatus


def _check_outcome(case: Case, outcome: str, credit_note: CreditNote | None) -> None:
    if case.category != CaseCategory.DISPUTE:
        if outcome or credit_note:
            raise CaseError("only a dispute records an outcome")
        return
    if outcome not in DisputeOutcome.values:
        raise CaseError("a dispute is resolved with an outcome: credit_note, on_invoice or upheld")
    if outcome == DisputeOutcome.CREDIT_NOTE:
        if credit_note is None or credit_note.status != CreditNoteStatus.ISSUED:
            raise CaseError("name the issued credit note that settles the dispute")
        if credit_note.invoice_id != case.disputed_invoice_id:
            raise CaseError(f"credit note {credit_note.number} is not on the disputed invoice")
    elif credit_note is not None:
        raise CaseError(f"a dispute resolved as {outcome} has no credit note")


@transaction_step
def resolve_case(
    *,
    case: Case,
    resolution: str,
    actor: str,
    outcome: str = "",
    credit_note: CreditNote | None = None,
    channel: str = Channel.CONSOLE,
) -> Case:
    """Resolve with a message the customer reads (emailed now, with links to confirm, reopen
    and rate). A dispute records its outcome and releases its hold on collections."""
    resolution = _clean(resolution, what="resolution message", limit=100_000)
    case = lock_case(case.pk)
    refuse_if_escalated(case, doing="resolved")
    _check_outcome(case, outcome, credit_note)
    now = timezone.now()
    before = case.status
    transitions.resolve(case, at=now)
    sla.record_first_response(case, now=now)
    sla.record_resolution(case, now=now)
    if case.category == CaseCategory.DISPUTE:
        case.dispute_outcome = outcome
        case.credit_note = credit_note
        release_dispute_hold(
            source=HoldSource.CASE,
            source_ref=case.reference,
            reason=f"{case.reference} resolved: {outcome}",
            actor=actor,
        )
    case.updated_at = now
    case.save()
    message = CaseMessage.objects.create(
        case=case,
        visibility=Visibility.PUBLIC,
        author_kind=AuthorKind.STAFF if actor != "system" else AuthorKind.SYSTEM,
        author=actor,
        channel=channel,
        body=resolution,
        is_resolution=True,
        created_at=now,
    )
    from cspbilling.cases.services.mail import queue_case_message_email

    queue_case_message_email(case, message, actor=actor)
    record_case_event(
        case,
        AuditAction.CASE_RESOLVED,
        actor=actor,
        before={"status": before},
        after={
            "status": case.status,
            "outcome": outcome,
            "credit_note": credit_note.number if credit_note else None,
            "resolution_breached": case.resolution_breached,
        },
        message=message,
    )
    return case


@transaction_step
def reopen_case(*, case: Case, actor: str, channel: str, reason: str = "") -> Case:
    """The customer says the answer did not settle it: the case is open again, its clock runs
    and a dispute holds its amount again."""
    case = lock_case(case.pk)
    if case.status != CaseStatus.RESOLVED:
        raise CaseError(f"{case.reference} is {case.status}: only a resolved case reopens")
    now = timezone.now()
    transitions.reopen(case)
    sla.resume(case, now=now)
    if case.category == CaseCategory.DISPUTE and case.disputed_invoice_id:
        place_dispute_hold(
            invoice=case.disputed_invoice,
            amount=from_minor_units(case.disputed_amount_minor, case.disputed_invoice.currency),
            source=HoldSource.CASE,
            source_ref=case.reference,
            reason=f"{case.reference} reopened",
            actor=actor,
        )
        case.dispute_outcome, case.credit_note = "", None
    case.updated_at = now
    case.save()
    record_case_event(
        case,
        AuditAction.CASE_REOPENED,
        actor=actor,
        before={"status": CaseStatus.RESOLVED},
        after={"status": case.status, "channel": channel, "reason": reason},
    )
    return case


def _close(case: Case, *, reason: str, actor: str, now: datetime) -> None:
    transitions.close(case, reason=reason, at=now)
    case.updated_at = now
    case.save()
    record_case_event(
        case,
        AuditAction.CASE_CLOSED,
        actor=actor,
        before={"status": CaseStatus.RESOLVED},
        after={"status": case.status, "reason": reason},
    )


@transaction_step
def confirm_resolution(*, case: Case, actor: str, channel: str) -> Case:
    """The customer confirms the answer settled it: closed."""
    case = lock_case(case.pk)
    if case.status != CaseStatus.RESOLVED:
        raise CaseError(f"{case.reference} is {case.status}: only a resolved case is confirmed")
    _close(case, reason=CloseReason.CONFIRMED, actor=actor, now=timezone.now())
    return case


@transaction_step
def rate_case(*, case: Case, rating: int, actor: str) -> Case:
    """The one-click satisfaction rating (1 to 5), asked with the resolution; the last counts."""
    if not 1 <= int(rating) <= 5:
        raise CaseError("a rating is from 1 to 5")
    case = lock_case(case.pk)
    if case.status not in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        raise CaseError(f"{case.reference} is not resolved yet")
    before = case.satisfaction
    case.satisfaction = int(rating)
    case.save(update_fields=["satisfaction"])
    record_case_event(
        case,
        AuditAction.CASE_RATED,
        actor=actor,
        before={"satisfaction": before},
        after={"satisfaction": case.satisfaction},
    )
    return case


@transaction_step
def auto_close_resolved_cases(*, now: datetime | None = None) -> list[str]:
    """Close every case resolved longer ago than the confirmation window (the customer was told
    by the resolution email). Idempotent: a closed case is not touched again."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.CASES_CONFIRMATION_WINDOW_DAYS)
    due = list(
        Case.objects.filter(status=CaseStatus.RESOLVED, resolved_at__lte=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    closed = []
    for case in lock_cases(due):
        if case.status == CaseStatus.RESOLVED:
            _close(case, reason=CloseReason.AUTO_CLOSED, actor="system", now=now)
            closed.append(case.reference)
    return closed


def _closing_text(reason: str, into: Case | None) -> str:
    if reason == CloseReason.SPAM:
        return _(
            "We closed this request because it does not appear to need an answer from billing. "
            "If it does, please reply and we will reopen it."
        )
    if reason == CloseReason.MERGED:
        return _(
            "We have joined this request to case %(reference)s, which continues it: our answer "
            "will come there."
        ) % {"reference": into.reference}
    return _(
        "This request repeats case %(reference)s, which we are already working on: our answer "
        "will come there."
    ) % {"reference": into.reference}


def _carry_into(case: Case, into: Case, *, reason: str, actor: str) -> None:
    """What the closed case knew goes on with the case that continues it: its links, and its
    customer's messages as an internal note (staff read the whole story in one place)."""
    into.invoices.add(*case.invoices.all())
    into.invoice_lines.add(*case.invoice_lines.all())
    into.payments.add(*case.payments.all())
    into.subscriptions.add(*case.subscriptions.all())
    said = [
        f"{m.created_at:%Y-%m-%d %H:%M} {m.author}: {m.body}"
        for m in case.messages.filter(author_kind=AuthorKind.CUSTOMER).order_by("created_at", "id")
    ]
    CaseMessage.objects.create(
        case=into,
        visibility=Visibility.INTERNAL,
        author_kind=AuthorKind.SYSTEM,
        author=actor,
        channel=Channel.SYSTEM,
        body=f"{case.reference} ({case.subject}) was closed as {reason} of this case.\n\n"
        + "\n\n".join(said),
    )


@transaction_step
def close_case_as(*, case: Case, reason: str, actor: str, into: Case | None = None) -> Case:
    """Close without resolving: merged into or duplicate of `into`, or spam. The customer gets
    a closing message saying so (a triage case of an unknown sender is not answered)."""
    if reason not in (CloseReason.MERGED, CloseReason.DUPLICATE, CloseReason.SPAM):
        raise CaseError(f"{reason!r}: close a case as merged, duplicate or spam")
    if reason != CloseReason.SPAM:
        if into is None or into.pk == case.pk:
            raise CaseError("name the other case it continues in")
        locked = {c.pk: c for c in lock_cases([case.pk, into.pk])}
        case, into = locked[case.pk], locked[into.pk]
        if into.status == CaseStatus.CLOSED:
            raise CaseError(f"{into.reference} is closed")
        if into.customer_id != case.customer_id and case.customer_id is not None:
            raise CaseError(f"{into.reference} is another customer's case")
    else:
        case = lock_case(case.pk)
    if case.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        raise CaseError(f"{case.reference} is already {case.status}")
    refuse_if_escalated(case, doing=f"closed as {reason}")
    now = timezone.now()
    before = case.status
    with translation.override(case.language):
        text = _closing_text(reason, into)
    message = publish_staff_message(case, body=text, actor=actor, channel=Channel.SYSTEM)
    message.is_resolution = True
    message.save(update_fields=["is_resolution"])
    release_dispute_hold(
        source=HoldSource.CASE, source_ref=case.reference, reason=f"closed: {reason}", actor=actor
    )
    case.merged_into = into
    sla.record_resolution(case, now=now)
    transitions.close(case, reason=reason, at=now)
    case.updated_at = now
    case.save()
    if into is not None:
        _carry_into(case, into, reason=reason, actor=actor)
    record_case_event(
        case,
        AuditAction.CASE_CLOSED,
        actor=actor,
        before={"status": before},
        after={"status": case.status, "reason": reason, "into": into.reference if into else None},
        message=message,
    )
    return case


do_resolve_case = entry_point(resolve_case)
do_reopen_case = entry_point(reopen_case)
do_confirm_resolution = entry_point(confirm_resolution)
do_rate_case = entry_point(rate_case)
do_auto_close_resolved_cases = entry_point(auto_close_resolved_cases)
do_close_case_as = entry_point(close_case_as)
