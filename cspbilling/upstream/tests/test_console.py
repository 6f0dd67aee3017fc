"""The console pages: upload → background import → status with summary; payables; report."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from cspbilling.upstream.models import ImportBatch, UpstreamInvoice, UpstreamLineItem
from cspbilling.upstream.services import do_import_reconciliation_file
from cspbilling.upstream.tasks import import_uploaded_file
from cspbilling.upstream.tests.fixtures import (
    LICENSE_HEADER,
    TENANT_A,
    license_row,
    use_upload_dir,
    write_csv,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def finance(client, make_user):
    client.force_login(make_user("finance"))
    return client


def test_upload_runs_in_the_background_and_the_page_shows_the_summary(
    finance, license_file, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    use_upload_dir(settings, tmp_path / "uploads")
    with open(license_file, "rb") as handle:
        response = finance.post(
            reverse("upstream:upload"),
            {"file": handle, "invoice_total": "958.77", "invoice_date": "2024-03-01"},
        )
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "upstream:batch", args=[batch.pk]
    )
    assert batch.status == "pending"
    page = finance.get(response.url)
    assert "Waiting" in page.content.decode() and 'hx-trigger="every 1s"' in page.content.decode()
    # The worker's part, run directly.
    from django_tasks_db.models import DBTaskResult

    task_row = DBTaskResult.objects.get()
    assert task_row.args_kwargs["args"] == [batch.pk]
    import_uploaded_file.call(batch.pk)
    status = finance.get(response.url, HTTP_HX_REQUEST="true").content.decode()
    assert "Imported" in status and "every 1s" not in status
    assert "3 lines, total 958.77 CNY" in status
    assert "the lines equal the invoice total" in status
    assert "2 customer(s) not known locally" in status
    assert UpstreamInvoice.objects.get().due_date == dt.date(2024, 3, 31)


def test_a_rejected_upload_lists_row_column_and_reason(finance, tmp_path, settings):
    settings.VAR_DIR = tmp_path
    use_upload_dir(settings, tmp_path / "uploads")
    rows = [license_row(1), license_row(2)]
    rows[1]["Currency"] = "USD"
    path = write_csv(tmp_path / "bad.csv", LICENSE_HEADER, rows)
    with open(path, "rb") as handle:
        response = finance.post(reverse("upstream:upload"), {"file": handle})
    batch = ImportBatch.objects.get()
    import_uploaded_file.call(batch.pk)
    page = finance.get(response.url).content.decode()
    assert "Rejected" in page and "nothing changed" in page
    assert "<td>3</td><td>Currency</td><td>USD is not the invoice&#x27;s currency CNY</td>" in page
    assert UpstreamLineItem.objects.count() == 0


def test_pages_render_for_readers_and_payables_for_finance(client, make_user, license_file):
    do_import_reconciliation_file(path=license_file, actor="t", invoice_date=dt.date(2024, 3, 1))
    client.force_login(make_user("readonly"))
    assert client.get(reverse("upstream:invoice_list")).status_code == 200
    detail = client.get(reverse("upstream:invoice_detail", args=["D02005YFHI"]))
    assert "北京星辰科技有限公司" in detail.content.decode()
    assert client.get(reverse("upstream:payables")).status_code == 403
    report = client.get(reverse("upstream:discrepancies"))
    assert "not billed yet: no billing run of this month" in report.content.decode()
    exported = client.get(reverse("upstream:discrepancies") + "?format=csv")
    assert exported["Content-Type"].startswith("text/csv")
    assert "upstream charge not billed" in exported.content.decode("utf-8-sig")
    client.force_login(make_user("finance"))
    payables = client.get(reverse("upstream:payables")).content.decode()
    assert "D02005YFHI" in payables and "958.77" in payables


def test_record_payment_through_the_page(finance, license_file):
    do_import_reconciliation_file(path=license_file, actor="t", invoice_date=dt.date(2024, 3, 1))
    url = reverse("upstream:record_payment", args=["D02005YFHI"])
    finance.post(url, {"amount": "958.77", "paid_on": "2024-03-20", "reference": "BANK-1"})
    invoice = UpstreamInvoice.objects.get()
    assert invoice.status == "paid" and invoice.payments.get().amount == Decimal("958.77")
    page = finance.post(
        url, {"amount": "1", "paid_on": "2024-03-20", "reference": "BANK-1"}, follow=True
    ).content.decode()
    assert "already recorded" in page


def test_discrepancies_price_change_and_quantity_difference(
    make_customer, make_subscription, tmp_path
):
    customer = make_customer("星辰", tenant_id=TENANT_A)
    make_subscription(customer, subscription_id="a1b2c3d4-0000-0000-0000-000000000001", quantity=5)
    jan = [license_row(1, invoice="JAN", price="100.50")]
    feb = [license_row(1, invoice="FEB", price="110.00", qty=3)]
    for row in jan:
        row["ChargeStartDate"], row["ChargeEndDate"] = "2024-01-01", "2024-01-31"
    do_import_reconciliation_file(
        path=write_csv(tmp_path / "j.csv", LICENSE_HEADER, jan), actor="t"
    )
    do_import_reconciliation_file(
        path=write_csv(tmp_path / "f.csv", LICENSE_HEADER, feb), actor="t"
    )
    from cspbilling.upstream import discrepancies

    report = discrepancies.report(period=dt.date(2024, 2, 1))
    assert [(r["previous_price"], r["price"]) for r in report["price_changes"]] == [
        (Decimal("100.5"), Decimal("110"))
    ]
    assert [
        (r["billed_quantity"], r["mirror_quantity"]) for r in report["quantity_differences"]
    ] == [(3, 5)]
    assert report["unbilled"][0]["reason"].startswith("not billed yet")
    assert report["without_upstream"] == []


def test_the_upload_is_audited_and_an_abandoned_import_fails_with_the_reason(
    finance, license_file, settings, tmp_path
):
    from datetime import timedelta

    from django.utils import timezone

    from cspbilling.audit.models import AuditEvent
    from cspbilling.core.services import start_run
    from cspbilling.upstream.models import UploadRun

    settings.VAR_DIR = tmp_path
    use_upload_dir(settings, tmp_path / "uploads")
    with open(license_file, "rb") as handle:
        finance.post(reverse("upstream:upload"), {"file": handle})
    batch = ImportBatch.objects.get()
    event = AuditEvent.objects.get(action="upstream.file.uploaded")
    assert event.object_id == str(batch.pk) and event.after["file"] == "license.csv"
    run = UploadRun.objects.get(batch=batch)
    assert start_run(UploadRun, run.pk)  # a worker took it, then its machine stopped
    UploadRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    page = finance.get(reverse("upstream:batch", args=[batch.pk])).content.decode()
    assert "Failed" in page and "abandoned: no sign of life" in page
    batch.refresh_from_db()
    assert batch.status == "failed"
