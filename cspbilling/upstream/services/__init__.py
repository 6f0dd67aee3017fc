"""The write path of upstream: importing 21Vianet invoices and lines (files, uploads, Partner
Center), recording our payments. Steps run inside the caller's transaction; `do_` entry points
open their own."""

from cspbilling.upstream.services.fetch import (
    do_fetch_invoices,
    store_fetched_invoice,
    upsert_invoice,
)
from cspbilling.upstream.services.imports import (
    ImportRejected,
    create_import_batch,
    do_create_import_batch,
    do_import_reconciliation_file,
    import_lines,
)
from cspbilling.upstream.services.payments import (
    PaymentError,
    do_record_upstream_payment,
    record_upstream_payment,
)
from cspbilling.upstream.services.retention import (
    do_delete_expired_uploads,
    record_upload_file_deleted,
)
from cspbilling.upstream.services.settle import (
    ImportUnchanged,
    compute_sum_check,
    payment_terms_days,
)
from cspbilling.upstream.services.uploads import (
    accept_upload,
    do_accept_upload,
    do_fail_abandoned_uploads,
    do_run_upload_import,
    fail_abandoned_uploads,
)

__all__ = [
    "ImportRejected",
    "ImportUnchanged",
    "PaymentError",
    "accept_upload",
    "compute_sum_check",
    "create_import_batch",
    "do_accept_upload",
    "do_create_import_batch",
    "do_delete_expired_uploads",
    "do_fail_abandoned_uploads",
    "do_fetch_invoices",
    "do_import_reconciliation_file",
    "do_record_upstream_payment",
    "do_run_upload_import",
    "fail_abandoned_uploads",
    "import_lines",
    "payment_terms_days",
    "record_upload_file_deleted",
    "record_upstream_payment",
    "store_fetched_invoice",
    "upsert_invoice",
]
