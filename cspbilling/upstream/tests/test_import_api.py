"""Importing invoices through the Partner Center client and the sandbox (real HTTP)."""

from __future__ import annotations

import pytest

from cspbilling.upstream.fetch import fetch_invoices, import_invoice_lines
from cspbilling.upstream.models import ImportBatch, UpstreamInvoice, UpstreamLineItem

pytestmark = pytest.mark.django_db(transaction=True)


def test_all_invoices_import_and_their_lines_make_their_totals(pc_client):
    batches = fetch_invoices(client=pc_client, actor="sync")
    assert batches and all(b.status == ImportBatch.Status.IMPORTED for b in batches)
    invoices = list(UpstreamInvoice.objects.all())
    assert invoices
    for invoice in invoices:
        assert invoice.lines_count > 0
        assert invoice.sum_check == "ok", invoice.invoice_id
        assert invoice.due_date is not None and invoice.billing_period_start is not None
    line = UpstreamLineItem.objects.filter(kind="license").first()
    assert line.source_columns["syndicationPartnerSubscriptionNumber"] == line.subscription_id
    # Again: nothing changes.
    again = fetch_invoices(client=pc_client, actor="sync")
    assert {b.status for b in again} == {ImportBatch.Status.UNCHANGED}
    assert UpstreamLineItem.objects.count() == sum(i.lines_count for i in invoices)


def test_several_pages_with_throttling_and_server_errors(pc_sandbox, pc_client, pc_sleeps):
    invoice = next(iter(pc_client.iter_invoices()))
    expected = sum(1 for _ in pc_client.iter_invoice_line_items(invoice.id))
    assert expected > 10
    prefix = f"/v1/invoices/{invoice.id}/lineitems"
    pc_sandbox.script({"path_prefix": prefix, "status": 429, "times": 1, "retry_after": 1})
    pc_sandbox.script({"path_prefix": prefix, "status": 503, "times": 2})
    from cspbilling.upstream.fetch import upsert_invoice

    upsert_invoice(invoice=invoice, actor="sync")
    batch = import_invoice_lines(
        client=pc_client,
        invoice=invoice,
        provider="office",
        line_item_type="billing_line_items",
        actor="sync",
        page_size=5,
    )
    assert batch.status == ImportBatch.Status.IMPORTED
    assert batch.lines == expected
    pages = pc_sandbox.requests(prefix, "GET")
    assert len(pages) > expected // 5  # several pages, plus the retried ones
    assert pc_sleeps  # it backed off
    assert UpstreamLineItem.objects.count() == expected
