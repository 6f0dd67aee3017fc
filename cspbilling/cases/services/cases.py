"""Opening a case and working it: assign, prioritise, identify the customer of a triage case,
wait on the customer, escalate. Technical questions are routed to technical support."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cspbilling.audit.actions import AuditAction
from cspbilling.cases import sla, transitions
from cspbilling.cases.locks import lock_case
from cspbilling.cases.models import (
    AuthorKind,
    Case,
    CaseCategory,
    CaseMessage,
    CasePriority,
    CaseStatus,
    Channel,
    Visibility,
)
from cspbilling.cases.services.events import record_case_event
from cspbilling.cases.services.mail import queue_case_message_email, queue_staff_email
from cspbilling.cases.upstream_escalations import pending_escalations
from cspbilling.collections.models import HoldSource
from cspbilling.collections.services import place_dispute_hold, release_dispute_hold
from cspbilling.core.money import MoneyError, to_minor_units
from cspbilling.core.services import entry_point, transaction_step
from cspbilling.customers.locks import lock_customer
from cspbilling.customers.models import Customer
from cspbilling.invoicing.models import Invoice, InvoiceLine
from cspbilling.notifications.services import queue_webhook
from cspbilling.payments.models import Payment
from cspbilling.subscriptions.models import Subscription

INVOICE_NUMBER = re.compile(r"\b[A-Z][A-Z0-9]{0,7}-\d{4}-\d{6}\b")


class CaseError(ValueError):
    """A case operation refused; says why."""


def _clean(text: str, *, what: str, limit: int) -> str:
    text = (text or "").strip()
    if not text:
        raise CaseError(f"the {what} is empty")
    if len(text) > limit:
        raise CaseError(f"the {what} is longer than {limit} characters")
    return text


def _own(customer: Customer | None, objects: Sequence, what: str) -> None:
    for obj in objects:
        if customer is None or obj.customer_id != customer.pk:
            raise CaseError(f"{what} {obj} is not the customer's")


@transaction_step
def open_case(
    *,
    customer: Customer | None,
    subject: str,
    body: str,
    category: str,
    channel: str,
    actor: str,
    author_kind: str = AuthorKind.CUSTOMER,
    contact_email: str = "",
    contact_name: str = "",
    priority: str = CasePriority.NORMAL,
    invoices: Sequence[Invoice] = (),
    invoice_lines: Sequence[InvoiceLine] = (),
    payments: Sequence[Payment] = (),
    subscriptions: Sequence[Subscription] = (),
    disputed_invoice: Invoice | None = None,
    disputed_amount: Decimal | None = None,
    message_id: str | None = None,
    quoted_history: str = "",
    language: str = "",
) -> Case:
    """A new case with its first message (public, from the customer or staff on its behalf).
    A dispute names its invoice and amount, held out of collections while the case is open."""
    if category not in CaseCategory.values:
        raise CaseError(f"{category!r} is not a case category")
    if priority not in CasePriority.values:
        raise CaseError(f"{priority!r} is not a priority")
    if channel not in Channel.values:
        raise CaseError(f"{channel!r} is not a channel")
    subject = " ".join(_clean(subject, what="subject", limit=300).split())
    body = _clean(body, what="message", limit=100_000)
    lines = list(invoice_lines)
    _own(customer, [*invoices, *[line.invoice for line in lines]], "invoice")
    _own(customer, [*payments, *subscriptions], "record")
    if category == CaseCategory.DISPUTE:
        if disputed_invoice is None or disputed_amount is None:
            raise CaseError("a dispute names the invoice and the disputed amount")
        _own(customer, [disputed_invoice], "invoice")
    if disputed_invoice is not None and disputed_amount is not None:
        try:
            to_minor_units(Decimal(str(disputed_amount)), disputed_invoice.currency)
        except (MoneyError, ArithmeticError, ValueError):
            raise CaseError(
                f"{disputed_amount} is not an amount in {disputed_invoice.currency} "
                "(at most 2 decimal places)"
            ) from None
    if customer is not None:  # a dispute or routing may follow: customer first (`lock_case`)
        lock_customer(customer.pk)
    now = timezone.now()
    case = Case.objects.create(
        customer=customer,
        contact_email=contact_email,
        contact_name=contact_name,
        language=language or (customer.language if customer else "zh-hans"),
        subject=subject,
        category=category,
        priority=priority,
        channel=channel,
        created_by=actor,
        created_at=now,
        updated_at=now,
        disputed_invoice=disputed_invoice,
    )
    case.reference = f"CASE-{case.pk:06d}"
    sla.start_clock(case, now=now)
    if disputed_invoice is not None and disputed_amount is not None:
        case.disputed_amount_minor = to_minor_units(
            Decimal(str(disputed_amount)), disputed_invoice.currency
        )
        place_dispute_hold(
            invoice=disputed_invoice,
            amount=disputed_amount,
            source=HoldSource.CASE,
            source_ref=case.reference,
            reason=subject,
            actor=actor,
        )
    case.save()
    invoice_ids = {i.pk for i in invoices} | {line.invoice_id for line in lines}
    invoice_ids |= _mentioned_invoices(customer, f"{subject}\n{body}")
    if disputed_invoice is not None:
        invoice_ids.add(disputed_invoice.pk)
    case.invoices.set(invoice_ids)
    case.invoice_lines.set(lines)
    case.payments.set(payments)
    case.subscriptions.set(subscriptions)
    first = CaseMessage.objects.create(
        case=case,
        visibility=Visibility.PUBLIC,
        author_kind=author_kind,
        author=contact_email or actor,
        channel=channel,
        body=body,
        quoted_history=quoted_history,
        message_id=message_id,
        created_at=now,
    )
    record_case_event(
        case,
        AuditAction.CASE_OPENED,
        actor=actor,
        after={**_summary(case), "channel": channel},
        message=first,
    )
    if category == CaseCategory.TECHNICAL and customer is not None:
        route_to_technical_support(case=case, actor=actor)
    return case


def _mentioned_invoices(customer: Customer | None, text: str) -> set[int]:
    """The customer's own invoices whose numbers the text names ("INV-2026-000042")."""
    numbers = set(INVOICE_NUMBER.findall(text))
    if customer is None or not numbers:
        return set()
    return set(
        Invoice.objects.filter(customer=customer, number__in=numbers).values_list("pk", flat=True)
    )


