"""Settling loaded lines: per invoice, imported, replaced (a re-issue) or unchanged, audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db.models import Sum
from django.db.models.functions import Coalesce

from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import record_event
from cspbilling.core.money import from_minor_units, to_minor_units
from cspbilling.core.services import transaction_step
from cspbilling.upstream.locks import lock_upstream_invoices
from cspbilling.upstream.models import (
    ImportBatch,
    InvoiceContent,
    SumCheck,
    UpstreamInvoice,
    UpstreamLineItem,
)
from cspbilling.upstream.parsing import InvoiceAccumulator
from cspbilling.upstream.reissue import diff_lines


class ImportUnchanged(Exception):
    """Every invoice's lines were imported before, as they are: nothing to change."""


def payment_terms_days() -> int:
    return settings.UPSTREAM_PAYMENT_TERMS_DAYS


@transaction_step
def settle_invoices(
    *, batch: ImportBatch, invoices: dict[str, InvoiceAccumulator], actor: str
) -> list[dict]:
    """Keep the batch's lines of each invoice whose content changed, drop the others. Raises
    ImportUnchanged when no invoice changed (the caller rolls the loaded lines back)."""
    outcomes = []
    locked = lock_upstream_invoices(invoice_ids=invoices)
    for key, acc in invoices.items():
        invoice = locked[key]
        content = InvoiceContent.objects.filter(invoice=invoice, kind=acc.kind).first()
        fingerprint = acc.fingerprint()
        new_lines = UpstreamLineItem.objects.filter(invoice=invoice, kind=acc.kind, batch=batch)
        if content and content.fingerprint == fingerprint:
            new_lines._raw_delete(new_lines.db)
            outcomes.append(outcome_of(batch, key, acc, "unchanged"))
            continue
        before = _invoice_state(invoice)
        if content:
            diff = diff_lines(invoice.pk, acc.kind, old_batch=content.batch_id, new_batch=batch.pk)
            old = UpstreamLineItem.objects.filter(invoice=invoice, kind=acc.kind).exclude(
                batch=batch
            )
            old._raw_delete(old.db)
            content.fingerprint, content.batch = fingerprint, batch
            content.lines, content.total_minor, content.tax_minor = (
                acc.lines,
                acc.total_minor,
                acc.tax_minor,
            )
            content.save()
            invoice.revision += 1
            action, outcome = AuditAction.UPSTREAM_INVOICE_REISSUED, "replaced"
        else:
            InvoiceContent.objects.create(
                invoice=invoice,
                kind=acc.kind,
                fingerprint=fingerprint,
                batch=batch,
                lines=acc.lines,
                total_minor=acc.total_minor,
                tax_minor=acc.tax_minor,
            )
            diff, action, outcome = None, AuditAction.UPSTREAM_INVOICE_IMPORTED, "imported"
        _refresh_invoice(invoice, batch, acc)
        record_event(
            actor=actor,
            action=action,
            object_type="upstream_invoice",
            object_id=invoice.invoice_id,
            before=before if content else None,
            after=_invoice_state(invoice),
            context={"batch": batch.pk, "kind": acc.kind, "file": batch.file_name, "diff": diff},
        )
        outcomes.append(outcome_of(batch, key, acc, outcome, invoice=invoice, diff=diff))
    if all(o["outcome"] == "unchanged" for o in outcomes):
        raise ImportUnchanged
    return outcomes


def _refresh_invoice(invoice: UpstreamInvoice, batch: ImportBatch, acc: InvoiceAccumulator):
    sums = invoice.contents.aggregate(
        n=Coalesce(Sum("lines"), 0),
        t=Coalesce(Sum("total_minor"), 0),
        x=Coalesce(Sum("tax_minor"), 0),
    )
    count, total, tax = sums["n"], sums["t"], sums["x"]
    invoice.lines_count, invoice.lines_total_minor, invoice.lines_tax_minor = count, total, tax
    if batch.invoice_total is not None:
        invoice.total_charges = batch.invoice_total
    if batch.invoice_date:
        invoice.invoice_date = batch.invoice_date
    if invoice.billing_period_start is None and acc.first_charge_start:
        invoice.billing_period_start = acc.first_charge_start.replace(day=1)
    if invoice.invoice_date and (batch.invoice_date or invoice.due_date is None):
        invoice.due_date = invoice.invoice_date + dt.timedelta(days=payment_terms_days())
    invoice.sum_check = compute_sum_check(invoice)
    invoice.save()


def compute_sum_check(invoice: UpstreamInvoice) -> str:
    if invoice.total_charges is None:
        return SumCheck.NO_TOTAL
    expected = to_minor_units(Decimal(invoice.total_charges), invoice.currency)
    return SumCheck.OK if expected == invoice.lines_total_minor else SumCheck.MISMATCH


def _invoice_state(invoice: UpstreamInvoice) -> dict:
    return {
        "lines": invoice.lines_count,
        "lines_total": str(from_minor_units(invoice.lines_total_minor, invoice.currency)),
        "lines_tax": str(from_minor_units(invoice.lines_tax_minor, invoice.currency)),
        "currency": invoice.currency,
        "sum_check": invoice.sum_check,
        "revision": invoice.revision,
    }


def outcome_of(batch, key, acc, outcome, *, invoice=None, diff=None) -> dict:
    """One invoice's line in a batch's summary."""
    result = {
        "invoice_id": key,
        "kind": acc.kind,
        "outcome": outcome,
        "lines": acc.lines,
        "currency": acc.currency,
        "total": str(from_minor_units(acc.total_minor, acc.currency)),
        "tax": str(from_minor_units(acc.tax_minor, acc.currency)),
    }
    if invoice is not None:
        result["sum_check"] = invoice.sum_check
        result["invoice_total"] = (
            None if invoice.total_charges is None else str(invoice.total_charges)
        )
    if diff:
        result["diff"] = diff
    return result
