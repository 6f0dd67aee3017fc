"""Importing 21Vianet invoices from the Partner Center API: the invoice list, then each invoice's
line items page by page. Pages become Arrow tables and go through the same normalisation and
loader as a downloaded file, so both ways in make the same rows.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal

import pyarrow as pa
from django.db import transaction

from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import record_event
from cspbilling.upstream import services
from cspbilling.upstream.columns import LICENSE, ONETIME, USAGE, Format, canonical
from cspbilling.upstream.models import ImportBatch, ImportSource, UpstreamInvoice
from cspbilling.upstream.normalise import normalise_batch
from cspbilling.upstream.parsing import Header, InvoiceAccumulator
from cspbilling.upstream.problems import Problems

FORMATS = {
    ("office", "billing_line_items"): LICENSE,
    ("azure", "billing_line_items"): USAGE,
    ("one_time", "billing_line_items"): ONETIME,
}
PAGE_ROWS = 20000


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _day(value) -> dt.date | None:
    if value is None:
        return None
    return value.date() if isinstance(value, dt.datetime) else value


def _tables(
    items: Iterator, fmt: Format, *, invoice_id, problems, invoices, columns: list, defaults: dict
):
    """Group raw line items into Arrow tables and normalise them like file rows."""
    rows: list[dict] = []
    first_row = 1

    def flush():
        nonlocal first_row, rows
        names = list(dict.fromkeys(k for row in rows for k in row))
        if not columns:
            columns.extend(names)
        table = pa.table({n: pa.array([_text(r.get(n)) for r in rows], pa.string()) for n in names})
        header = Header(names=names, canonical=[canonical(n) for n in names], fmt=fmt)
        missing = [c for c in fmt.required if c not in header.canonical]
        for col in missing:
            problems.add(None, col, "required field missing from the line items")
        out = (
            None
            if missing
            else normalise_batch(
                table,
                header=header,
                first_row=first_row,
                invoice_override=invoice_id,
                known_currencies={},
                problems=problems,
                invoices=invoices,
                defaults=defaults,
            )
        )
        first_row += len(rows)
        rows = []
        return out

    for item in items:
        rows.append(item.raw)
        if len(rows) >= PAGE_ROWS:
            out = flush()
            if out is not None and not problems:
                yield out
    if rows:
        out = flush()
        if out is not None and not problems:
            yield out


def upsert_invoice(*, invoice, actor: str) -> UpstreamInvoice:
    """Create or refresh an invoice's header from Partner Center (its own transaction)."""
    fields = {
        "invoice_date": _day(invoice.invoice_date),
        "billing_period_start": _day(invoice.billing_period_start_date),
        "billing_period_end": _day(invoice.billing_period_end_date),
        "currency": invoice.currency_code,
        "total_charges": Decimal(invoice.total_charges),
        "paid_amount": Decimal(invoice.paid_amount or 0),
        "document_type": invoice.document_type or "",
        "invoice_type": str(getattr(invoice.invoice_type, "value", invoice.invoice_type) or ""),
    }
    if fields["invoice_date"]:
        days = services.payment_terms_days()
        fields["due_date"] = fields["invoice_date"] + dt.timedelta(days=days)
    with transaction.atomic(durable=True):
        current = UpstreamInvoice.objects.select_for_update().filter(invoice_id=invoice.id).first()
        before = {k: getattr(current, k) for k in fields} if current else None
        if current and before == fields:
            return current
        current = current or UpstreamInvoice(invoice_id=invoice.id)
        for key, value in fields.items():
            setattr(current, key, value)
        current.raw = json.loads(json.dumps(invoice.raw, default=str))
        current.sum_check = services.compute_sum_check(current) if current.pk else "no_total"
        current.save()
        record_event(
            actor=actor,
            action=AuditAction.UPSTREAM_INVOICE_HEADER_SYNCED,
            object_type="upstream_invoice",
            object_id=invoice.id,
            before=before,
            after=fields,
        )
    return current


def import_invoice_lines(
    *, client, invoice, provider: str, line_item_type: str, actor: str, page_size: int = 2000
) -> ImportBatch:
    fmt = FORMATS[(provider, line_item_type)]
    batch = services.create_import_batch(
        source=ImportSource.API,
        file_name=f"{invoice.id} {provider}/{line_item_type}",
        invoice_id=invoice.id,
        actor=actor,
    )
    items = client.iter_invoice_line_items(
        invoice.id, provider=provider, line_item_type=line_item_type, page_size=page_size
    )

    def tables(problems: Problems, invoices: dict[str, InvoiceAccumulator], columns, defaults):
        return _tables(
            items,
            fmt,
            invoice_id=invoice.id,
            problems=problems,
            invoices=invoices,
            columns=columns,
            defaults=defaults,
        )

    return services.import_tables(batch=batch, make_tables=tables, actor=actor)


def fetch_invoices(*, actor: str, invoice_id: str = "", client=None) -> list[ImportBatch]:
    """Import every invoice (or one) with all the line item kinds we read."""
    if client is None:
        from cspbilling.partnercenter.client import PartnerCenterClient

        client = PartnerCenterClient.from_settings()
    invoices = [client.get_invoice(invoice_id)] if invoice_id else list(client.iter_invoices())
    batches = []
    for invoice in invoices:
        upsert_invoice(invoice=invoice, actor=actor)
        for detail in invoice.invoice_details:
            pair = (str(detail.billing_provider.value), str(detail.invoice_line_item_type.value))
            if pair in FORMATS:
                batches.append(
                    import_invoice_lines(
                        client=client,
                        invoice=invoice,
                        provider=pair[0],
                        line_item_type=pair[1],
                        actor=actor,
                    )
                )
    return batches
