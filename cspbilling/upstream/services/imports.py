"""Importing reconciliation lines, from a file or from Partner Center pages: all or nothing.

`import_lines` is the step: it loads the lines, settles each invoice (imported, replaced or
unchanged) and records the outcome on the batch, inside the caller's transaction; a rejected or
unchanged import leaves no line (a savepoint) and the batch says so. `do_import_reconciliation_file`
is the entry point for a file on this machine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
from django.db import transaction
from django.utils import timezone

from cspbilling.core.services import entry_point, transaction_step
from cspbilling.upstream import matching, selectors
from cspbilling.upstream.columns import canonical, format_of, source_fields
from cspbilling.upstream.import_listeners import lines_imported
from cspbilling.upstream.loaders import load_tables
from cspbilling.upstream.models import ImportBatch, ImportSource, LineKind, UpstreamInvoice
from cspbilling.upstream.parsing import (
    FileFormatError,
    InvoiceAccumulator,
    ReadAgain,
    Reading,
    read_batches,
    read_header,
)
from cspbilling.upstream.problems import Problems
from cspbilling.upstream.services.matching import learn_billing_subscription_ids
from cspbilling.upstream.services.settle import ImportUnchanged, outcome_of, settle_invoices

# make_tables(problems, invoices, columns, defaults) -> normalised Arrow tables; it fills
# `columns` with the header and `defaults` with the values `source` leaves out.
MakeTables = Callable[[Problems, dict[str, InvoiceAccumulator], list, dict], Iterator[pa.Table]]


# Reads of one file at most: the first, then one for each decision a late row can make (the
# date order, the decimal mark, the encoding).
READS = 4


class ImportRejected(Exception):
    def __init__(self, problems: Problems):
        super().__init__(problems.message())
        self.problems = problems


@transaction_step
def create_import_batch(
    *,
    source: str = ImportSource.FILE,
    file_name: str = "",
    stored_path: str = "",
    invoice_id: str = "",
    invoice_total: Decimal | None = None,
    invoice_date: dt.date | None = None,
    bytes_total: int = 0,
    actor: str,
) -> ImportBatch:
    return ImportBatch.objects.create(
        source=source,
        file_name=file_name,
        stored_path=stored_path,
        invoice_override=invoice_id,
        invoice_total=invoice_total,
        invoice_date=invoice_date,
        bytes_total=bytes_total,
        created_by=actor,
    )


do_create_import_batch = entry_point(create_import_batch)


@transaction_step
def import_lines(*, batch: ImportBatch, make_tables: MakeTables, actor: str) -> ImportBatch:
    """The one pipeline behind files and API pages: load, settle, or reject. Returns the batch
    with its outcome: imported, unchanged or rejected (its `errors` say why)."""
    reading: Reading | None = getattr(make_tables, "reading", None)
    for _ in range(READS):  # a re-read starts with one more decision made (`ReadAgain`)
        problems = Problems()
        invoices: dict[str, InvoiceAccumulator] = {}
        try:
            with transaction.atomic():  # a savepoint: a rejected or unchanged import keeps no line
                batch.columns, defaults = [], {}
                tables = make_tables(problems, invoices, batch.columns, defaults)
                _load(batch, problems, invoices, tables)
                batch.kind = next(iter(invoices.values())).kind
                # What `source` leaves out, to give every line's columns back (`source_columns`).
                canon = [canonical(name) for name in batch.columns]
                fmt = format_of(batch.kind, canon)
                batch.source_fields = source_fields(canon, fmt, defaults)
                batch.source_defaults = [defaults.get(name) for name in batch.columns]
                outcomes = settle_invoices(batch=batch, invoices=invoices, actor=actor)
                _finish(
                    batch, status=ImportBatch.Status.IMPORTED, outcomes=outcomes, reading=reading
                )
                lines_imported(batch)
        except ReadAgain:
            continue
        except FileFormatError as exc:
            problems.add(None, "", str(exc))
            return _reject(batch, problems)
        except ImportRejected:
            return _reject(batch, problems)
        except ImportUnchanged:
            outcomes = [outcome_of(batch, key, acc, "unchanged") for key, acc in invoices.items()]
            _finish(batch, status=ImportBatch.Status.UNCHANGED, outcomes=outcomes, reading=reading)
        break
    _add_unknowns(batch, invoices, format_of(batch.kind, [canonical(n) for n in batch.columns]))
    return batch


@transaction_step
def mark_import_failed(*, batch: ImportBatch) -> None:
    """An import that stopped on an error (not the file's problems): failed, nothing kept."""
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportBatch.Status.FAILED, finished_at=timezone.now()
    )


