"""Uploading a reconciliation file over the API: 202, then the background import's status."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from cspbilling.api.tests.fixtures import STAFF
from cspbilling.api.tests.helpers import BASE, assert_problem, get, upload
from cspbilling.audit.models import AuditEvent
from cspbilling.upstream.models import ImportBatch, UploadRun, UpstreamInvoice, UpstreamLineItem
from cspbilling.upstream.tasks import import_uploaded_file
from cspbilling.upstream.tests.fixtures import (
    LICENSE_HEADER,
    license_row,
    use_upload_dir,
    write_csv,
)

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def uploads_in_tmp(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    use_upload_dir(settings, tmp_path / "uploads")


def send(token, path, **fields):
    with open(path, "rb") as handle:
        return upload("/upstream/imports", token, {"file": handle, **fields})


def test_upload_then_the_task_imports_and_the_status_shows_the_summary(tokens, license_file):
    response = send(
        tokens["finance"], license_file, invoice_total="958.77", invoice_date="2024-03-01"
    )
    assert response.status_code == 202, response.content
    accepted = response.json()
    batch = ImportBatch.objects.get()
    assert accepted["batch_id"] == batch.pk and accepted["status"] == "pending"
    assert accepted["status_url"] == f"{BASE}/upstream/imports/{batch.pk}"
    assert response["Location"] == accepted["status_url"]
    assert batch.created_by == "staff-finance"
    # The batch and its task were written together: the task row is there.
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.get().args_kwargs["args"] == [batch.pk]
    pending = get(f"/upstream/imports/{batch.pk}", tokens["readonly"]).json()
    assert pending["status"] == "pending" and pending["summary"] == {}

    import_uploaded_file.call(batch.pk)  # the worker's part, run here

    status = get(f"/upstream/imports/{batch.pk}", tokens["readonly"]).json()
    assert status["status"] == "imported" and status["lines"] == 3 and status["errors"] == []
    assert status["progress"]["percent"] == 100 and status["kind"] == "license"
    (invoice,) = status["summary"]["invoices"]
    assert invoice["invoice_id"] == "D02005YFHI" and invoice["outcome"] == "imported"
    assert (invoice["total"], invoice["sum_check"]) == ("958.77", "ok")
    assert invoice["unknown_customers_count"] == 2
    event = AuditEvent.objects.get(action="upstream.invoice.imported")
    assert event.actor == "staff-finance"
    assert str(UpstreamInvoice.objects.get().due_date) == "2024-03-31"


def test_a_bad_file_is_rejected_with_row_column_and_reason(tokens, tmp_path):
    rows = [license_row(1), license_row(2)]
    rows[1]["Currency"] = "USD"
    response = send(tokens["admin"], write_csv(tmp_path / "bad.csv", LICENSE_HEADER, rows))
    batch_id = response.json()["batch_id"]
    import_uploaded_file.call(batch_id)
    status = get(f"/upstream/imports/{batch_id}", tokens["support"]).json()
    assert status["status"] == "rejected" and status["error_count"] == 1
    assert status["errors"] == [
        {"row": 3, "column": "Currency", "reason": "USD is not the invoice's currency CNY"}
    ]
    assert UpstreamLineItem.objects.count() == 0 and UpstreamInvoice.objects.count() == 0


def test_upload_refusals(tokens, license_file):
    for who in ["support", "readonly", "portal"]:
        assert_problem(send(tokens[who], license_file), 403)
    assert_problem(send(None, license_file), 401)
    body = assert_problem(send(tokens["finance"], license_file, invoice_total="12,3x"), 422)
    assert "invoice_total" in body["detail"]
    assert_problem(upload("/upstream/imports", tokens["finance"], {}), 422)
    assert ImportBatch.objects.count() == 0


def test_status_role_matrix(tokens, license_file):
    batch_id = send(tokens["finance"], license_file).json()["batch_id"]
    for role in STAFF:
        assert get(f"/upstream/imports/{batch_id}", tokens[role]).status_code == 200
    assert_problem(get(f"/upstream/imports/{batch_id}", tokens["portal"]), 403)
    assert_problem(get(f"/upstream/imports/{batch_id}"), 401)
    assert_problem(get(f"/upstream/imports/{batch_id + 1}", tokens["finance"]), 404)


@pytest.mark.slow
def test_a_real_worker_on_another_machine_imports_the_upload(
    tokens, license_file, start_worker, settings, tmp_path, client, make_user
):
    """The web app and the worker share the database and the uploads storage, nothing else: each
    has its own VAR_DIR (as on two machines)."""
    shared = tmp_path / "shared-uploads"
    settings.VAR_DIR = tmp_path / "web"
    use_upload_dir(settings, shared)
    batch_id = send(tokens["finance"], license_file).json()["batch_id"]
    assert list(shared.iterdir()), "the upload is in the shared storage"
    start_worker(
        CSPBILLING_VAR_DIR=str(tmp_path / "worker"),
        CSPBILLING_UPLOAD_DIR=str(shared),
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = get(f"/upstream/imports/{batch_id}", tokens["readonly"]).json()
        if status["status"] not in ("pending", "running"):
            break
        time.sleep(0.3)
    assert status["status"] == "imported" and status["lines"] == 3
    assert status["progress"]["percent"] == 100
    client.force_login(make_user("readonly"))
    page = client.get(reverse("upstream:batch", args=[batch_id])).content.decode()
    assert "Imported" in page and "3 lines, total" in page
    assert UploadRun.objects.get(batch_id=batch_id).status == "succeeded"
    assert not (tmp_path / "web" / "uploads").exists()
