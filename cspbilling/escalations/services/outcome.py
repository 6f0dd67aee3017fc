"""The outcome, back to money and to the case.

Upheld: the credit 21Vianet promised is recorded; the customer's credit note is issued at once
(`on_approval`) or once a later upstream invoice carries the credit (`on_arrival`), matched by
customer, subscription, amount and period. Rejected: the hold on collections is lifted and the
customer is told why. Either way the case is resolved through cases' resolve path, with the
customer-visible resolution message (a case never closes without one)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from cspbilling.audit.actions import AuditAction
from cspbilling.cases.models import CaseCategory, CaseStatus, Channel, DisputeOutcome
from cspbilling.cases.services import add_note, resolve_case
from cspbilling.cases.services.cases import publish_staff_message
from cspbilling.core.money import MoneyError, from_minor_units, to_minor_units
from cspbilling.core.services import entry_point, transaction_step
from cspbilling.escalations import texts, transitions
from cspbilling.escalations.locks import lock_escalation
from cspbilling.escalations.models import (
    AWAITING_OUTCOME,
    WAITING_ON_UPSTREAM,
    CreditNoteWhen,
    Escalation,
    EscalationStatus,
)
from cspbilling.escalations.services.events import EscalationError, record_escalation_event
from cspbilling.escalations.services.holds import release_escalation_hold
from cspbilling.invoicing.models import BilledUpstreamLine, CreditNote, CreditNoteOrigin, Invoice
from cspbilling.invoicing.services.credit_notes import draft_credit_note, issue_credit_note
from cspbilling.upstream.models import UpstreamLineItem


def _close(escalation: Escalation, *, actor: str) -> None:
    transitions.close(escalation, at=timezone.now())
    escalation.updated_at = timezone.now()
    escalation.save()
    escalation.lines.update(is_open=False)
    release_escalation_hold(
        escalation=escalation, reason=f"{escalation.reference} closed", actor=actor
    )
    record_escalation_event(escalation, AuditAction.ESCALATION_CLOSED, actor=actor)


def _resolve(escalation: Escalation, *, resolution: str, outcome: str, credit_note, actor: str):
    case = escalation.case
    case.refresh_from_db()
    if case.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        return
    others = Escalation.objects.filter(case=case, status__in=AWAITING_OUTCOME).exclude(
        pk=escalation.pk
    )
    if others.exists():
        add_note(
            case=case,
            body=f"{escalation.reference} is settled, but {case.reference} stays escalated: "
            f"{', '.join(o.reference for o in others.order_by('pk'))} still waits on 21Vianet. "
            "Resolve the case once that one is settled too.",
            actor=actor,
        )
        return
    is_dispute = case.category == CaseCategory.DISPUTE
    resolve_case(
        case=case,
        resolution=resolution,
        actor=actor,
        outcome=outcome if is_dispute else "",
        credit_note=credit_note if is_dispute else None,
    )


def credit_amounts(escalation: Escalation) -> tuple[Invoice, dict[int, Decimal]]:
    """The customer's invoice and the net to credit per invoice line: what we billed for the
    disputed upstream lines (their share of each line's upstream cost), scaled by the part of
    the dispute 21Vianet credits (promised / disputed)."""
    ratio = Decimal(escalation.promised_credit_minor or 0) / Decimal(escalation.disputed_minor or 1)
    by_upstream = dict(escalation.lines.values_list("upstream_line_id", "amount_minor"))
    billed = BilledUpstreamLine.objects.filter(upstream_line_id__in=by_upstream).select_related(
        "invoice_line__invoice"
    )
    invoice: Invoice | None = None
    disputed_micro: dict[int, int] = {}
    lines = {}
    for row in billed.order_by("invoice_line_id", "upstream_line_id"):
        line = row.invoice_line
        invoice = invoice or line.invoice
        if line.invoice_id != invoice.pk:
            continue  # one credit note per escalation: on the first invoice (see the report)
        lines[line.pk] = line
        disputed_micro[line.pk] = (
            disputed_micro.get(line.pk, 0) + by_upstream[row.upstream_line_id] * 10_000
        )
    if invoice is None:
        raise EscalationError(
            f"{escalation.reference}: the disputed lines were never billed to the customer; "
            "nothing to credit"
        )
    amounts = {}
    for pk, line in lines.items():
        share = Decimal(disputed_micro[pk]) / Decimal(line.upstream_amount_micro or 1)
        net = (Decimal(line.net_minor) * min(share, Decimal(1)) * ratio).quantize(
            Decimal(1), ROUND_HALF_UP
        )
        if net:
            amounts[pk] = from_minor_units(int(net), invoice.currency)
    return invoice, amounts


def _issue_credit_note(escalation: Escalation, *, actor: str) -> CreditNote:
    invoice, amounts = credit_amounts(escalation)
    note = draft_credit_note(
        invoice=invoice,
        reason=f"21Vianet upheld dispute {escalation.reference} (ticket "
        f"{escalation.ticket_number})",
        actor=actor,
        amounts=amounts,
        origin=CreditNoteOrigin.UPSTREAM_CORRECTION,
    )
    note = issue_credit_note(credit_note=note, actor=actor)
    escalation.credit_note = note
    escalation.save(update_fields=["credit_note"])
    record_escalation_event(
        escalation,
        AuditAction.ESCALATION_CREDITED,
        actor=actor,
        after={"credit_note": note.number, "total_minor": note.total_minor},
    )
    case = escalation.case
    _resolve(
        escalation,
        resolution=texts.credited(
            case.language,
            number=note.number,
            amount=from_minor_units(note.total_minor, note.currency),
            currency=note.currency,
            invoice=invoice.number,
        ),
        outcome=DisputeOutcome.CREDIT_NOTE,
        credit_note=note,
        actor=actor,
    )
    return note


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
    if settings.ESCALATIONS_CREDIT_NOTE_WHEN == CreditNoteWhen.ON_APPROVAL:
        _issue_credit_note(escalation, actor=actor)
        _close(escalation, actor=actor)
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
    _resolve(
        escalation,
        resolution=texts.rejected(escalation.case.language, reason=reason),
        outcome=DisputeOutcome.UPHELD,
        credit_note=None,
        actor=actor,
    )
    _close(escalation, actor=actor)
    return escalation


def credit_candidates(escalation: Escalation):
    """Upstream lines that may be 21Vianet's promised credit: the customer's, on a disputed
    subscription, exactly minus the promised amount (before tax), for a period from the
    disputed one on, on an invoice other than the disputed ones, and no other escalation's."""
    lines = list(escalation.lines.all())
    start = min((line.charge_start for line in lines if line.charge_start), default=None)
    period = Q(charge_start__gte=start) | Q(charge_start=None) if start else Q()
    return (
        UpstreamLineItem.objects.filter(
            period,
            customer_tenant_id=escalation.customer.tenant_id,
            subscription_id__in={line.subscription_id for line in lines},
            amount_minor=-(escalation.promised_credit_minor or 0),
        )
        .exclude(invoice__invoice_id__in={line.upstream_invoice_id for line in lines})
        .exclude(
            pk__in=Escalation.objects.exclude(credit_upstream_line_id=None).values(
                "credit_upstream_line_id"
            )
        )
        .order_by("pk")
    )


@transaction_step
def match_credits(*, actor: str = "system") -> list[str]:
    """Every upheld escalation whose credit a later upstream invoice now carries: matched, and
    (on_arrival) the customer's credit note issued and the case resolved. Idempotent."""
    matched = []
    waiting = Escalation.objects.filter(
        status__in=(EscalationStatus.UPHELD, EscalationStatus.CLOSED),
        promised_credit_minor__isnull=False,
        credit_upstream_line_id=None,
    ).order_by("pk")
    for candidate in waiting:
        line = credit_candidates(candidate).first()
        if line is None:
            continue
        escalation = lock_escalation(candidate.pk)
        escalation.credit_upstream_line_id = line.pk
        escalation.credit_received_at = timezone.now()
        escalation.save(update_fields=["credit_upstream_line_id", "credit_received_at"])
        add_note(
            case=escalation.case,
            body=f"21Vianet's credit for {escalation.reference} arrived: upstream line "
            f"{line.pk} on invoice {line.invoice.invoice_id} ({escalation.promised_credit} "
            f"{escalation.currency}).",
            actor=actor,
        )
        record_escalation_event(
            escalation,
            AuditAction.ESCALATION_CREDIT_MATCHED,
            actor=actor,
            after={"upstream_line": line.pk, "invoice": line.invoice.invoice_id},
        )
        if escalation.status == EscalationStatus.UPHELD:
            if escalation.credit_note_id is None:
                _issue_credit_note(escalation, actor=actor)
            _close(escalation, actor=actor)
        matched.append(escalation.reference)
    return matched


do_record_upheld = entry_point(record_upheld)
do_record_rejected = entry_point(record_rejected)
do_match_credits = entry_point(match_credits)
