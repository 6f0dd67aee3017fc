"""Reads of invoicing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db.models import Q, QuerySet

from cspbilling.core.money import from_minor_units
from cspbilling.invoicing.models import (
    BilledUpstreamLine,
    BillingRun,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    PriceRule,
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
