"""Uploaded files: kept in the `uploads` storage (shared by every machine), imported by a worker.

The web server saves the file to the storage, then records the batch, its run, the task and the
audit event in one transaction (`do_accept_upload`; if that fails, the file is deleted again).
A worker on any machine copies the file from the storage to a local spool folder (`core.spool`:
a killed worker's is swept later), then imports it (`do_run_upload_import`), writing its progress
and heartbeat on the run. A run whose worker stopped is failed with the reason
(`do_fail_abandoned_uploads`, also run by the periodic housekeeping) instead of showing the same
percent for ever. Stored files are deleted after their retention period (`retention.py`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.files.storage import Storage, storages
from django.db import connection, transaction
from django.utils import timezone

from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import record_event
from cspbilling.core.runs import RunStatus
from cspbilling.core.services import (
    RunProgress,
    finish_run,
    release_stale_runs,
    start_run,
    transaction_step,
)
from cspbilling.core.spool import spool_folder
from cspbilling.upstream import selectors
from cspbilling.upstream.models import ImportBatch, ImportSource, UploadRun
from cspbilling.upstream.services.imports import (
    ImportRejected,
    do_import_reconciliation_file,
    mark_import_failed,
    mark_import_running,
)

# A worker writes progress at least every few seconds (on SQLite not while the import's
# transaction holds the write lock: a 1M-line import takes well under a minute there).
ABANDONED_AFTER = timedelta(minutes=30)
COPY_CHUNK = 1 << 20
FINISHED = (ImportBatch.Status.IMPORTED, ImportBatch.Status.UNCHANGED, ImportBatch.Status.REJECTED)


def upload_storage() -> Storage:
    return storages["uploads"]


@transaction_step
def accept_upload(
    *,
    stored_name: str,
    size: int,
    file_name: str,
    actor: str,
    invoice_id: str = "",
    invoice_total: Decimal | None = None,
    invoice_date: dt.date | None = None,
) -> ImportBatch:
    """The batch, its run and its task, for a file already in the uploads storage, audited."""
    from cspbilling.upstream.tasks import import_uploaded_file

    batch = ImportBatch.objects.create(
        source=ImportSource.FILE,
        file_name=file_name[:255],
        stored_path=stored_name,
        invoice_override=(invoice_id or "").strip(),
        invoice_total=invoice_total,
        invoice_date=invoice_date,
        bytes_total=size,
        created_by=actor,
    )
    result = import_uploaded_file.enqueue(batch.pk)
    UploadRun.objects.create(
        batch=batch,
        stored_name=stored_name,
        size=size,
        requested_by=actor,
        requested_at=timezone.now(),  # the retention period counts from here
        progress_total=size,
        task_id=uuid.UUID(str(result.id)),
    )
    record_event(
        actor=actor,
        action=AuditAction.UPSTREAM_FILE_UPLOADED,
        object_type="import_batch",
        object_id=batch.pk,
        after={
            "file": batch.file_name,
            "bytes": size,
            "stored_as": stored_name,
            "invoice_id": batch.invoice_override,
            "invoice_total": None if invoice_total is None else str(invoice_total),
            "invoice_date": invoice_date.isoformat() if invoice_date else None,
        },
    )
    return batch


def do_accept_upload(
    *,
    upload: Any,
    actor: str,
    invoice_id: str = "",
    invoice_total: Decimal | None = None,
    invoice_date: dt.date | None = None,
) -> ImportBatch:
    """Keep an uploaded file and queue its background import. The file goes to the storage first
    (it may be remote); then the batch, the run, the task row and the audit event commit together:
    the worker never sees one without the others."""
    storage = upload_storage()
    stored_name = storage.save(f"{uuid.uuid4().hex}.csv", upload)
    try:
        with transaction.atomic(durable=True):
            return accept_upload(
                stored_name=stored_name,
                size=storage.size(stored_name),
                file_name=upload.name or "",
                actor=actor,
                invoice_id=invoice_id,
                invoice_total=invoice_total,
                invoice_date=invoice_date,
            )
    except BaseException:
        storage.delete(stored_name)  # no batch refers to it: it would be kept for ever
        raise


def do_run_upload_import(*, batch_id: int) -> str:
    """The worker's part: copy the file from the storage, import it, record how the run ended.
    A batch already finished is left alone; a run cut short may run again (the import is all or
    nothing and idempotent)."""
    batch = ImportBatch.objects.get(pk=batch_id)
    if batch.status in FINISHED:
        return batch.status
    run = UploadRun.objects.get(batch=batch)
    if not start_run(UploadRun, run.pk):
        return batch.status  # failed as abandoned meanwhile
    with transaction.atomic(durable=True):
        mark_import_running(batch=batch)
    progress = RunProgress(UploadRun, run.pk)
    try:
        with spool_folder("upload") as folder:
            local = folder / "upload.csv"
            _copy_from_storage(run.stored_name, local, progress=progress, size=run.size)
            progress.start("importing", total=run.size)
            try:
                batch = do_import_reconciliation_file(
                    path=local,
                    actor=batch.created_by,
                    batch=batch,
                    on_progress=_import_progress(progress),
                )
            except ImportRejected:
                batch.refresh_from_db()
    except Exception as exc:
        with transaction.atomic(durable=True):
            mark_import_failed(batch=batch)
            finish_run(
                UploadRun, run.pk, status=RunStatus.FAILED, error=f"{type(exc).__name__}: {exc}"
            )
        raise
    with transaction.atomic(durable=True):
        finish_run(UploadRun, run.pk, status=RunStatus.SUCCEEDED, progress_done=run.size)
    return batch.status


def _copy_from_storage(name: str, local: Path, *, progress: RunProgress, size: int) -> None:
    progress.start("copying", total=size)
    with upload_storage().open(name, "rb") as source, open(local, "wb") as target:
        while chunk := source.read(COPY_CHUNK):
            target.write(chunk)
            progress.advance(len(chunk))


def _import_progress(progress: RunProgress):
    """Bytes read, written on the run from the parsing thread (its own connection, so visible at
    once). Not on SQLite: there the import's transaction holds the one write lock until it ends,
    and a second connection's write would wait for it."""
    if connection.vendor == "sqlite":
        return None

    def on_progress(done: int) -> None:
        progress.advance(done - progress.done)

    return on_progress


@transaction_step
def fail_abandoned_uploads(*, now: dt.datetime | None = None) -> int:
    """Fail the runs with no sign of life for ABANDONED_AFTER, and their batches, with why."""
    now = now or timezone.now()
    released = release_stale_runs(UploadRun, silent_for=ABANDONED_AFTER, now=now)
    if released:
        for run in UploadRun.objects.filter(
            status=RunStatus.FAILED,
            batch__status__in=(ImportBatch.Status.PENDING, ImportBatch.Status.RUNNING),
        ).select_related("batch"):
            ImportBatch.objects.filter(pk=run.batch_id).update(
                status=ImportBatch.Status.FAILED,
                finished_at=now,
                errors=[{"row": None, "column": "", "reason": run.error}],
                error_count=1,
            )
    return released


def do_fail_abandoned_uploads() -> int:
    """Entry point of fail_abandoned_uploads; it asks first, read only, whether any run is
    abandoned: on SQLite opening a write transaction would wait for a running import's."""
    now = timezone.now()
    if not selectors.has_abandoned_uploads(silent_for=ABANDONED_AFTER, now=now):
        return 0
    with transaction.atomic(durable=True):
        return fail_abandoned_uploads(now=now)
