"""The customer's credit for an upheld escalation, given once.

Credit notes: one per customer invoice whose lines billed the disputed upstream lines, each for
the share of the credit those lines carry, all in the caller's one transaction (one refused:
none is issued) and never twice for one invoice (`EscalationCreditNote` is unique per escalation
and invoice).

21Vianet's credit line itself (matched on a later upstream invoice) must not reach the customer
a second time through the billing run (`credit_customer`):

- not billed yet, or billed on a draft only: the credit notes are issued and the line is
  settled outside billing (invoicing takes it off the draft; no run bills it again);
- billed on an issued invoice already: what that invoice gave the customer for it counts; a
  credit note only for what is left (the customer's price rules may differ between the months),
  and the case's resolution names that invoice.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from cspbilling.audit.actions import AuditAction
from cspbilling.cases.models import DisputeOutcome
from cspbilling.cases.services import add_note
from cspbilling.core.money import from_minor_units
from cspbilling.escalations import texts
from cspbilling.escalations.models import CreditPart, Escalation, EscalationCreditNote
from cspbilling.escalations.services.events import EscalationError, record_escalation_event
from cspbilling.escalations.services.settling import resolve_case_of
from cspbilling.invoicing.credits import CreditError
from cspbilling.invoicing.models import (
    BilledUpstreamLine,
    CreditNote,
    CreditNoteOrigin,
    Invoice,
    InvoiceStatus,
)
from cspbilling.invoicing.services import (
    LineBilling,
    SettlementError,
    draft_credit_note,
    issue_credit_note,
    settle_upstream_line,
)


def _owed_minor(
    escalation: Escalation, credited_minor: int | None
) -> tuple[dict[int, Invoice], list[tuple[int, int, int]]]:
    """({invoice id: invoice}, [(invoice id, invoice line id, net owed in minor units)]) for the
    issued invoices that billed the disputed upstream lines, oldest first: what we billed for
    those lines (their share of each line's upstream cost), scaled by the part of the dispute
    credited (`credited_minor`, by default the promised credit, over the disputed amount)."""
    credited = escalation.promised_credit_minor if credited_minor is None else credited_minor
    ratio = Decimal(credited or 0) / Decimal(escalation.disputed_minor or 1)
    by_upstream = dict(escalation.lines.values_list("upstream_line_id", "amount_minor"))
    billed = (
        BilledUpstreamLine.objects.filter(
            upstream_line_id__in=by_upstream, invoice_line__invoice__status=InvoiceStatus.ISSUED
        )
        .select_related("invoice_line__invoice")
        .order_by("invoice_line__invoice_id", "invoice_line_id", "upstream_line_id")
    )
    invoices: dict[int, Invoice] = {}
    lines = {}
    disputed_micro: dict[int, int] = {}
    for row in billed:
        line = row.invoice_line
        invoices.setdefault(line.invoice_id, line.invoice)
        lines[line.pk] = line
        micro = by_upstream[row.upstream_line_id] * 10_000  # minor units → millionths
        disputed_micro[line.pk] = disputed_micro.get(line.pk, 0) + micro
    if not invoices:
        raise EscalationError(
            f"{escalation.reference}: the disputed lines were never billed to the customer on "
            "an issued invoice; nothing to credit"
        )
    owed = []
    for pk, line in lines.items():
        share = min(Decimal(disputed_micro[pk]) / Decimal(line.upstream_amount_micro or 1), 1)
        net = (Decimal(line.net_minor) * share * ratio).quantize(Decimal(1), ROUND_HALF_UP)
        owed.append((line.invoice_id, pk, int(net)))
    return invoices, owed


def credit_amounts(
    escalation: Escalation, *, credited_minor: int | None = None, less_minor: int = 0
) -> list[tuple[Invoice, dict[int, Decimal]]]:
    """Per issued customer invoice that billed the disputed upstream lines (oldest first), the
    net to credit per invoice line (see `_owed_minor`), less `less_minor` the customer already
    received otherwise (taken from the last lines first)."""
    invoices, owed = _owed_minor(escalation, credited_minor)
    amounts: dict[int, dict[int, Decimal]] = {pk: {} for pk in invoices}
    for invoice_id, line_id, net in reversed(owed):
        taken = min(max(less_minor, 0), max(net, 0))
        less_minor -= taken
        if net - taken:
            currency = invoices[invoice_id].currency
            amounts[invoice_id][line_id] = from_minor_units(net - taken, currency)
    return [
        (invoices[pk], dict(sorted(by_line.items()))) for pk, by_line in amounts.items() if by_line
    ]


def owed_minor(escalation: Escalation, *, credited_minor: int | None = None) -> int:
    """The net the customer is owed for the escalation (before what it received otherwise)."""
    return sum(net for _, _, net in _owed_minor(escalation, credited_minor)[1])


def issue_part(
    escalation: Escalation,
    amounts: list[tuple[Invoice, dict[int, Decimal]]],
    *,
    part: int,
    actor: str,
) -> list[CreditNote]:
    """The credit notes of one part of the credit (`CreditPart`) not issued yet (one per
    invoice and part); returns the part's credit notes."""
    done = set(escalation.credit_notes.filter(part=part).values_list("invoice_id", flat=True))
    reason = f"21Vianet upheld dispute {escalation.reference} (ticket {escalation.ticket_number})"
    if part == CreditPart.SHORTFALL:
        reason = f"21Vianet's second credit for dispute {escalation.reference} (ticket " + (
            f"{escalation.ticket_number})"
        )
    for invoice, by_line in amounts:
        if invoice.pk in done:
            continue
        try:
            note = draft_credit_note(
                invoice=invoice,
                reason=reason,
                actor=actor,
                amounts=by_line,
                origin=CreditNoteOrigin.UPSTREAM_CORRECTION,
            )
            note = issue_credit_note(credit_note=note, actor=actor)
        except CreditError as exc:
            raise EscalationError(
                f"{escalation.reference}: invoice {invoice.number} cannot be credited ({exc}); "
                "no credit note was issued"
            ) from exc
        EscalationCreditNote.objects.create(
            escalation=escalation, invoice=invoice, credit_note=note, part=part
        )
        record_escalation_event(
            escalation,
            AuditAction.ESCALATION_CREDITED,
            actor=actor,
            after={
                "credit_note": note.number,
                "invoice": invoice.number,
                "total_minor": note.total_minor,
                "part": part,
            },
        )
    return [
        link.credit_note
        for link in escalation.credit_notes.filter(part=part)
        .select_related("credit_note__invoice")
        .order_by("invoice_id")
    ]


def _issue(
    escalation: Escalation, amounts: list[tuple[Invoice, dict[int, Decimal]]], *, actor: str
) -> list[CreditNote]:
    """The credit notes of the (first) credit not issued yet (one per invoice); all of them."""
    return issue_part(escalation, amounts, part=CreditPart.FIRST, actor=actor)


def _resolve(escalation: Escalation, notes: list[CreditNote], *, actor: str) -> None:
    """The case resolved, its message naming every credit note and the invoice that already
    passed 21Vianet's credit on, if any."""
    billed = None
    if escalation.credit_billed_invoice_id and escalation.credit_billed_minor:
        invoice = escalation.credit_billed_invoice
        billed = (invoice.number, escalation.credit_billed_total, invoice.currency)
    language = escalation.case.language
    if notes:
        rows = [
            (n.number, from_minor_units(n.total_minor, n.currency), n.currency, n.invoice.number)
            for n in notes
        ]
        resolution = texts.credited(language, notes=rows, billed=billed)
        outcome = DisputeOutcome.CREDIT_NOTE
    elif billed is not None:
        number, amount, currency = billed
        resolution = texts.credited_on_invoice(
            language, invoice=number, amount=amount, currency=currency
        )
        outcome = DisputeOutcome.ON_INVOICE
    else:
        raise EscalationError(f"{escalation.reference}: nothing was credited to the customer")
    resolve_case_of(
        escalation, resolution=resolution, outcome=outcome, credit_notes=notes, actor=actor
    )


def issue_credit_notes(
    escalation: Escalation, *, actor: str, credited_minor: int | None = None
) -> list[CreditNote]:
    """Inside the caller's transaction: the credit notes not issued yet (one per invoice), then
    the case resolved with all of them named. Returns every credit note of the escalation."""
    notes = _issue(
        escalation, credit_amounts(escalation, credited_minor=credited_minor), actor=actor
    )
    _resolve(escalation, notes, actor=actor)
    return notes


def _settled_by(escalation: Escalation, notes: list[CreditNote], *, when: str = "") -> str:
    numbers = ", ".join(n.number for n in notes)
    return f"credited by credit note {numbers} (escalation {escalation.reference}){when}"


def settle_credited(
    escalation: Escalation,
    billing: LineBilling,
    notes: list[CreditNote],
    *,
    actor: str,
    when: str = "",
) -> None:
    """21Vianet's credit line (not on an issued invoice) settled outside billing: the customer
    got it through `notes` (none given: the escalation's first credit notes)."""
    if not notes:
        notes = [link.credit_note for link in escalation.credit_notes.select_related("credit_note")]
    try:
        settle_upstream_line(
            upstream_line_id=billing.upstream_line_id,
            reason=_settled_by(escalation, notes, when=when),
            reference=escalation.reference,
            credit_note=notes[0] if notes else None,
            actor=actor,
        )
    except SettlementError as exc:
        raise EscalationError(f"{escalation.reference}: {exc}") from exc


def _record_billed(escalation: Escalation, billing: LineBilling, *, actor: str) -> int:
    """The billing run passed 21Vianet's credit on to the customer on an issued invoice: what
    that invoice gave for it (net, never below 0) is recorded on the escalation and returned."""
    invoice = billing.invoice
    if invoice.currency != escalation.currency:
        raise EscalationError(
            f"{escalation.reference}: 21Vianet's credit was billed in {invoice.currency} on "
            f"{invoice.number}, the dispute is in {escalation.currency}: settle it by hand"
        )
    received = max(-billing.net_minor, 0)
    escalation.credit_billed_invoice, escalation.credit_billed_minor = invoice, received
    escalation.credit_billed_total_minor = max(-(billing.net_minor + billing.tax_minor), 0)
    escalation.save()
    record_escalation_event(
        escalation,
        AuditAction.ESCALATION_CREDIT_BILLED,
        actor=actor,
        after={
            "upstream_line": billing.upstream_line_id,
            "invoice": invoice.number,
            "billed_minor": received,
        },
    )
    return received


def credit_customer(
    escalation: Escalation, billing: LineBilling, *, credited_minor: int, actor: str
) -> list[CreditNote]:
    """Inside the caller's transaction, the escalation locked and upheld, 21Vianet's credit line
    matched (`billing`: where it stands, its month locked against billing runs): the customer
    credited `credited_minor`'s share once (see the module's docstring), the case resolved.
    Returns the credit notes issued."""
    already = 0
    if billing.on_issued_invoice:
        already = _record_billed(escalation, billing, actor=actor)
    amounts = credit_amounts(escalation, credited_minor=credited_minor, less_minor=already)
    notes = _issue(escalation, amounts, actor=actor)
    if not billing.on_issued_invoice:
        settle_credited(escalation, billing, notes, actor=actor)
    _resolve(escalation, notes, actor=actor)
    return notes


def settle_after_approval(escalation: Escalation, billing: LineBilling, *, actor: str) -> None:
    """The customer was credited when 21Vianet upheld the dispute (`on_approval`); its credit
    line, matched now, is settled outside billing. Billed on an issued invoice already, the
    customer got it twice: recorded on the escalation (credit to check) and told to staff."""
    notes = [link.credit_note for link in escalation.credit_notes.select_related("credit_note")]
    if not billing.on_issued_invoice:
        settle_credited(
            escalation, billing, notes, actor=actor, when=", issued when 21Vianet upheld it"
        )
        return
    received = _record_billed(escalation, billing, actor=actor)
    escalation.credited_twice_minor = received
    escalation.save()
    if received:
        add_note(
            case=escalation.case,
            body=f"{escalation.reference}: the customer was credited twice. Credit note "
            f"{', '.join(n.number for n in notes)} gave 21Vianet's credit when it upheld the "
            f"dispute, and invoice {billing.invoice.number} passed the same credit on "
            f"({escalation.credited_twice} {escalation.currency} net) before it was matched. "
            "Recover it by hand (tell the customer first).",
            actor=actor,
        )
