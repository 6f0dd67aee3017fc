"""Keeping track: 21Vianet's answers become internal notes on the case (typed by the agent,
threaded in from their email, or read from the API); the assignee is reminded when 21Vianet has
not answered in N business days; the customer hears from us every N business days."""

from __future__ import annotations

import re
import unicodedata

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cspbilling.audit.actions import AuditAction
from cspbilling.cases.intake.parse import InboundMail
from cspbilling.cases.models import CaseMessage, Channel
from cspbilling.cases.services import add_note
from cspbilling.cases.services.cases import publish_staff_message
from cspbilling.cases.services.mail import queue_staff_email
from cspbilling.cases.upstream_mail import UpstreamThread, UpstreamUnmatched
from cspbilling.core.services import entry_point, transaction_step
from cspbilling.escalations import texts, transitions
from cspbilling.escalations.clock import business_days_later
from cspbilling.escalations.locks import lock_escalation
from cspbilling.escalations.models import (
    OPEN_STATUSES,
    WAITING_ON_UPSTREAM,
    Escalation,
    EscalationStatus,
)
from cspbilling.escalations.services.events import EscalationError, record_escalation_event

# Ours and theirs in Chinese text: no word boundary between a CJK character and a letter or a
# digit ("参考号ESC-000001的"), so the edges are ASCII letters and digits, not \b.
REFERENCE = re.compile(r"(?<![0-9A-Za-z])ESC-([0-9]{6,})(?![0-9])", re.IGNORECASE)
TOKEN = re.compile(r"[0-9A-Za-z-]{6,40}")
DIGITS = re.compile(r"[0-9]{6,40}")
DIGIT = re.compile(r"[0-9]")


def answered(escalation: Escalation, *, requests_information: bool, actor: str) -> None:
    """21Vianet said something: the reminder clock starts again; a question waits on us."""
    now = timezone.now()
    escalation.last_answer_at = now
    escalation.next_reminder_at = business_days_later(
        now, settings.ESCALATIONS_REMIND_AFTER_BUSINESS_DAYS
    )
    if requests_information and escalation.status == EscalationStatus.FILED:
        transitions.request_information(escalation)
    escalation.updated_at = now
    escalation.save()
    record_escalation_event(
        escalation,
        AuditAction.ESCALATION_ANSWERED,
        actor=actor,
        after={"status": escalation.status, "requests_information": requests_information},
    )


@transaction_step
def record_upstream_answer(
    *, escalation: Escalation, text: str, actor: str, requests_information: bool = False
) -> CaseMessage:
    """The agent types what 21Vianet answered (phone, portal): an internal note on the case."""
    escalation = lock_escalation(escalation.pk)
    if escalation.status not in WAITING_ON_UPSTREAM:
        raise EscalationError(f"{escalation.reference} is {escalation.status}")
    note = add_note(
        case=escalation.case, body=f"21Vianet ({escalation.ticket_number}): {text}", actor=actor
    )
    answered(escalation, requests_information=requests_information, actor=actor)
    return note


@transaction_step
def record_information_given(*, escalation: Escalation, text: str, actor: str) -> CaseMessage:
    """We answered 21Vianet's question: waiting on them again."""
    escalation = lock_escalation(escalation.pk)
    if escalation.status != EscalationStatus.INFO_REQUESTED:
        raise EscalationError(f"{escalation.reference} is {escalation.status}")
    note = add_note(case=escalation.case, body=f"Sent to 21Vianet: {text}", actor=actor)
    transitions.information_given(escalation)
    escalation.updated_at = timezone.now()
    escalation.save()
    return note


def _from_upstream(sender: str) -> bool:
    domain = sender.rpartition("@")[2].lower()
    return any(
        domain == d.lower() or domain.endswith("." + d.lower())
        for d in settings.ESCALATIONS_UPSTREAM_MAIL_DOMAINS
    )


def escalations_named(text: str) -> list[Escalation]:
    """The escalations a text names, by our reference or by 21Vianet's ticket number. Full-width
    digits and letters (（２４１１…）, ＥＳＣ) count as their ASCII twins (NFKC)."""
    text = unicodedata.normalize("NFKC", text or "")
    references = {f"ESC-{int(n):06d}" for n in REFERENCE.findall(text)}
    tokens = {t for t in set(TOKEN.findall(text)) | set(DIGITS.findall(text)) if DIGIT.search(t)}
    tokens = set(sorted(tokens)[:500])  # a ticket number has digits; a long mail, many words
    if not references and not tokens:
        return []
    return list(
        Escalation.objects.select_related("case")
        .filter(Q(reference__in=references) | Q(ticket_number__in=tokens))
        .order_by("pk")
    )


