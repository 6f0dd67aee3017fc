"""Importing invoices through the Partner Center client and the sandbox (real HTTP)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from cspbilling.partnercenter.errors import PartnerCenterError
from cspbilling.upstream import selectors
from cspbilling.upstream.models import ImportBatch, UpstreamInvoice, UpstreamLineItem
from cspbilling.upstream.services import do_fetch_invoices

pytestmark = pytest.mark.django_db(transaction=True)


def test_all_invoices_import_and_their_lines_make_their_totals(pc_client):
    batches = do_fetch_invoices(client=pc_client, actor="sync")
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
    again = do_fetch_invoices(client=pc_client, actor="sync")
    assert {b.status for b in again} == {ImportBatch.Status.UNCHANGED}
    assert UpstreamLineItem.objects.count() == sum(i.lines_count for i in invoices)


def test_several_pages_with_throttling_and_server_errors(pc_sandbox, pc_client, pc_sleeps):
    invoice = next(iter(pc_client.iter_invoices()))
    expected = sum(1 for _ in pc_client.iter_invoice_line_items(invoice.id))
    assert expected > 10
    prefix = f"/v1/invoices/{invoice.id}/lineitems"
    pc_sandbox.script({"path_prefix": prefix, "status": 429, "times": 1, "retry_after": 1})
    pc_sandbox.script({"path_prefix": prefix, "status": 503, "times": 2})
    batches = do_fetch_invoices(client=pc_client, invoice_id=invoice.id, actor="sync", page_size=5)
    batch = next(b for b in batches if b.kind == "license")
    assert batch.status == ImportBatch.Status.IMPORTED
    assert batch.lines == expected
    pages = pc_sandbox.requests(prefix, "GET")
    assert len(pages) > expected // 5  # several pages, plus the retried ones
    assert pc_sleeps  # it backed off
    assert UpstreamLineItem.objects.filter(kind="license").count() == expected


def test_no_transaction_is_open_while_the_client_asks_partner_center(pc_client):
    requests = []
    send = pc_client.transport.request

    def watched(*args, **kwargs):
        requests.append(connection.in_atomic_block)
        return send(*args, **kwargs)

    pc_client.transport.request = watched
    batches = do_fetch_invoices(client=pc_client, actor="sync", page_size=7)
    assert batches and len(requests) > len(batches)
    assert not any(requests), "an HTTP request was made inside a transaction"


def test_a_page_failing_late_writes_nothing_of_the_invoice(pc_sandbox, make_pc_client):
    client = make_pc_client(max_retries=1)
    invoice = next(iter(client.iter_invoices()))
    prefix = f"/v1/invoices/{invoice.id}/lineitems"
    send = client.transport.request
    pages = []

    def fail_after_two_pages(method, path, **kwargs):
        if path.startswith(prefix):
            pages.append(path)
            if len(pages) == 3:  # every later page answers 500, retries included
                pc_sandbox.script({"path_prefix": prefix, "status": 500, "times": 100})
        return send(method, path, **kwargs)

    client.transport.request = fail_after_two_pages
    with pytest.raises(PartnerCenterError):
        do_fetch_invoices(client=client, invoice_id=invoice.id, actor="sync", page_size=3)
    assert len(pages) >= 3
    assert UpstreamInvoice.objects.count() == 0
    assert ImportBatch.objects.count() == UpstreamLineItem.objects.count() == 0
    assert selectors.payables(today=timezone.localdate()) == []
