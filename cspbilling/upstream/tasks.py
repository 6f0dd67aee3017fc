"""Background imports of uploaded files (django.tasks; enqueued in the upload's transaction)."""

from __future__ import annotations

from django.tasks import task


@task()
def import_uploaded_file(batch_id: int) -> str:
    from cspbilling.upstream.services.uploads import do_run_upload_import

    return do_run_upload_import(batch_id=batch_id)
