"""Background imports of uploaded files (django.tasks; enqueued in the upload's transaction)."""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings
from django.tasks import task

from cspbilling.upstream.models import ImportBatch


def uploads_dir() -> Path:
    path = Path(settings.VAR_DIR) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def progress_path(batch_id: int) -> Path:
    # Outside the database: the import's transaction holds SQLite's write lock until it ends.
    return uploads_dir() / f"batch-{batch_id}.progress"


def read_progress(batch_id: int) -> int:
    try:
        return int(progress_path(batch_id).read_text() or 0)
    except (FileNotFoundError, ValueError):
        return 0


@task()
def import_uploaded_file(batch_id: int) -> str:
    from cspbilling.upstream.services import ImportRejected, import_reconciliation_file

    batch = ImportBatch.objects.get(pk=batch_id)
    finished = (
        ImportBatch.Status.IMPORTED,
        ImportBatch.Status.UNCHANGED,
        ImportBatch.Status.REJECTED,
    )
    if batch.status in finished:
        return batch.status  # already done. A run cut short (RUNNING) may run again: the import
        # is all or nothing and idempotent, so a second run imports once or finds it unchanged.
    ImportBatch.objects.filter(pk=batch_id).update(status=ImportBatch.Status.RUNNING)
    marker = progress_path(batch_id)
    last = [0.0]

    def on_progress(done: int) -> None:
        now = time.monotonic()
        if now - last[0] > 0.25:
            last[0] = now
            marker.write_text(str(done))

    try:
        batch = import_reconciliation_file(
            path=Path(batch.stored_path),
            actor=batch.created_by,
            batch=batch,
            on_progress=on_progress,
        )
    except ImportRejected:
        return ImportBatch.Status.REJECTED
    finally:
        marker.unlink(missing_ok=True)
    return batch.status
