"""Importing invoices from Partner Center: fetch every page first, then one short transaction.

`do_fetch_invoices` reads each invoice's header and every page of its line items with no
transaction open (`upstream.fetch`, spooled to temporary files), then writes the invoice — its
header and each kind of lines — in one transaction: a failure on any page writes nothing of it.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction

from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import record_event
from cspbilling.core.services import transaction_step
from cspbilling.upstream.fetch import FetchedInvoice, fetch_invoice, invoice_header_fields
from cspbilling.upstream.locks import lock_upstream_invoice_by_number
from cspbilling.upstream.models import ImportBatch, ImportSource, SumCheck, UpstreamInvoice
from cspbilling.upstream.services.imports import (
    create_import_batch,
    import_lines,
    raise_if_rejected,
)
from cspbilling.upstream.services.settle import compute_sum_check, payment_terms_days


@transaction_step
def upsert_invoice(*, invoice: Any, actor: str) -> UpstreamInvoice:
    """Create or refresh an invoice's header from what Partner Center sent."""
    fields = invoice_header_fields(invoice, payment_terms_days=payment_terms_days())
    current = lock_upstream_invoice_by_number(invoice_id=invoice.id)
    before = {k: getattr(current, k) for k in fields} if current else None
    if current and before == fields:
        return current
    current = current or UpstreamInvoice(invoice_id=invoice.id)
    for key, value in fields.items():
        setattr(current, key, value)
    current.raw = json.loads(json.dumps(invoice.raw, default=str))
    current.sum_check = compute_sum_check(current) if current.pk else SumCheck.NO_TOTAL
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


@transaction_step
def store_fetched_invoice(*, fetched: FetchedInvoice, actor: str) -> list[ImportBatch]:
    """An invoice's header and each kind of its lines, one import batch per kind."""
    invoice = fetched.invoice
    upsert_invoice(invoice=invoice, actor=actor)
    batches = []
    for part in fetched.parts:
        batch = create_import_batch(
            source=ImportSource.API,
            file_name=f"{invoice.id} {part.provider}/{part.line_item_type}",
            invoice_id=invoice.id,
            actor=actor,
        )
        tables = part.make_tables(invoice_id=invoice.id)
        batches.append(import_lines(batch=batch, make_tables=tables, actor=actor))
    return batches


def do_fetch_invoices(
    *, actor: str, invoice_id: str = "", client: Any = None, page_size: int = 2000
) -> list[ImportBatch]:
    """Import every invoice (or one) with all the line item kinds we read. Each invoice is
    fetched whole first, then written in its own transaction. Raises the client's error (that
    invoice and the ones after it are not written) or ImportRejected (after the invoice's
    batches recorded why)."""
    own_client = client is None
    if own_client:
        from cspbilling.partnercenter.client import PartnerCenterClient

        client = PartnerCenterClient.from_settings()
    try:
        invoices = [client.get_invoice(invoice_id)] if invoice_id else list(client.iter_invoices())
        batches: list[ImportBatch] = []
        for invoice in invoices:
            with (
                fetch_invoice(client=client, invoice=invoice, page_size=page_size) as fetched,
                transaction.atomic(durable=True),  # opened once every page is in
            ):
                written = store_fetched_invoice(fetched=fetched, actor=actor)
            for batch in written:
                raise_if_rejected(batch)
            batches += written
        return batches
    finally:
        if own_client:
            client.close()
