"""Files uploaded through the console or the API: kept, then imported by the worker."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.db import transaction

from cspbilling.upstream.models import ImportBatch, ImportSource
from cspbilling.upstream.tasks import import_uploaded_file, uploads_dir


def queue_uploaded_file(
    *,
    upload,
    actor: str,
    invoice_id: str = "",
    invoice_total: Decimal | None = None,
    invoice_date: dt.date | None = None,
) -> ImportBatch:
    """Keep an uploaded file and queue its background import. The batch and the task row are
    written in one transaction: the worker never sees one without the other."""
    target = uploads_dir() / f"{uuid.uuid4().hex}.csv"
    with open(target, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    with transaction.atomic(durable=True):
        batch = ImportBatch.objects.create(
            source=ImportSource.FILE,
            file_name=(upload.name or "")[:255],
            stored_path=str(target),
            invoice_override=(invoice_id or "").strip(),
            invoice_total=invoice_total,
            invoice_date=invoice_date,
            bytes_total=target.stat().st_size,
            created_by=actor,
        )
        import_uploaded_file.enqueue(batch.pk)
    return batch
