"""Reads of invoicing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from cspbilling.core.money import from_minor_units
from cspbilling.invoicing.fapiao_facts import fapiao_amounts
from cspbilling.invoicing.models import (
    BilledUpstreamLine,
    BillingRun,
    CreditNote,
    CreditNoteLine,
    CreditNoteStatus,
    Fapiao,
    HeldUpstreamLine,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    PriceRule,
    SettledUpstreamLine,
    UnbilledReason,
)
from cspbilling.upstream.models import UpstreamLineItem


def price_rules(
    *, customer_tenant_id: UUID | None = None, in_effect_on: dt.date | None = None
) -> QuerySet[PriceRule]:
    qs = PriceRule.objects.select_related("customer", "group", "tax_category").order_by(
        "effective_from", "id"
    )
    if customer_tenant_id is not None:
        qs = qs.filter(customer__tenant_id=customer_tenant_id)
    if in_effect_on is not None:
        qs = qs.filter(effective_from__lte=in_effect_on).filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=in_effect_on)
        )
    return qs


def invoices(
    *,
    period: dt.date | None = None,
    status: str | None = None,
    customer_tenant_id: UUID | str | None = None,
) -> QuerySet[Invoice]:
    qs = Invoice.objects.select_related("customer").order_by("period", "number", "id")
    if period is not None:
        qs = qs.filter(period=period)
    if status:
        qs = qs.filter(status=status)
    if customer_tenant_id:
        qs = qs.filter(customer__tenant_id=customer_tenant_id)
    return qs


def invoice_row(invoice: Invoice) -> dict[str, Any]:
    """An invoice as scripts read it: amounts as text, dates ISO."""
    currency = invoice.currency
    return {
        "id": invoice.pk,
        "number": invoice.number,
        "customer_tenant_id": str(invoice.customer.tenant_id),
        "customer_name": invoice.customer.display_name,
        "period": f"{invoice.period:%Y-%m}",
        "status": invoice.status,
        "issued_on": invoice.issued_on.isoformat() if invoice.issued_on else None,
        "due_on": invoice.due_on.isoformat() if invoice.due_on else None,
        "subtotal": str(from_minor_units(invoice.subtotal_minor, currency)),
        "tax": str(from_minor_units(invoice.tax_minor, currency)),
        "total": str(from_minor_units(invoice.total_minor, currency)),
        "currency": currency,
    }


def invoice_lines(invoice: Invoice) -> QuerySet[InvoiceLine]:
    return invoice.lines.select_related("price_rule").order_by(
        "subscription_id", "charge_start", "id"
    )


def billed_upstream_lines(line: InvoiceLine) -> QuerySet[UpstreamLineItem]:
    """The reconciliation rows an invoice line bills ("why was I charged this?")."""
    ids = BilledUpstreamLine.objects.filter(invoice_line=line).values("upstream_line_id")
    return (
        UpstreamLineItem.objects.filter(id__in=ids)
        .select_related("invoice")
        .order_by("invoice__invoice_id", "line_number")
    )


def margin(invoice: Invoice) -> dict[str, Any]:
    """What we bill (before tax) against what 21Vianet billed us for the same lines."""
    subtotal = from_minor_units(invoice.subtotal_minor, invoice.currency)
    cost = Decimal(invoice.upstream_cost_micro).scaleb(-6)
    amount = subtotal - cost
    return {
        "cost": cost.quantize(Decimal("0.01")),
        "margin": amount.quantize(Decimal("0.01")),
        "percent": (amount * 100 / cost).quantize(Decimal("0.1")) if cost else None,
    }


def latest_runs(limit: int = 5) -> QuerySet[BillingRun]:
    return BillingRun.objects.select_related("customer").order_by("-id")[:limit]


# The stages a billing run reports, in order (its `phase`), and what each one counts.
BILLING_STAGES = ("unbilled reasons", "groups", "pricing", "writing", "trace")
STAGE_UNITS = {"pricing": "groups", "writing": "invoice lines"}


def unbilled_reasons(run: BillingRun) -> list[tuple[str, int]]:
    """(label, lines) of a finished run's summary, by reason."""
    return [
        (UnbilledReason(reason).label if reason in UnbilledReason.values else reason, count)
        for reason, count in run.summary.get("unbilled_by_reason", {}).items()
    ]


