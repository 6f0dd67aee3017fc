"""Stored uploads are kept for CSPBILLING_UPLOAD_RETENTION_DAYS (0: for ever), imported and rejected
alike; then the file is deleted from the `uploads` storage (whichever backend it is), and the
import's record, summary and errors stay, marked "file deleted after N days", with an audit event.

Idempotent and resumable: the file is deleted first (deleting a missing file is no error), then
its run is marked in one short transaction per file; a job cut off between the two deletes
nothing twice and marks the run the next time.
"""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import record_event
from cspbilling.core.services import transaction_step
from cspbilling.upstream import selectors
from cspbilling.upstream.models import UploadRun
from cspbilling.upstream.services.uploads import upload_storage


@transaction_step
def record_upload_file_deleted(
    *, run: UploadRun, kept_days: int, now: dt.datetime, actor: str
) -> bool:
    """Mark the run's file deleted, audited; False if it was already marked."""
    marked = UploadRun.objects.filter(pk=run.pk, file_deleted_at__isnull=True).update(
        file_deleted_at=now, file_kept_days=kept_days
    )
    if marked:
        record_event(
            actor=actor,
            action=AuditAction.UPSTREAM_FILE_DELETED,
            object_type="import_batch",
            object_id=run.batch_id,
            before={"stored_as": run.stored_name, "bytes": run.size},
            after={"file_deleted_after_days": kept_days},
        )
    return bool(marked)


def do_delete_expired_uploads(*, now: dt.datetime | None = None, actor: str = "scheduler") -> int:
    """Delete the stored files of the finished imports uploaded more than the retention period
    ago; how many were deleted."""
    kept_days = settings.UPLOAD_RETENTION_DAYS
    if kept_days <= 0:
        return 0
    now = now or timezone.now()
    storage = upload_storage()
    deleted = 0
    for run in selectors.uploads_past_retention(uploaded_before=now - timedelta(days=kept_days)):
        storage.delete(run.stored_name)
        with transaction.atomic(durable=True):
            marked = record_upload_file_deleted(run=run, kept_days=kept_days, now=now, actor=actor)
        deleted += marked
    return deleted
