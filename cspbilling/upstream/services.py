"""The write path of upstream: importing 21Vianet invoices and lines, recording our payments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import record_event
from cspbilling.core.money import MoneyError, normalise_currency, to_minor_units
from cspbilling.upstream import selectors
from cspbilling.upstream.columns import canonical, format_of, source_fields
from cspbilling.upstream.loaders import load_tables
from cspbilling.upstream.models import (
    ImportBatch,
    ImportSource,
    InvoiceContent,
    SumCheck,
    UpstreamInvoice,
    UpstreamLineItem,
    UpstreamPayment,
)
from cspbilling.upstream.parsing import (
    FileFormatError,
    InvoiceAccumulator,
    read_batches,
    read_header,
)
from cspbilling.upstream.problems import Problems
from cspbilling.upstream.reissue import diff_lines


class ImportRejected(Exception):
    def __init__(self, problems: Problems):
        super().__init__(problems.message())
        self.problems = problems


class _Unchanged(Exception):
    pass


class PaymentError(ValueError):
    pass


def payment_terms_days() -> int:
    return int(getattr(settings, "UPSTREAM_PAYMENT_TERMS_DAYS", 30))


def create_import_batch(
    *,
    source: str = ImportSource.FILE,
    file_name: str = "",
    stored_path: str = "",
    invoice_id: str = "",
    invoice_total: Decimal | None = None,
    invoice_date: dt.date | None = None,
    actor: str,
) -> ImportBatch:
    with transaction.atomic(durable=True):
        return ImportBatch.objects.create(
            source=source,
            file_name=file_name,
            stored_path=stored_path,
            invoice_override=invoice_id,
            invoice_total=invoice_total,
            invoice_date=invoice_date,
            created_by=actor,
        )


def import_reconciliation_file(
    *,
    path: Path,
    actor: str,
    invoice_id: str = "",
    invoice_total: Decimal | None = None,
    invoice_date: dt.date | None = None,
    batch: ImportBatch | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> ImportBatch:
    """Import one reconciliation file, all or nothing. Returns the batch with its outcome.

    Raises ImportRejected (nothing changed) when the file has problems.
    """
    path = Path(path)
    if batch is None:
        batch = create_import_batch(
            file_name=path.name,
            invoice_id=invoice_id,
            invoice_total=invoice_total,
            invoice_date=invoice_date,
            actor=actor,
        )
    path_size = path.stat().st_size

    def tables(problems: Problems, invoices: dict[str, InvoiceAccumulator], columns, defaults):
        header = read_header(path)
        columns.extend(header.names)
        batch.bytes_total = path_size
        return read_batches(
            path,
            header=header,
            invoice_override=batch.invoice_override,
            known_currencies=_KnownCurrencies(),
            problems=problems,
            invoices=invoices,
            defaults=defaults,
            on_progress=on_progress,
        )

    return import_tables(batch=batch, make_tables=tables, actor=actor)


def import_tables(*, batch: ImportBatch, make_tables: Callable, actor: str) -> ImportBatch:
    """The one pipeline behind files and API pages: load, settle, or reject — all or nothing.

    `make_tables(problems, invoices, columns, defaults)` returns an iterator of normalised Arrow
    tables; it fills `columns` with the header and `defaults` with the values `source` leaves out.
    """
    problems = Problems()
    invoices: dict[str, InvoiceAccumulator] = {}
    try:
        with transaction.atomic(durable=True):
            batch.columns, defaults = [], {}
            tables = make_tables(problems, invoices, batch.columns, defaults)
            _load(batch, problems, invoices, tables)
            batch.kind = next(iter(invoices.values())).kind
            # What `source` leaves out, to give every line's columns back (`source_columns`).
            canon = [canonical(name) for name in batch.columns]
            batch.source_fields = source_fields(canon, format_of(batch.kind), defaults)
            batch.source_defaults = [defaults.get(name) for name in batch.columns]
            outcomes = _settle(batch, invoices, actor=actor)
            _finish(batch, status=ImportBatch.Status.IMPORTED, outcomes=outcomes)
    except FileFormatError as exc:
        problems.add(None, "", str(exc))
        _reject(batch, problems)
        raise ImportRejected(problems) from None
    except ImportRejected:
        _reject(batch, problems)
        raise
    except _Unchanged:
        outcomes = [_outcome(batch, key, acc, "unchanged") for key, acc in invoices.items()]
        with transaction.atomic(durable=True):
            _finish(batch, status=ImportBatch.Status.UNCHANGED, outcomes=outcomes)
    except BaseException:
        with transaction.atomic(durable=True):
            ImportBatch.objects.filter(pk=batch.pk).update(
                status=ImportBatch.Status.FAILED, finished_at=timezone.now()
            )
        raise
    _add_unknowns(batch, invoices)
    return batch


def _load(batch, problems, invoices, tables) -> None:
    def resolve_keys(keys: list[str]) -> dict[str, int]:
        found = {}
        for key in keys:
            invoice, _ = UpstreamInvoice.objects.get_or_create(
                invoice_id=key, defaults={"currency": invoices[key].currency}
            )
            found[key] = invoice.pk
        return found

    batch.lines = load_tables(tables, resolve_keys=resolve_keys, batch_id=batch.pk)
    if not problems and not invoices:
        problems.add(None, "", "there are no lines")
    if problems:
        raise ImportRejected(problems)


class _KnownCurrencies(dict):
    """invoice id → currency of an invoice we already have (looked up once, on first use)."""

    def get(self, key, default=None):
        if key not in self:
            self[key] = (
                UpstreamInvoice.objects.filter(invoice_id=key)
                .values_list("currency", flat=True)
                .first()
            )
        return super().get(key) or default


def _settle(batch: ImportBatch, invoices: dict[str, InvoiceAccumulator], *, actor: str) -> list:
    outcomes = []
    for key, acc in invoices.items():
        invoice = UpstreamInvoice.objects.select_for_update().get(invoice_id=key)
        content = InvoiceContent.objects.filter(invoice=invoice, kind=acc.kind).first()
        fingerprint = acc.fingerprint()
        new_lines = UpstreamLineItem.objects.filter(invoice=invoice, kind=acc.kind, batch=batch)
        if content and content.fingerprint == fingerprint:
            new_lines._raw_delete(new_lines.db)
            outcomes.append(_outcome(batch, key, acc, "unchanged"))
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
        after = _invoice_state(invoice)
        record_event(
            actor=actor,
            action=action,
            object_type="upstream_invoice",
            object_id=invoice.invoice_id,
            before=before if content else None,
            after=after,
            context={"batch": batch.pk, "kind": acc.kind, "file": batch.file_name, "diff": diff},
        )
        outcomes.append(_outcome(batch, key, acc, outcome, invoice=invoice, diff=diff))
    if all(o["outcome"] == "unchanged" for o in outcomes):
        raise _Unchanged
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
        "lines_total": str(Decimal(invoice.lines_total_minor).scaleb(-2)),
        "lines_tax": str(Decimal(invoice.lines_tax_minor).scaleb(-2)),
        "currency": invoice.currency,
        "sum_check": invoice.sum_check,
        "revision": invoice.revision,
    }


def _outcome(batch, key, acc, outcome, *, invoice=None, diff=None) -> dict:
    result = {
        "invoice_id": key,
        "kind": acc.kind,
        "outcome": outcome,
        "lines": acc.lines,
        "currency": acc.currency,
        "total": str(Decimal(acc.total_minor).scaleb(-2)),
        "tax": str(Decimal(acc.tax_minor).scaleb(-2)),
    }
    if invoice is not None:
        result["sum_check"] = invoice.sum_check
        result["invoice_total"] = (
            None if invoice.total_charges is None else str(invoice.total_charges)
        )
    if diff:
        result["diff"] = diff
    return result


def _finish(batch: ImportBatch, *, status: str, outcomes: list) -> None:
    batch.status = status
    batch.summary = {"invoices": outcomes}
    batch.finished_at = timezone.now()
    batch.bytes_done = batch.bytes_total
    batch.save()


def _reject(batch: ImportBatch, problems: Problems) -> None:
    with transaction.atomic(durable=True):
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=ImportBatch.Status.REJECTED,
            errors=problems.items,
            error_count=problems.count,
            lines=0,
            finished_at=timezone.now(),
        )
    batch.refresh_from_db()


def _add_unknowns(batch: ImportBatch, invoices: dict[str, InvoiceAccumulator]) -> None:
    """List customers and subscriptions the lines name that we do not know (read-only)."""
    for item in batch.summary.get("invoices", []):
        acc = invoices[item["invoice_id"]]
        item.update(
            selectors.unknown_among(
                tenant_ids=acc.tenant_ids, subscription_ids=acc.subscription_ids
            )
        )
    ImportBatch.objects.filter(pk=batch.pk).update(summary=batch.summary)


def record_upstream_payment(
    *,
    invoice: UpstreamInvoice,
    amount: Decimal,
    paid_on: dt.date,
    reference: str,
    actor,
    currency: str | None = None,
    confirm_overpayment: bool = False,
) -> UpstreamPayment:
    """Record a payment the partner made to 21Vianet against one invoice."""
    from cspbilling.upstream.locks import lock_upstream_invoice

    reference = (reference or "").strip()
    if not reference:
        raise PaymentError("a payment reference is required")
    if not isinstance(amount, Decimal) or amount <= 0:
        raise PaymentError("the amount must be a positive number")
    try:
        to_minor_units(amount, invoice.currency)
        code = normalise_currency(currency) if currency else invoice.currency
    except MoneyError as exc:
        raise PaymentError(str(exc)) from None
    if code != invoice.currency:
        raise PaymentError(f"the invoice is in {invoice.currency}, not {code}")
    with transaction.atomic(durable=True):
        invoice = lock_upstream_invoice(pk=invoice.pk)
        if UpstreamPayment.objects.filter(reference=reference).exists():
            raise PaymentError(f"a payment with reference {reference!r} is already recorded")
        balance = selectors.open_balance(invoice)
        if amount > balance and not confirm_overpayment:
            raise PaymentError(
                f"{amount} is more than the open balance {balance} {invoice.currency}; "
                "confirm to record an overpayment"
            )
        payment = UpstreamPayment.objects.create(
            invoice=invoice,
            amount=amount,
            currency=code,
            paid_on=paid_on,
            reference=reference,
            recorded_by=actor if getattr(actor, "pk", None) else None,
        )
        status_before = invoice.status
        if selectors.open_balance(invoice) <= 0:
            invoice.status = "paid"
            invoice.save(update_fields=["status", "updated_at"])
        record_event(
            actor=str(getattr(actor, "username", actor)),
            action=AuditAction.UPSTREAM_PAYMENT_RECORDED,
            object_type="upstream_invoice",
            object_id=invoice.invoice_id,
            before={"status": status_before},
            after={
                "status": invoice.status,
                "payment": payment.pk,
                "amount": str(amount),
                "currency": code,
                "paid_on": paid_on.isoformat(),
                "reference": reference,
            },
        )
    return payment
