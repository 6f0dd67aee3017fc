"""Upstream lines settled outside billing: money 21Vianet put on one of its invoices that
reaches the customer another way (21Vianet's credit for an upheld escalation, given by the
escalation's credit note), so that no billing run bills it too. Invoicing knows nothing of who
settles: the caller names the reason, its reference and the credit note, if any.

A caller (escalations, in the credit note's transaction) asks first where the line stands
(`upstream_line_billing`: it locks the line's month against billing runs, and the invoice that
bills it), then settles it (`settle_upstream_line`):

- not billed: settled; every billing run after it lists it as unbilled, "settled outside
  billing", and leaves it out;
- billed on a draft: settled, and the draft's line made again without it, with the terms it
  recorded (the customer never saw a draft; issuing it, or a run making it again, leaves the
  line out);
- billed on an issued invoice: the customer has it already; refused (the caller decides).

A line held out of billing while someone decides (`holds.py`) is settled the same way: the
settlement replaces the hold.

21Vianet re-issuing the invoice that carries a settled (or held) line replaces its lines (new
ids): the settlement (or hold) is re-pointed to the line that replaced it (same customer,
subscription, offer, charge type and period; the same amount first), audited, when the
re-issue is imported and again before every billing run of the month
(`retrace_settled_lines`, `line_keys.py`), so that the new line is not billed either.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Sum

from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import record_event
from cspbilling.core.money import to_minor_units
from cspbilling.core.services import require_transaction, transaction_step
from cspbilling.invoicing import locks
from cspbilling.invoicing.models import (
    BilledUpstreamLine,
    CreditNote,
    HeldUpstreamLine,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    PricingMethod,
    SettledUpstreamLine,
)
from cspbilling.invoicing.pricing import price_by_percent, price_by_unit, upstream_list
from cspbilling.invoicing.services.corrections import reprice_line
from cspbilling.invoicing.services.line_keys import line_key, retrace_lines
from cspbilling.upstream.models import ImportBatch, InvoiceContent, UpstreamLineItem

log = logging.getLogger(__name__)
MAX_REASON = 300


class SettlementError(ValueError):
    """The line cannot be settled outside billing; the message says why."""


@dataclass(frozen=True)
class LineBilling:
    """Where one upstream line stands in billing."""

    upstream_line_id: int
    upstream: UpstreamLineItem
    invoice_line: InvoiceLine | None  # the line of ours that bills it, if any
    net_minor: int  # what that line gives the customer for it, net (a credit: negative)
    tax_minor: int
    settlement: SettledUpstreamLine | None
    hold: HeldUpstreamLine | None = None  # held out of billing while someone decides

    @property
    def invoice(self) -> Invoice | None:
        return self.invoice_line.invoice if self.invoice_line else None

    @property
    def on_issued_invoice(self) -> bool:
        return self.invoice is not None and self.invoice.status == InvoiceStatus.ISSUED

    @property
    def on_draft(self) -> bool:
        return self.invoice is not None and self.invoice.status == InvoiceStatus.DRAFT


def _priced_alone(line: InvoiceLine, upstream: UpstreamLineItem) -> tuple[int, int]:
    """(net, tax) in minor units that `line` bills for `upstream`: the line's own amounts when
    it bills that line alone, else that line priced by itself with the line's terms."""
    if line.upstream_lines == 1:
        return line.net_minor, line.tax_minor
    currency = line.invoice.currency
    if line.method == PricingMethod.PERCENT:
        price = price_by_percent(
            upstream_amount=Decimal(upstream.amount),
            percent=line.percent,
            tax_rate=line.tax_rate,
            currency=currency,
        )
    else:
        quantity = Decimal(upstream.quantity or 0)
        price = price_by_unit(
            quantity=quantity,
            unit_price=line.unit_price,
            tax_rate=line.tax_rate,
            currency=currency,
            upstream_amount=Decimal(upstream.amount),
            upstream_list=upstream_list([(upstream.unit_price, quantity)]),
        )
    return to_minor_units(price.net, currency), to_minor_units(price.tax, currency)


def upstream_line_billing(*, upstream_line_id: int) -> LineBilling:
    """Inside the caller's transaction: lock the line's month against billing runs (one that
    is running finishes first; none starts until the transaction ends) and the invoice that
    bills it, then say where the line stands."""
    require_transaction("upstream_line_billing")
    upstream = UpstreamLineItem.objects.select_related("invoice").get(pk=upstream_line_id)
    if upstream.invoice.billing_period_start is not None:
        locks.lock_billing_period(upstream.invoice.billing_period_start.replace(day=1))
    settlement = SettledUpstreamLine.objects.filter(upstream_line_id=upstream_line_id).first()
    hold = HeldUpstreamLine.objects.filter(upstream_line_id=upstream_line_id).first()
    trace = BilledUpstreamLine.objects.filter(upstream_line_id=upstream_line_id).first()
    if trace is None:
        return LineBilling(upstream_line_id, upstream, None, 0, 0, settlement, hold)
    line = InvoiceLine.objects.get(pk=trace.invoice_line_id)
    [line.invoice] = locks.lock_invoices([line.invoice_id])  # issued meanwhile: seen here
    net, tax = _priced_alone(line, upstream)
    return LineBilling(upstream_line_id, upstream, line, net, tax, settlement, hold)


