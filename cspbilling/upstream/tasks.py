"""Background imports of uploaded files (django.tasks; enqueued in the upload's transaction), and
their housekeeping on a schedule."""

from __future__ import annotations

from datetime import timedelta

from django.tasks import task

from cspbilling.core.scheduling import register_periodic

UPLOAD_HOUSEKEEPING_JOB = "upstream.upload_housekeeping"


@task()
def import_uploaded_file(batch_id: int) -> str:
    from cspbilling.upstream.services.uploads import do_run_upload_import

    return do_run_upload_import(batch_id=batch_id)


@task()
def upload_housekeeping() -> str:
    """Fail the imports whose worker stopped (without waiting for someone to open their page),
    delete the stored files past their retention period, and this machine's spool folders left
    by killed processes."""
    from cspbilling.core.spool import sweep_orphan_spools
    from cspbilling.upstream.services import do_delete_expired_uploads, do_fail_abandoned_uploads

    sweep_orphan_spools()
    released = do_fail_abandoned_uploads()
    deleted = do_delete_expired_uploads()
    return f"{released} abandoned import(s) failed, {deleted} expired file(s) deleted"


register_periodic(UPLOAD_HOUSEKEEPING_JOB, every=timedelta(minutes=15), task=upload_housekeeping)