def match_upstream_mail(mail: InboundMail) -> UpstreamThread | UpstreamUnmatched | None:
    """The escalation a 21Vianet email is about: the one its new text (subject and body) names
    by our reference or their ticket number, else the one its quoted history names (a reply
    that only quotes the ticket). Several at once, or none: not guessed (UpstreamUnmatched)."""
    if not _from_upstream(mail.sender):
        return None
    found = None
    for where, text in (("text", f"{mail.subject}\n{mail.body}"), ("quoted history", mail.quoted)):
        named = escalations_named(text)
        if len(named) > 1:
            which = ", ".join(f"{e.reference} (ticket {e.ticket_number or '—'})" for e in named)
            return UpstreamUnmatched(
                f"Mail from 21Vianet ({mail.sender}) whose {where} names several escalations: "
                f"{which}. It is not threaded into any of them: record what it says on the "
                "right escalation by hand."
            )
        if named:
            found = named[0]
            break
    if found is None:
        return UpstreamUnmatched(
            f"Mail from 21Vianet ({mail.sender}) that names none of our escalations (no "
            "ESC- reference and no ticket number we filed). Find the escalation it answers "
            "and record what it says there by hand."
        )
    escalation_pk = found.pk

    def recorded(message: CaseMessage) -> None:
        escalation = lock_escalation(escalation_pk)
        if escalation.status in WAITING_ON_UPSTREAM:
            asks = bool(re.search(r"请提供|补充|provide|information", mail.body, re.IGNORECASE))
            answered(escalation, requests_information=asks, actor="mail")

    return UpstreamThread(case=found.case, recorded=recorded, label=f"21Vianet {found.reference}")


@transaction_step
def remind_one(*, escalation: Escalation) -> bool:
    """One reminder to the assignee (or staff alerts), when 21Vianet is silent past due."""
    escalation = lock_escalation(escalation.pk)
    now = timezone.now()
    due = escalation.next_reminder_at
    if escalation.status not in WAITING_ON_UPSTREAM or due is None or due > now:
        return False
    case = escalation.case
    to = [case.assignee.email] if case.assignee_id and case.assignee.email else []
    to = to or list(settings.STAFF_ALERT_EMAILS)
    days = settings.ESCALATIONS_REMIND_AFTER_BUSINESS_DAYS
    queue_staff_email(
        to=to,
        subject=f"[{escalation.reference}] 21Vianet has not answered ticket "
        f"{escalation.ticket_number} in {days} business days",
        body=(
            f"{escalation.reference} ({case.reference}, {escalation.customer}) was filed "
            f"{escalation.filed_at:%Y-%m-%d}; 21Vianet's last answer: "
            f"{escalation.last_answer_at or 'none'}. Follow the ticket up in the Partner Center "
            "portal and record what they say on the case."
        ),
        key=f"escalation-reminder:{escalation.reference}:{due.isoformat()}",
        actor="system",
    )
    escalation.next_reminder_at = business_days_later(now, days)
    escalation.save(update_fields=["next_reminder_at"])
    record_escalation_event(
        escalation, AuditAction.ESCALATION_REMINDED, actor="system", after={"to": to}
    )
    return True


@transaction_step
def update_customer(*, escalation: Escalation) -> bool:
    """The customer's update while escalated, every N business days."""
    escalation = lock_escalation(escalation.pk)
    now = timezone.now()
    due = escalation.next_customer_update_at
    if escalation.status not in OPEN_STATUSES or due is None or due > now:
        return False
    case = escalation.case
    days = settings.ESCALATIONS_CUSTOMER_UPDATE_BUSINESS_DAYS
    if case.is_open:
        publish_staff_message(
            case,
            body=texts.still_escalated(
                case.language, case=case.reference, escalation=escalation.reference, days=days
            ),
            actor="system",
            channel=Channel.SYSTEM,
        )
    escalation.next_customer_update_at = business_days_later(now, days)
    escalation.save(update_fields=["next_customer_update_at"])
    record_escalation_event(escalation, AuditAction.ESCALATION_CUSTOMER_UPDATED, actor="system")
    return True


def do_send_reminders() -> dict[str, int]:
    """The periodic job: each due escalation in its own short transaction."""
    now = timezone.now()
    counts = {"reminders": 0, "customer_updates": 0}
    due_reminders = Escalation.objects.filter(
        status__in=WAITING_ON_UPSTREAM, next_reminder_at__lte=now
    ).order_by("next_reminder_at", "pk")
    for escalation in due_reminders:
        with transaction.atomic(durable=True):
            counts["reminders"] += remind_one(escalation=escalation)
    due_updates = Escalation.objects.filter(
        status__in=OPEN_STATUSES, next_customer_update_at__lte=now
    ).order_by("next_customer_update_at", "pk")
    for escalation in due_updates:
        with transaction.atomic(durable=True):
            counts["customer_updates"] += update_customer(escalation=escalation)
    return counts


do_record_upstream_answer = entry_point(record_upstream_answer)
do_record_information_given = entry_point(record_information_given)