def settled_lines(run: BillingRun, limit: int = 50) -> list[SettledUpstreamLine]:
    """The upstream lines this run left unbilled because they were settled outside billing,
    with how (a credit note of an escalation, say)."""
    seen = run.unbilled.filter(reason=UnbilledReason.SETTLED_OUTSIDE_BILLING).values(
        "upstream_line_id"
    )
    return list(
        SettledUpstreamLine.objects.filter(upstream_line_id__in=seen).order_by("upstream_line_id")[
            :limit
        ]
    )


def held_lines(run: BillingRun, limit: int = 50) -> list[HeldUpstreamLine]:
    """The upstream lines this run left unbilled because they were held for a decision and
    still are, with who decides what (finance checking an escalation's credit, say)."""
    seen = run.unbilled.filter(reason=UnbilledReason.HELD_FOR_DECISION).values("upstream_line_id")
    return list(
        HeldUpstreamLine.objects.filter(upstream_line_id__in=seen).order_by("upstream_line_id")[
            :limit
        ]
    )


def billing_run_progress(run: BillingRun) -> dict[str, Any]:
    """How far a run got, as the console and the API show it."""
    stage = BILLING_STAGES.index(run.phase) + 1 if run.phase in BILLING_STAGES else None
    counted = run.phase in STAGE_UNITS  # the others are one statement each
    return {
        "stage": run.phase or None,
        "stage_number": stage,
        "stages": len(BILLING_STAGES),
        "done": run.progress_done if counted else None,
        "total": run.progress_total if counted else None,
        "unit": STAGE_UNITS.get(run.phase, ""),
        "percent": run.percent if counted else None,
    }


def issued_invoices_for_customer(*, customer) -> QuerySet[Invoice]:
    """What a customer may see: its own issued invoices (drafts are ours until issued)."""
    return (
        Invoice.objects.filter(customer=customer, status=InvoiceStatus.ISSUED)
        .select_related("customer")
        .order_by("-issued_on", "-number")
    )


def upstream_line_ids(lines: list[InvoiceLine]) -> dict[int, list[int]]:
    """For each of these invoice lines, the upstream lines it bills (one query)."""
    traced: dict[int, list[int]] = {line.pk: [] for line in lines}
    rows = BilledUpstreamLine.objects.filter(invoice_line__in=lines).order_by("upstream_line_id")
    for line_id, upstream_id in rows.values_list("invoice_line_id", "upstream_line_id"):
        traced[line_id].append(upstream_id)
    return traced


def credit_notes(
    *, invoice: Invoice | None = None, status: str | None = None
) -> QuerySet[CreditNote]:
    qs = CreditNote.objects.select_related("invoice", "customer").order_by("-created_at", "-id")
    if invoice is not None:
        qs = qs.filter(invoice=invoice)
    if status:
        qs = qs.filter(status=status)
    return qs


def issued_credit_notes_for_customer(*, customer) -> QuerySet[CreditNote]:
    """What a customer may see: its own issued credit notes."""
    return credit_notes(status=CreditNoteStatus.ISSUED).filter(customer=customer)


def credit_note_lines(note: CreditNote) -> QuerySet[CreditNoteLine]:
    return note.lines.select_related("invoice_line").order_by("id")


def credit_note_row(note: CreditNote) -> dict[str, Any]:
    currency = note.currency
    return {
        "id": note.pk,
        "number": note.number,
        "invoice_number": note.invoice.number,
        "customer_tenant_id": str(note.customer.tenant_id),
        "status": note.status,
        "origin": note.origin,
        "reason": note.reason,
        "issued_on": note.issued_on.isoformat() if note.issued_on else None,
        "subtotal": str(from_minor_units(note.subtotal_minor, currency)),
        "tax": str(from_minor_units(note.tax_minor, currency)),
        "total": str(from_minor_units(note.total_minor, currency)),
        "currency": currency,
    }


