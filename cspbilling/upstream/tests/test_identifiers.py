"""Invoice numbers that could not live in a URL or our column are refused where they enter."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cspbilling.partnercenter.errors import PartnerCenterResponseError
from cspbilling.upstream.models import ImportBatch, UpstreamInvoice, UpstreamLineItem
from cspbilling.upstream.services import (
    ImportRejected,
    do_fetch_invoices,
    do_import_reconciliation_file,
)
from cspbilling.upstream.tests.fixtures import LICENSE_HEADER, license_row, write_csv

pytestmark = pytest.mark.django_db

BAD_NUMBERS = ["D02/005", "D02 005", "../etc", "D" * 65, "=cmd", "D02\u200b005"]


@pytest.mark.parametrize("number", BAD_NUMBERS)
def test_a_file_with_a_bad_invoice_number_is_refused_with_row_and_column(tmp_path, number):
    rows = [license_row(1), license_row(2, invoice=number)]
    path = write_csv(tmp_path / "bad.csv", LICENSE_HEADER, rows)
    with pytest.raises(ImportRejected, match="row 3, column InvoiceNumber: .* is not an invoice"):
        do_import_reconciliation_file(path=path, actor="test")
    assert not UpstreamInvoice.objects.exists() and not UpstreamLineItem.objects.exists()
    assert ImportBatch.objects.get().status == ImportBatch.Status.REJECTED


def test_a_bad_invoice_id_given_for_a_file_without_numbers_is_refused(tmp_path):
    rows = [license_row(1)]
    header = [name for name in LICENSE_HEADER if name != "InvoiceNumber"]
    path = write_csv(tmp_path / "no-number.csv", header, rows)
    with pytest.raises(ImportRejected, match="'A/B' is not an invoice number"):
        do_import_reconciliation_file(path=path, actor="test", invoice_id="A/B")
    assert not UpstreamInvoice.objects.exists()


def test_every_accepted_number_has_working_pages(tmp_path, client, make_user):
    number = "G-2026.11_001" + "9" * 51  # 64 characters, every allowed sign
    path = write_csv(tmp_path / "ok.csv", LICENSE_HEADER, [license_row(1, invoice=number)])
    do_import_reconciliation_file(path=path, actor="test")
    client.force_login(make_user("finance"))
    for url in (
        reverse("upstream:invoice_list"),
        reverse("upstream:invoice_detail", args=[number]),
        reverse("upstream:payables"),
    ):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("number", ["D02/005", "D" * 65])
def test_partner_center_invoice_numbers_are_checked_where_they_enter(pc_sandbox, pc_client, number):
    invoices = pc_sandbox.state.world.invoices
    invoices.append(dict(invoices[-1], id=number))  # the newest, listed first
    with pytest.raises(PartnerCenterResponseError, match="is not an invoice number"):
        do_fetch_invoices(actor="test", client=pc_client)
    assert not UpstreamInvoice.objects.exists()
