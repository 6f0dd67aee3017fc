"""Email intake: one inbound email becomes a new case, a message on its case (matched by the
reference in the subject or by In-Reply-To / References), a confirmation or a reopening — or
nothing, when it is automatic mail (auto-reply, bounce, loop) or already stored.

`do_ingest_email` is the entry point of every channel (Maildir, SMTP listener, IMAP poll): it
parses, stores attachments (outside any transaction: content-addressed names, so a retry is
harmless), then writes in one short transaction."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from cspbilling.audit.actions import AuditAction
from cspbilling.cases.intake.parse import InboundMail, parse_email
from cspbilling.cases.models import (
    AuthorKind,
    Case,
    CaseAttachment,
    CaseMessage,
    CaseStatus,
    Channel,
    Visibility,
)
from cspbilling.cases.services.cases import open_case, publish_staff_message
from cspbilling.cases.services.closing import confirm_resolution
from cspbilling.cases.services.conversation import record_customer_message
from cspbilling.cases.services.events import record_case_event
from cspbilling.cases.upstream_mail import UpstreamThread, UpstreamUnmatched, match_upstream_mail
from cspbilling.core.services import transaction_step
from cspbilling.customers.models import BillingContact

ACTOR = "mail"
CONFIRM_WORDS = {
    "confirm",
    "confirmed",
    "ok",
    "resolved",
    "确认",
    "已解决",
    "好的，已解决",
    "confirmer",
}


@dataclass(frozen=True)
class StoredAttachment:
    filename: str
    content_type: str
    size: int
    storage_name: str


@dataclass(frozen=True)
class IntakeResult:
    # new_case, triage, message, reopened, confirmed, follow_up, upstream_note, duplicate, ignored
    outcome: str
    reference: str = ""
    reason: str = ""


def _safe_name(filename: str) -> str:
    name = re.sub(r"[\\/\x00-\x1f]", "_", filename).strip(". ") or "attachment"
    return name[-120:]


def store_attachments(mail: InboundMail) -> tuple[list[StoredAttachment], list[str]]:
    """Keep the attachments within the size and type limits; (kept, refused with why)."""
    storage = storages["uploads"]
    kept, refused = [], []
    for attachment in mail.attachments:
        size = len(attachment.content)
        if size > settings.CASES_ATTACHMENT_MAX_BYTES:
            refused.append(f"{attachment.filename}: {size} bytes is over the limit")
            continue
        if attachment.content_type not in settings.CASES_ATTACHMENT_TYPES:
            refused.append(f"{attachment.filename}: type {attachment.content_type} is not kept")
            continue
        digest = hashlib.sha256(attachment.content).hexdigest()
        name = f"cases/{digest[:2]}/{digest}/{_safe_name(attachment.filename)}"
        if not storage.exists(name):
            name = storage.save(name, ContentFile(attachment.content))
        kept.append(
            StoredAttachment(attachment.filename[:255], attachment.content_type, size, name)
        )
    return kept, refused


def _message_id(mail: InboundMail, raw: bytes) -> str:
    """The Message-ID, or one made from the content (the same mail twice is still one)."""
    return mail.message_id or f"<sha256-{hashlib.sha256(raw).hexdigest()[:40]}@intake>"


def _find_case(mail: InboundMail) -> Case | None:
    references = [f"CASE-{number:06d}" for number in mail.case_numbers]
    if references:
        case = Case.objects.filter(reference__in=references).order_by("-pk").first()
        if case is not None:
            return case
    if mail.thread_ids:
        known = (
            CaseMessage.objects.filter(message_id__in=mail.thread_ids)
            .select_related("case")
            .order_by("-pk")
            .first()
        )
        if known is not None:
            return known.case
    return None


def _sender_customer_ids(sender: str) -> list[int]:
    return list(
        BillingContact.objects.filter(email__iexact=sender)
        .values_list("customer_id", flat=True)
        .distinct()
    )


def _may_write_on(case: Case, sender: str, customer_ids: list[int]) -> bool:
    return sender == case.contact_email.lower() or (
        case.customer_id is not None and case.customer_id in customer_ids
    )


def _attach(message: CaseMessage, kept: list[StoredAttachment], refused: list[str]) -> None:
    CaseAttachment.objects.bulk_create(
        CaseAttachment(
            message=message,
            filename=a.filename,
            content_type=a.content_type,
            size=a.size,
            storage_name=a.storage_name,
        )
        for a in kept
    )
    if refused:
        CaseMessage.objects.create(
            case=message.case,
            visibility=Visibility.INTERNAL,
            author_kind=AuthorKind.SYSTEM,
            author=ACTOR,
            channel=Channel.SYSTEM,
            body="Attachments not kept:\n" + "\n".join(refused),
        )


def _is_confirmation(body: str) -> bool:
    first = (body.strip().splitlines() or [""])[0].strip(" .!。！").lower()
    return first in CONFIRM_WORDS


def _new_case(mail: InboundMail, message_id: str, customer_ids: list[int]) -> Case:
    from cspbilling.customers.models import Customer

    customer = Customer.objects.get(pk=customer_ids[0]) if len(customer_ids) == 1 else None
    case = open_case(
        customer=customer,
        subject=mail.subject or "(no subject)",
        body=mail.body or "(no text)",
        category="invoice_question",
        channel=Channel.EMAIL,
        actor=ACTOR,
        contact_email=mail.sender,
        contact_name=mail.sender_name[:200],
        message_id=message_id,
        quoted_history=mail.quoted,
    )
    if customer is not None and case.status == CaseStatus.NEW:
        with translation.override(case.language):
            text = _(
                "We received your request and opened case %(reference)s. We will answer you "
                "by email; reply to this email to add to it."
            ) % {"reference": case.reference}
        publish_staff_message(case, body=text, actor="system", channel=Channel.SYSTEM)
    return case


def _upstream_note(
    thread: UpstreamThread,
    mail: InboundMail,
    message_id: str,
    kept: list[StoredAttachment],
    refused: list[str],
) -> IntakeResult:
    """Upstream support answered (an escalation): an internal note on the case, nothing sent."""
    from cspbilling.cases.locks import lock_case

    case = lock_case(thread.case.pk)
    note = CaseMessage.objects.create(
        case=case,
        visibility=Visibility.INTERNAL,
        author_kind=AuthorKind.SYSTEM,
        author=mail.sender,
        channel=Channel.EMAIL,
        body=f"{thread.label} ({mail.sender}): {mail.subject}\n\n{mail.body or '(no text)'}",
        quoted_history=mail.quoted,
        message_id=message_id,
    )
    _attach(note, kept, refused)
    thread.recorded(note)  # first: it locks the escalation's customer before the audit head
    record_case_event(case, AuditAction.CASE_NOTE_ADDED, actor=ACTOR, message=note)
    return IntakeResult("upstream_note", case.reference)


def _unplaced_upstream(
    unmatched: UpstreamUnmatched,
    mail: InboundMail,
    message_id: str,
    kept: list[StoredAttachment],
    refused: list[str],
) -> IntakeResult:
    """Upstream support wrote, about no case we can tell: a triage case (never answered: its
    sender is no customer's contact) saying why, for a person to place."""
    case = _new_case(mail, message_id, [])
    _attach(case.messages.order_by("pk").first(), kept, refused)
    CaseMessage.objects.create(
        case=case,
        visibility=Visibility.INTERNAL,
        author_kind=AuthorKind.SYSTEM,
        author=ACTOR,
        channel=Channel.SYSTEM,
        body=unmatched.reason,
    )
    return IntakeResult("triage", case.reference, unmatched.reason)


@transaction_step
def record_inbound_email(
    *, mail: InboundMail, message_id: str, kept: list[StoredAttachment], refused: list[str]
) -> IntakeResult:
    if CaseMessage.objects.filter(message_id=message_id).exists():
        return IntakeResult("duplicate", reason=message_id)
    thread = match_upstream_mail(mail)
    if isinstance(thread, UpstreamThread):
        return _upstream_note(thread, mail, message_id, kept, refused)
    if isinstance(thread, UpstreamUnmatched):
        return _unplaced_upstream(thread, mail, message_id, kept, refused)
    customer_ids = _sender_customer_ids(mail.sender)
    case = _find_case(mail)
    if case is not None and _may_write_on(case, mail.sender, customer_ids):
        if case.status == CaseStatus.CLOSED:
            follow_up = _new_case(mail, message_id, customer_ids or [case.customer_id])
            _attach(follow_up.messages.order_by("pk").first(), kept, refused)
            return IntakeResult("follow_up", follow_up.reference, f"after {case.reference}")
        was_resolved = case.status == CaseStatus.RESOLVED
        confirms = was_resolved and _is_confirmation(mail.body)
        message = record_customer_message(
            case=case,
            body=mail.body or "(no text)",
            author=mail.sender,
            channel=Channel.EMAIL,
            actor=ACTOR,
            message_id=message_id,
            quoted_history=mail.quoted,
            reopen=not confirms,
        )
        _attach(message, kept, refused)
        if confirms:
            confirm_resolution(case=case, actor=mail.sender, channel=Channel.EMAIL)
            return IntakeResult("confirmed", case.reference)
        return IntakeResult("reopened" if was_resolved else "message", case.reference)
    case = _new_case(mail, message_id, customer_ids)
    _attach(case.messages.order_by("pk").first(), kept, refused)
    return IntakeResult("triage" if case.customer_id is None else "new_case", case.reference)


def do_ingest_email(*, raw: bytes) -> IntakeResult:
    """Entry point for every mail channel: parse, store attachments, one transaction."""
    mail = parse_email(raw)
    if mail.automatic:
        return IntakeResult("ignored", reason=mail.automatic)
    message_id = _message_id(mail, raw)
    if CaseMessage.objects.filter(message_id=message_id).exists():
        return IntakeResult("duplicate", reason=message_id)
    kept, refused = store_attachments(mail)
    try:
        with transaction.atomic(durable=True):
            return record_inbound_email(
                mail=mail, message_id=message_id, kept=kept, refused=refused
            )
    except IntegrityError:
        if CaseMessage.objects.filter(message_id=message_id).exists():
            return IntakeResult("duplicate", reason=message_id)  # a twin won the race
        raise