def take_off_draft(line: InvoiceLine, upstream_line_id: int) -> dict:
    """The draft's line made again without the upstream line (its recorded terms); the line
    goes when it bills nothing else, the draft when it has no line left."""
    invoice = line.invoice
    before = {"net_minor": line.net_minor, "tax_minor": line.tax_minor}
    BilledUpstreamLine.objects.filter(upstream_line_id=upstream_line_id).delete()
    still = BilledUpstreamLine.objects.filter(invoice_line=line).values("upstream_line_id")
    current = list(
        UpstreamLineItem.objects.filter(id__in=still)
        .order_by("id")
        .values_list("id", "amount", "quantity", "unit_price")
    )
    after: dict = {"net_minor": 0, "tax_minor": 0}
    if current:
        again = reprice_line(line, current)
        line.quantity, line.upstream_lines = again.quantity, len(again.upstream_ids)
        line.upstream_amount_micro = int(again.amount.scaleb(6))
        line.net_minor, line.tax_minor = again.net_minor, again.tax_minor
        line.period_fraction = again.period_fraction
        line.save()
        after = {"net_minor": line.net_minor, "tax_minor": line.tax_minor}
    else:
        line.delete()
    sums = InvoiceLine.objects.filter(invoice=invoice).aggregate(
        lines=Count("id"),
        net=Sum("net_minor"),
        tax=Sum("tax_minor"),
        upstream=Sum("upstream_amount_micro"),
    )
    total_before = invoice.total_minor
    if not sums["lines"]:
        Invoice.objects.filter(pk=invoice.pk).delete()
    else:
        invoice.lines_count = sums["lines"]
        invoice.subtotal_minor, invoice.tax_minor = sums["net"], sums["tax"]
        invoice.total_minor = invoice.subtotal_minor + invoice.tax_minor
        invoice.upstream_cost_micro = sums["upstream"]
        invoice.save(
            update_fields=[
                "lines_count",
                "subtotal_minor",
                "tax_minor",
                "total_minor",
                "upstream_cost_micro",
            ]
        )
    return {
        "draft": invoice.pk,
        "invoice_line": line.pk if current else None,
        "line_before": before,
        "line_after": after,
        "draft_total_before_minor": total_before,
        "draft_total_after_minor": invoice.total_minor if sums["lines"] else 0,
        "draft_deleted": not sums["lines"],
    }


@transaction_step
def settle_upstream_line(
    *,
    upstream_line_id: int,
    reason: str,
    reference: str,
    actor: str,
    credit_note: CreditNote | None = None,
) -> SettledUpstreamLine:
    """The upstream line reached the customer outside billing (`reason`, staff read it): no
    billing run bills it. Taken off the draft that bills it, if any; refused if an issued
    invoice bills it. Settling it again for the same `reference` changes nothing."""
    reason = " ".join((reason or "").split())
    if not reason or len(reason) > MAX_REASON:
        raise SettlementError(f"say how the customer got it, in at most {MAX_REASON} characters")
    billing = upstream_line_billing(upstream_line_id=upstream_line_id)
    if billing.settlement is not None:
        if billing.settlement.reference == reference:
            return billing.settlement
        raise SettlementError(
            f"upstream line {upstream_line_id} is settled already: {billing.settlement.reason}"
        )
    if billing.on_issued_invoice:
        raise SettlementError(
            f"upstream line {upstream_line_id} is billed on issued invoice "
            f"{billing.invoice.number}: the customer has it already"
        )
    taken_off = take_off_draft(billing.invoice_line, upstream_line_id) if billing.on_draft else None
    was_held = None
    if billing.hold is not None:  # decided: the settlement replaces the hold
        was_held = {"reason": billing.hold.reason, "reference": billing.hold.reference}
        billing.hold.delete()
    settled = SettledUpstreamLine.objects.create(
        upstream_line_id=upstream_line_id,
        upstream_invoice_id=billing.upstream.invoice_id,
        line_key=line_key(billing.upstream),
        reason=reason,
        reference=reference,
        credit_note=credit_note,
        settled_by=actor,
    )
    record_event(
        actor=actor,
        action=AuditAction.UPSTREAM_LINE_SETTLED,
        object_type="upstream_line",
        object_id=upstream_line_id,
        after={
            "reason": reason,
            "reference": reference,
            "credit_note": credit_note.number if credit_note else None,
            "taken_off_draft": taken_off,
            "was_held": was_held,
        },
    )
    return settled


@transaction_step
def retrace_settled_lines(*, upstream_invoice_ids: Iterable[int], actor: str) -> int:
    """Settled and held lines on these upstream invoices whose line a re-issue replaced:
    re-pointed to the line that replaced it (audited, `line_keys.retrace_lines`), so that no
    billing run bills the new one. Returns how many were re-pointed."""
    ids = list(upstream_invoice_ids)
    settled = retrace_lines(
        SettledUpstreamLine,
        upstream_invoice_ids=ids,
        action=AuditAction.UPSTREAM_LINE_SETTLEMENT_RETRACED,
        actor=actor,
    )
    held = retrace_lines(
        HeldUpstreamLine,
        upstream_invoice_ids=ids,
        action=AuditAction.UPSTREAM_LINE_HOLD_RETRACED,
        actor=actor,
    )
    return settled + held


def retrace_after_import(batch: ImportBatch) -> None:
    """Upstream's import listener (inside the import's transaction, in a savepoint): the
    settlements on the invoices this batch re-issued follow their lines. One that fails never
    fails the import: the month's next billing run retraces them first."""
    from django.db import transaction

    invoices = InvoiceContent.objects.filter(batch=batch).values_list("invoice_id", flat=True)
    try:
        with transaction.atomic():
            retrace_settled_lines(upstream_invoice_ids=invoices, actor=f"import:{batch.pk}")
    except Exception:
        log.exception("re-pointing settled upstream lines after import %s failed", batch.pk)
