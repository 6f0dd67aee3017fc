"""Upload a 21Vianet reconciliation file; it is imported in the background (all or nothing)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import File, Form, Path, Router, Status
from ninja.files import UploadedFile

from cspbilling.accounts.permissions import MONEY_ROLES, READ_ROLES
from cspbilling.api.common import (
    ERRORS,
    NO_NUL,
    WRITE_ERRORS,
    AmountIn,
    actor,
    require_roles,
)
from cspbilling.api.schemas.imports import ImportAccepted, ImportBatchOut
from cspbilling.upstream import selectors
from cspbilling.upstream.models import ImportBatch
from cspbilling.upstream.services import do_accept_upload, do_fail_abandoned_uploads

router = Router(tags=["upstream"])
OPTIONAL = Form(None)
INVOICE_ID = Form("", max_length=64, pattern=NO_NUL)


@router.post("/upstream/imports", response={202: ImportAccepted, **WRITE_ERRORS})
def upload_file(
    request: HttpRequest,
    response: HttpResponse,
    file: File[UploadedFile],
    invoice_id: str = INVOICE_ID,
    invoice_total: AmountIn = OPTIONAL,
    invoice_date: dt.date = OPTIONAL,
):
    """Upload a reconciliation file (CSV as Partner Center writes it). The import runs in the
    background: 202 with the batch id; follow `status_url` (also the Location header).
    `invoice_id` names the invoice when the file has no InvoiceNumber column; `invoice_total`
    is the invoice's own total, for the sum check; `invoice_date` sets the due date."""
    require_roles(request, MONEY_ROLES)
    batch = do_accept_upload(
        upload=file,
        invoice_id=invoice_id,
        invoice_total=invoice_total,
        invoice_date=invoice_date,
        actor=actor(request),
    )
    url = reverse("api:import_status", kwargs={"batch_id": batch.pk})
    response["Location"] = url
    return Status(202, {"batch_id": batch.pk, "status": batch.status, "status_url": url})


@router.get(
    "/upstream/imports/{batch_id}",
    response={200: ImportBatchOut, **ERRORS},
    url_name="import_status",
)
def import_status(request: HttpRequest, batch_id: int = Path(..., ge=1, le=2**62)):
    """An import's status and progress; once finished its summary, or why it was rejected
    (row, column, reason)."""
    require_roles(request, READ_ROLES)
    do_fail_abandoned_uploads()
    batch = get_object_or_404(ImportBatch, pk=batch_id)  # as the console's batch page reads it
    progress = selectors.import_progress(batch)
    return {
        "id": batch.pk,
        "status": batch.status,
        "source": batch.source,
        "file_name": batch.file_name,
        "kind": batch.kind,
        "created_by": batch.created_by,
        "created_at": batch.created_at,
        "finished_at": batch.finished_at,
        "progress": {key: progress[key] for key in ("bytes_done", "bytes_total", "percent")},
        "lines": batch.lines,
        "summary": batch.summary or {},
        "errors": batch.errors or [],
        "error_count": batch.error_count,
        "file_deleted_after_days": progress["file_kept_days"],
    }