def _summary(case: Case) -> dict:
    return {
        "status": case.status,
        "category": case.category,
        "priority": case.priority,
        "customer": case.customer_id,
        "disputed_amount_minor": case.disputed_amount_minor,
    }


@transaction_step
def route_to_technical_support(*, case: Case, actor: str) -> Case:
    """Technical questions are not billing's: hand the case to the technical support queue (an
    address and/or a webhook), tell the customer so in its language, and resolve it here."""
    from cspbilling.cases.services.closing import resolve_case

    first = case.messages.order_by("created_at", "id").first()
    text = f"{case.reference} {case.subject}\n\n{first.body if first else ''}"
    if settings.CASES_TECHNICAL_SUPPORT_EMAIL:
        queue_staff_email(
            to=[settings.CASES_TECHNICAL_SUPPORT_EMAIL],
            subject=f"[{case.reference}] technical question: {case.subject}"[:250],
            body=f"From {case.contact_email or case.customer}\n\n{text}",
            key=f"case-technical:{case.reference}",
            actor=actor,
        )
    if settings.CASES_TECHNICAL_SUPPORT_WEBHOOK_URL:
        queue_webhook(
            url=settings.CASES_TECHNICAL_SUPPORT_WEBHOOK_URL,
            body={"event": "case.technical", "reference": case.reference, "text": text},
            secret_name=settings.CASES_WEBHOOK_SECRET_NAME,
            idempotency_key=f"case-technical-webhook:{case.reference}",
            related=("case", case.reference),
            actor=actor,
        )
    case.routed_to_technical_at = timezone.now()
    case.save(update_fields=["routed_to_technical_at"])
    record_case_event(case, AuditAction.CASE_ROUTED_TO_TECHNICAL, actor=actor)
    with translation.override(case.language):
        resolution = _(
            "Your question is a technical one: we have passed it to our technical support "
            "team, who will contact you directly. Billing questions remain welcome here."
        )
    return resolve_case(case=case, resolution=resolution, actor=actor)


@transaction_step
def assign_case(*, case: Case, assignee, actor: str) -> Case:
    case = lock_case(case.pk)
    if assignee is not None and not getattr(assignee, "is_staff_member", False):
        raise CaseError(f"{assignee} is not staff")
    before = case.assignee.username if case.assignee_id else None
    case.assignee = assignee
    if case.status == CaseStatus.NEW:
        transitions.open_case(case)
    case.updated_at = timezone.now()
    case.save(update_fields=["assignee", "status", "updated_at"])
    record_case_event(
        case,
        AuditAction.CASE_ASSIGNED,
        actor=actor,
        before={"assignee": before},
        after={"assignee": assignee.username if assignee else None},
    )
    return case


@transaction_step
def change_priority(*, case: Case, priority: str, actor: str) -> Case:
    if priority not in CasePriority.values:
        raise CaseError(f"{priority!r} is not a priority")
    case = lock_case(case.pk)
    before = case.priority
    case.priority = priority
    sla.change_priority(case, now=timezone.now())
    case.save()
    record_case_event(
        case,
        AuditAction.CASE_PRIORITY_CHANGED,
        actor=actor,
        before={"priority": before},
        after={"priority": priority},
    )
    return case


@transaction_step
def identify_customer(*, case: Case, customer: Customer, actor: str) -> Case:
    """A triage case's sender belongs to this customer: the case leaves triage."""
    case = lock_case(case.pk)
    if case.customer_id is not None:
        raise CaseError(f"{case.reference} already belongs to {case.customer}")
    case.customer = customer
    case.language = customer.language
    case.save(update_fields=["customer", "language"])
    record_case_event(
        case, AuditAction.CASE_CUSTOMER_IDENTIFIED, actor=actor, after={"customer": customer.pk}
    )
    return case


