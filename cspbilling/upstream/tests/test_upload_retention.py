"""The periodic upload housekeeping: stored files are deleted after the retention period (the
import's record stays, marked), and imports whose worker stopped are failed without anyone
opening their page."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from cspbilling.audit.models import AuditEvent
from cspbilling.core.scheduling import periodic_jobs
from cspbilling.core.services import start_run
from cspbilling.upstream.models import ImportBatch, UploadRun
from cspbilling.upstream.tasks import (
    UPLOAD_HOUSEKEEPING_JOB,
    import_uploaded_file,
    upload_housekeeping,
)
from cspbilling.upstream.tests.fixtures import (
    LICENSE_HEADER,
    license_row,
    use_upload_dir,
    write_csv,
)
from cspbilling.upstream.tests.raw_http import files_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def finance(client, make_user):
    user = make_user("finance")
    client.force_login(user)
    client.sign_in_again = lambda: client.force_login(user)  # a session ends when the clock moves
    return client


@pytest.fixture
def uploads(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    use_upload_dir(settings, tmp_path / "uploads")
    settings.UPLOAD_RETENTION_DAYS = 90
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "spool")
    (tmp_path / "spool").mkdir()
    return tmp_path / "uploads"


def _upload(client, path) -> ImportBatch:
    before = ImportBatch.objects.count()
    with open(path, "rb") as handle:
        response = client.post(reverse("upstream:upload"), {"file": handle})
    assert response.status_code == 302 and ImportBatch.objects.count() == before + 1
    batch = ImportBatch.objects.latest("pk")
    import_uploaded_file.call(batch.pk)
    assert list(Path(settings.FILE_UPLOAD_TEMP_DIR).iterdir()) == []  # the worker's spool is gone
    batch.refresh_from_db()
    return batch


def test_files_past_retention_are_deleted_once_and_their_records_kept(
    finance, uploads, clock, license_file, tmp_path, api_token_for, make_user
):
    imported = _upload(finance, license_file)
    bad_rows = [license_row(1), {**license_row(2), "Currency": "USD"}]
    rejected = _upload(finance, write_csv(tmp_path / "bad.csv", LICENSE_HEADER, bad_rows))
    assert (imported.status, rejected.status) == ("imported", "rejected")
    clock.move(days=60)
    finance.sign_in_again()
    recent = _upload(finance, write_csv(tmp_path / "new.csv", LICENSE_HEADER, [license_row(7)]))
    stored = {
        b.pk: UploadRun.objects.get(batch=b).stored_name for b in (imported, rejected, recent)
    }
    assert files_in(uploads) == sorted(stored.values())

    clock.move(days=89)
    assert upload_housekeeping.call().endswith("0 expired file(s) deleted")
    clock.move(days=91)
    assert upload_housekeeping.call().endswith("2 expired file(s) deleted")

    assert files_in(uploads) == [stored[recent.pk]]
    finance.sign_in_again()
    events = AuditEvent.objects.filter(action="upstream.file.deleted").order_by("id")
    assert [(e.object_id, e.actor, e.after) for e in events] == [
        (str(b.pk), "scheduler", {"file_deleted_after_days": 90}) for b in (imported, rejected)
    ]
    page = finance.get(reverse("upstream:batch", args=[imported.pk])).content.decode()
    assert "File deleted after 90 days" in page and "3 lines, total" in page
    page = finance.get(reverse("upstream:batch", args=[rejected.pk])).content.decode()
    assert "File deleted after 90 days" in page and "USD is not the invoice" in page
    token = api_token_for(make_user("readonly"))
    status = Client().get(
        f"/api/v1/upstream/imports/{imported.pk}", headers={"Authorization": f"Bearer {token}"}
    )
    assert status.json()["file_deleted_after_days"] == 90
    page = finance.get(reverse("upstream:batch", args=[recent.pk])).content.decode()
    assert "File deleted" not in page

    # Again, even much later: nothing more to do, nothing recorded twice.
    clock.move(days=140)
    assert upload_housekeeping.call().endswith("0 expired file(s) deleted")
    assert AuditEvent.objects.filter(action="upstream.file.deleted").count() == 2
    clock.move(days=151)
    assert upload_housekeeping.call().endswith("1 expired file(s) deleted")
    assert files_in(uploads) == []


def test_a_file_already_gone_is_marked_the_next_time(finance, uploads, clock, license_file):
    """A job cut off after deleting a file, before marking its record, finishes on its next run."""
    batch = _upload(finance, license_file)
    run = UploadRun.objects.get(batch=batch)
    (uploads / run.stored_name).unlink()
    clock.move(days=91)
    assert upload_housekeeping.call().endswith("1 expired file(s) deleted")
    run.refresh_from_db()
    assert run.file_deleted_at is not None and run.file_kept_days == 90


def test_retention_zero_keeps_files_for_ever(finance, uploads, clock, license_file, settings):
    settings.UPLOAD_RETENTION_DAYS = 0
    _upload(finance, license_file)
    clock.move(days=3650)
    assert upload_housekeeping.call().endswith("0 expired file(s) deleted")
    assert len(files_in(uploads)) == 1


def test_an_import_whose_worker_stopped_is_failed_by_the_job_and_its_file_kept(
    finance, uploads, clock, license_file
):
    with open(license_file, "rb") as handle:
        finance.post(reverse("upstream:upload"), {"file": handle})
    batch = ImportBatch.objects.get()
    run = UploadRun.objects.get(batch=batch)
    assert start_run(UploadRun, run.pk)  # a worker took it, then its machine stopped
    clock.move(minutes=29)
    assert upload_housekeeping.call().startswith("0 abandoned")
    clock.move(minutes=31)
    assert upload_housekeeping.call().startswith("1 abandoned")  # nobody opened the page
    batch.refresh_from_db()
    run.refresh_from_db()
    assert batch.status == "failed" and run.status == "failed"
    assert "abandoned: no sign of life" in batch.errors[0]["reason"]
    clock.move(days=91)  # a failed import's file is kept for the retention period, then deleted
    assert upload_housekeeping.call() == "0 abandoned import(s) failed, 1 expired file(s) deleted"


def test_the_housekeeping_job_is_scheduled():
    assert UPLOAD_HOUSEKEEPING_JOB in [job.name for job in periodic_jobs()]