@transaction_step
def mark_import_running(*, batch: ImportBatch) -> None:
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.RUNNING)
    batch.status = ImportBatch.Status.RUNNING


def run_import(*, batch: ImportBatch, make_tables: MakeTables, actor: str) -> ImportBatch:
    """`import_lines` in its own durable transaction; a crash marks the batch failed, a rejection
    is raised (ImportRejected) once the batch has recorded it."""
    try:
        with transaction.atomic(durable=True):
            batch = import_lines(batch=batch, make_tables=make_tables, actor=actor)
    except BaseException:
        with transaction.atomic(durable=True):
            mark_import_failed(batch=batch)
        raise
    raise_if_rejected(batch)
    return batch


def raise_if_rejected(batch: ImportBatch) -> None:
    if batch.status == ImportBatch.Status.REJECTED:
        problems = Problems()
        problems.items, problems.count = list(batch.errors), batch.error_count
        raise ImportRejected(problems)


def file_tables(
    path: Path, *, batch: ImportBatch, on_progress: Callable[[int], None] | None = None
) -> MakeTables:
    """The normalised tables of a reconciliation file on this machine."""

    reading = Reading()  # kept across re-reads: each adds a decision

    def tables(problems, invoices, columns, defaults):
        header = read_header(path, reading)
        columns.extend(header.names)
        batch.bytes_total = path.stat().st_size
        return read_batches(
            path,
            header=header,
            reading=reading,
            invoice_override=batch.invoice_override,
            known_currencies=_KnownCurrencies(),
            problems=problems,
            invoices=invoices,
            defaults=defaults,
            on_progress=on_progress,
        )

    tables.reading = reading
    return tables


def do_import_reconciliation_file(
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
        batch = do_create_import_batch(
            file_name=path.name,
            invoice_id=invoice_id,
            invoice_total=invoice_total,
            invoice_date=invoice_date,
            actor=actor,
        )
    tables = file_tables(path, batch=batch, on_progress=on_progress)
    return run_import(batch=batch, make_tables=tables, actor=actor)


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


def _finish(batch: ImportBatch, *, status: str, outcomes: list, reading: Reading | None) -> None:
    batch.status = status
    batch.summary = {"invoices": outcomes}
    if reading is not None:  # how the file was read: encoding, delimiter, dates, amounts
        batch.summary["reading"] = reading.summary()
    batch.finished_at = timezone.now()
    batch.bytes_done = batch.bytes_total
    batch.save()


def _reject(batch: ImportBatch, problems: Problems) -> ImportBatch:
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportBatch.Status.REJECTED,
        errors=problems.items,
        error_count=problems.count,
        lines=0,
        finished_at=timezone.now(),
    )
    batch.refresh_from_db()
    return batch


def _add_unknowns(batch: ImportBatch, invoices: dict[str, InvoiceAccumulator], fmt) -> None:
    """List customers and subscriptions the lines name that we do not know (read-only), and
    for usage lines (billing ids) which rule matched the others."""
    for item in batch.summary.get("invoices", []):
        acc = invoices[item["invoice_id"]]
        usage = fmt.kind == LineKind.USAGE
        item.update(
            selectors.unknown_among(
                tenant_ids=acc.tenant_ids, subscription_ids=set() if usage else acc.subscription_ids
            )
        )
        if usage:
            learn_billing_subscription_ids(
                {s for s, _, _ in matching.split_refs(acc.subscription_refs)}
            )
            start = acc.first_charge_start
            end = _month_end(start) if start else None
            item.update(
                matching.match_usage_subscriptions(acc.subscription_refs, start=start, end=end)
            )
        if fmt.fields["customer_number"]:
            numbers = {customer for _, _, customer in matching.split_refs(acc.subscription_refs)}
            unmapped = matching.unmapped_customer_numbers(numbers)
            item["unmapped_customer_numbers"] = unmapped[:20]
            item["unmapped_customer_numbers_count"] = len(unmapped)
    ImportBatch.objects.filter(pk=batch.pk).update(summary=batch.summary)


def _month_end(day: dt.date) -> dt.date:
    following = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return following - dt.timedelta(days=1)