def credited_total_minor(invoice: Invoice) -> int:
    """What issued credit notes gave back on this invoice."""
    total = CreditNote.objects.filter(invoice=invoice, status=CreditNoteStatus.ISSUED).aggregate(
        total=Sum("total_minor")
    )["total"]
    return total or 0


def fapiao_of(invoice: Invoice) -> Fapiao | None:
    """The invoice's own fapiao record (not a red-letter one)."""
    return invoice.fapiaos.filter(red_letter_of=None).first()


def fapiaos(*, status: str | None = None, invoice: Invoice | None = None) -> QuerySet[Fapiao]:
    qs = Fapiao.objects.select_related(
        "invoice", "invoice__customer", "credit_note", "red_letter_of"
    ).order_by("requested_at", "id")
    if status:
        qs = qs.filter(status=status)
    if invoice is not None:
        qs = qs.filter(invoice=invoice)
    return qs


def fapiao_row(fapiao: Fapiao) -> dict[str, Any]:
    """A fapiao as scripts and the tax clerk read it: the amounts to issue, the buyer's details."""
    currency = fapiao.invoice.currency
    net, tax = fapiao_amounts(fapiao)
    buyer = fapiao.buyer
    return {
        "id": fapiao.pk,
        "invoice_number": fapiao.invoice.number,
        "credit_note_number": fapiao.credit_note.number if fapiao.credit_note_id else None,
        "red_letter_of": fapiao.red_letter_of.number if fapiao.red_letter_of_id else None,
        "kind": fapiao.kind,
        "status": fapiao.status,
        "number": fapiao.number,
        "issued_on": fapiao.issued_on.isoformat() if fapiao.issued_on else None,
        "net": str(from_minor_units(net, currency)),
        "tax": str(from_minor_units(tax, currency)),
        "total": str(from_minor_units(net + tax, currency)),
        "currency": currency,
        "buyer_name": buyer.get("name", ""),
        "buyer_tax_id": buyer.get("tax_id", ""),
        "buyer_address": buyer.get("address", ""),
        "buyer_phone": buyer.get("phone", ""),
        "buyer_bank_name": buyer.get("bank_name", ""),
        "buyer_bank_account": buyer.get("bank_account", ""),
        "requested_on": f"{timezone.localtime(fapiao.requested_at):%Y-%m-%d}",
    }


def invoices_of_customer(*, customer, limit: int = 12) -> QuerySet[Invoice]:
    """The customer's latest invoices (drafts too: staff read this), each with what issued
    credit notes gave back on it (`credited_minor`)."""
    credited = Sum(
        "credit_notes__total_minor", filter=Q(credit_notes__status=CreditNoteStatus.ISSUED)
    )
    return (
        Invoice.objects.filter(customer=customer)
        .annotate(credited_minor=credited)
        .order_by("-period", "-id")[:limit]
    )


def credits_and_fapiaos(invoices: list[Invoice]) -> dict[int, dict[str, Any]]:
    """For a page of invoices (two queries): what issued credit notes gave back on each, and
    each one's own fapiao record (None if none was requested)."""
    ids = [invoice.pk for invoice in invoices]
    result: dict[int, dict[str, Any]] = {pk: {"credited_minor": 0, "fapiao": None} for pk in ids}
    credited = (
        CreditNote.objects.filter(invoice_id__in=ids, status=CreditNoteStatus.ISSUED)
        .values("invoice_id")
        .annotate(total=Sum("total_minor"))
        .order_by()
    )
    for row in credited:
        result[row["invoice_id"]]["credited_minor"] = row["total"]
    for fapiao in Fapiao.objects.filter(invoice_id__in=ids, red_letter_of=None):
        result[fapiao.invoice_id]["fapiao"] = fapiao
    return result