@transaction_step
def recategorize_case(
    *,
    case: Case,
    category: str,
    actor: str,
    disputed_invoice: Invoice | None = None,
    disputed_amount: Decimal | None = None,
) -> Case:
    """Staff file the case under its real category (email cases arrive as invoice questions).
    A dispute names its invoice and amount and holds them out of collections; a technical
    question goes to technical support, and the customer is told."""
    if category not in CaseCategory.values:
        raise CaseError(f"{category!r} is not a case category")
    case = lock_case(case.pk)
    if not case.is_open:
        raise CaseError(f"{case.reference} is {case.status}")
    before = {"category": case.category, "disputed_amount_minor": case.disputed_amount_minor}
    if case.category == CaseCategory.DISPUTE and category != CaseCategory.DISPUTE:
        release_dispute_hold(
            source=HoldSource.CASE, source_ref=case.reference, reason="not a dispute", actor=actor
        )
        case.disputed_invoice, case.disputed_amount_minor = None, None
    if category == CaseCategory.DISPUTE:
        if disputed_invoice is None or disputed_amount is None:
            raise CaseError("a dispute names the invoice and the disputed amount")
        _own(case.customer, [disputed_invoice], "invoice")
        place_dispute_hold(
            invoice=disputed_invoice,
            amount=disputed_amount,
            source=HoldSource.CASE,
            source_ref=case.reference,
            reason=case.subject,
            actor=actor,
        )
        case.disputed_invoice = disputed_invoice
        case.disputed_amount_minor = to_minor_units(
            Decimal(str(disputed_amount)), disputed_invoice.currency
        )
        case.invoices.add(disputed_invoice)
    case.category = category
    case.updated_at = timezone.now()
    case.save()
    record_case_event(
        case,
        AuditAction.CASE_RECATEGORIZED,
        actor=actor,
        before=before,
        after={"category": category, "disputed_amount_minor": case.disputed_amount_minor},
    )
    if category == CaseCategory.TECHNICAL and case.customer_id is not None:
        return route_to_technical_support(case=case, actor=actor)
    return case


@transaction_step
def escalate_case(*, case: Case, actor: str, note: str = "") -> Case:
    """The case waits on 21Vianet: only escalations calls this, in the transaction that
    prepared the escalation record (a case is never `escalated` without one). The resolution
    clock pauses while 21Vianet has it (sla.py)."""
    case = lock_case(case.pk)
    pending = pending_escalations(case)
    if not pending:
        raise CaseError(
            f"{case.reference} is escalated only by escalating it to 21Vianet (“Escalate to "
            "21Vianet…”, which prepares the request): there is no escalation of it to wait on"
        )
    before = case.status
    transitions.escalate(case)
    sla.pause(case, now=timezone.now())
    case.updated_at = timezone.now()
    case.save()
    record_case_event(
        case,
        AuditAction.CASE_ESCALATED,
        actor=actor,
        before={"status": before},
        after={"status": case.status, "note": note or ", ".join(p.reference for p in pending)},
    )
    return case


@transaction_step
def end_escalation(*, case: Case, actor: str, note: str) -> Case:
    """Its escalation to 21Vianet was withdrawn or cancelled: when nothing else of the case
    waits on 21Vianet, the case is ours again (open) and its resolution clock runs on."""
    case = lock_case(case.pk)
    if case.status != CaseStatus.ESCALATED or pending_escalations(case):
        return case
    transitions.open_case(case)
    now = timezone.now()
    sla.resume(case, now=now)
    case.updated_at = now
    case.save()
    record_case_event(
        case,
        AuditAction.CASE_ESCALATION_ENDED,
        actor=actor,
        before={"status": CaseStatus.ESCALATED},
        after={"status": case.status, "note": note},
    )
    return case


def refuse_if_escalated(case: Case, *, doing: str) -> None:
    """A case whose escalation still waits on 21Vianet is not resolved or closed by hand."""
    pending = pending_escalations(case)
    if pending:
        raise CaseError(
            f"{case.reference} cannot be {doing}: its escalation to 21Vianet "
            f"{'; '.join(p.summary for p in pending)} is still open. Record 21Vianet's outcome "
            "on the escalation, "
            "or withdraw it, first"
        )


def publish_staff_message(case: Case, *, body: str, actor: str, channel: str) -> CaseMessage:
    """A public staff message, emailed (the caller records the event)."""
    message = CaseMessage.objects.create(
        case=case,
        visibility=Visibility.PUBLIC,
        author_kind=AuthorKind.STAFF if actor != "system" else AuthorKind.SYSTEM,
        author=actor,
        channel=channel,
        body=_clean(body, what="message", limit=100_000),
    )
    queue_case_message_email(case, message, actor=actor)
    return message


do_open_case = entry_point(open_case)
do_assign_case = entry_point(assign_case)
do_change_priority = entry_point(change_priority)
do_identify_customer = entry_point(identify_customer)
do_recategorize_case = entry_point(recategorize_case)
do_route_to_technical_support = entry_point(route_to_technical_support)
