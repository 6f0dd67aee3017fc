"""Credit notes: money given back on an issued invoice, whole or per line, with a reason.

A draft is made (by staff, or by a billing run when 21Vianet corrected its invoice) and reviewed;
issuing numbers it in its own series, emails it with its PDF, and asks for a red-letter fapiao
when the invoice's fapiao was already issued. Issued credit notes never change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import record_event
from cspbilling.core.services import entry_point, one_line, transaction_step
from cspbilling.invoicing import hooks, transitions
from cspbilling.invoicing.credits import CreditError, credit_of, creditable_lines
from cspbilling.invoicing.locks import lock_credit_note, lock_invoice_of_customer
from cspbilling.invoicing.mail import queue_credit_note_email
from cspbilling.invoicing.models import (
    BillingRun,
    CreditNote,
    CreditNoteLine,
    CreditNoteOrigin,
    CreditNoteStatus,
    Invoice,
    InvoiceStatus,
)
from cspbilling.invoicing.services.fapiao import request_red_letter
from cspbilling.invoicing.services.numbering import next_number

MAX_REASON = 1000


def _reason(text: str) -> str:
    reason = " ".join((text or "").split())
    if not reason:
        raise CreditError("a credit note needs a reason (the customer reads it)")
    if len(reason) > MAX_REASON:
        raise CreditError(f"the reason is longer than {MAX_REASON} characters")
    return reason


def _facts(note: CreditNote) -> dict:
    return {
        "invoice": note.invoice.number,
        "customer": str(note.customer.tenant_id),
        "origin": note.origin,
        "reason": note.reason,
        "subtotal": str(note.subtotal),
        "tax": str(note.tax),
        "total": str(note.total),
        "currency": note.currency,
        "lines": {str(line.invoice_line_id): str(line.net_minor) for line in note.lines.all()},
    }


@transaction_step
def draft_credit_note(
    *,
    invoice: Invoice,
    reason: str,
    actor: str,
    amounts: Mapping[int, Decimal] | None = None,
    origin: str = CreditNoteOrigin.MANUAL,
    billing_run: BillingRun | None = None,
) -> CreditNote:
    """A draft credit note on an issued invoice: `amounts` (net, by invoice line id) or, without
    them, everything left to credit on every line. Refused whole (CreditError) if any amount is
    beyond its line, or if the total it gives back is not positive."""
    reason = _reason(reason)
    invoice = lock_invoice_of_customer(invoice)  # credits of one invoice, one at a time
    if invoice.status != InvoiceStatus.ISSUED:
        raise CreditError(f"{invoice} is not issued: a draft is corrected by a billing run")
    left = {item.line.pk: item for item in creditable_lines(invoice)}
    if amounts is None:
        chosen = [
            (item, item.net_minor, item.tax_minor) for item in left.values() if item.net_minor
        ]
    else:
        unknown = sorted(set(amounts) - set(left))
        if unknown:
            raise CreditError(f"{invoice.number} has no line {unknown[0]}")
        chosen = [
            (left[pk], *credit_of(left[pk], Decimal(amount), invoice.currency))
            for pk, amount in sorted(amounts.items())
        ]
    subtotal = sum(net for _, net, _ in chosen)
    tax = sum(line_tax for _, _, line_tax in chosen)
    if not chosen or subtotal + tax <= 0:
        raise CreditError(
            f"nothing left to credit on {invoice.number}"
            if not chosen
            else "a credit note gives back a positive total"
        )
    note = CreditNote.objects.create(
        invoice=invoice,
        customer=invoice.customer,
        currency=invoice.currency,
        origin=origin,
        reason=reason,
        billing_run=billing_run,
        subtotal_minor=subtotal,
        tax_minor=tax,
        total_minor=subtotal + tax,
        created_by=actor,
    )
    CreditNoteLine.objects.bulk_create(
        CreditNoteLine(credit_note=note, invoice_line=item.line, net_minor=net, tax_minor=line_tax)
        for item, net, line_tax in chosen
    )
    record_event(
        actor=actor,
        action=AuditAction.CREDIT_NOTE_DRAFTED,
        object_type="credit_note",
        object_id=note.pk,
        after=_facts(note),
    )
    return note


@transaction_step
def issue_credit_note(
    *, credit_note: CreditNote, actor: str, on: dt.date | None = None
) -> CreditNote:
    """Number the draft in the credit-note series, email it, and ask for a red-letter fapiao
    when the invoice's fapiao is already issued."""
    on = on or timezone.localdate()
    note = lock_credit_note(credit_note.pk)
    number = next_number(settings.CREDIT_NOTE_NUMBER_SERIES, on.year)
    transitions.issue_credit_note(note, number=number, on=on)
    note.save(update_fields=["status", "number", "issued_on"])
    hooks.credit_note_issued(note, actor)
    email = queue_credit_note_email(note, actor=actor)
    red_letter = request_red_letter(credit_note=note, actor=actor)
    record_event(
        actor=actor,
        action=AuditAction.CREDIT_NOTE_ISSUED,
        object_type="credit_note",
        object_id=number,
        before={"status": CreditNoteStatus.DRAFT},
        after={
            **_facts(note),
            "status": CreditNoteStatus.ISSUED,
            "issued_on": on.isoformat(),
            "emailed_to": email.payload["to"] if email else [],
            "red_letter_fapiao_requested": red_letter is not None,
        },
    )
    credit_note.__dict__.update({k: getattr(note, k) for k in ("status", "number", "issued_on")})
    return note


@transaction_step
def credit_invoice(
    *,
    invoice: Invoice,
    reason: str,
    actor: str,
    amounts: Mapping[int, Decimal] | None = None,
    on: dt.date | None = None,
) -> CreditNote:
    """Draft and issue at once (staff crediting by hand)."""
    note = draft_credit_note(invoice=invoice, reason=reason, actor=actor, amounts=amounts)
    return issue_credit_note(credit_note=note, actor=actor, on=on)


@transaction_step
def discard_credit_note(*, credit_note: CreditNote, actor: str, reason: str) -> CreditNote:
    """A draft nobody will issue (a correction staff judged wrong): kept, but credits nothing."""
    note = lock_credit_note(credit_note.pk)
    why = one_line(_reason(reason), MAX_REASON)
    transitions.discard_credit_note(note)
    note.save(update_fields=["status"])
    record_event(
        actor=actor,
        action=AuditAction.CREDIT_NOTE_DISCARDED,
        object_type="credit_note",
        object_id=note.pk,
        before={"status": CreditNoteStatus.DRAFT},
        after={"status": CreditNoteStatus.DISCARDED, "why": why},
    )
    credit_note.status = note.status
    return note


do_draft_credit_note = entry_point(draft_credit_note)
do_issue_credit_note = entry_point(issue_credit_note)
do_credit_invoice = entry_point(credit_invoice)
do_discard_credit_note = entry_point(discard_credit_note)
