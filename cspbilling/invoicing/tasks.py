"""Invoicing's background work: billing runs asked for in the console or the API, the monthly
billing run, and issued invoices' and credit notes' PDFs as email attachments for the outbox."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.tasks import task
from django.utils import timezone

from cspbilling.core.scheduling import register_periodic
from cspbilling.invoicing.models import (
    BillingRun,
    CreditNote,
    CreditNoteStatus,
    Invoice,
    InvoiceStatus,
)
from cspbilling.invoicing.pdf.render import render_credit_note_pdf, render_invoice_pdf
from cspbilling.notifications.attachments import Attachment, register_attachment
from cspbilling.notifications.errors import PermanentDeliveryError


@register_attachment("invoicing.invoice_pdf")
def invoice_pdf(ref: str) -> Attachment:
    """The PDF of an issued invoice (by number). Issued invoices never change, so a retried
    email attaches the same document."""
    invoice = (
        Invoice.objects.select_related("customer")
        .filter(number=ref, status=InvoiceStatus.ISSUED)
        .first()
    )
    if invoice is None:
        raise PermanentDeliveryError(f"no issued invoice {ref}")
    return Attachment(f"{invoice.number}.pdf", render_invoice_pdf(invoice), "application/pdf")


@register_attachment("invoicing.credit_note_pdf")
def credit_note_pdf(ref: str) -> Attachment:
    """The PDF of an issued credit note (by number)."""
    note = (
        CreditNote.objects.select_related("customer", "invoice")
        .filter(number=ref, status=CreditNoteStatus.ISSUED)
        .first()
    )
    if note is None:
        raise PermanentDeliveryError(f"no issued credit note {ref}")
    return Attachment(f"{note.number}.pdf", render_credit_note_pdf(note), "application/pdf")


@task()
def billing_run(run_id: int) -> str:
    """A queued billing run (enqueued in the transaction that made its row)."""
    from cspbilling.invoicing.services import execute_billing_run

    return execute_billing_run(run_id=run_id).status


BILLING_RUN_HOUSEKEEPING_JOB = "invoicing.billing_run_housekeeping"
MONTHLY_BILLING_JOB = "invoicing.monthly_billing_run"
SCHEDULER = "scheduler"


@task()
def monthly_billing_run() -> str:
    """On CSPBILLING_BILLING_RUN_DAY of each month, draft last month's invoices once (staff
    review and issue them; a billing run by hand can make them again at any time)."""
    from cspbilling.invoicing.services import BillingRunBusy, do_run_billing

    today = timezone.localdate()
    if today.day != settings.BILLING_RUN_DAY:
        return f"skipped: billing runs on day {settings.BILLING_RUN_DAY}"
    month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    done = BillingRun.objects.filter(period=month, requested_by=SCHEDULER, dry_run=False)
    if done.exists():
        return f"skipped: {month:%Y-%m} was already billed by the schedule"
    try:
        run = do_run_billing(period=month, actor=SCHEDULER)
    except BillingRunBusy as busy:
        return f"skipped: {busy}"
    return f"billed {month:%Y-%m}: {run.summary['invoices']} drafts"


def billing_interval() -> timedelta | None:
    """Daily (the job checks the day itself); CSPBILLING_BILLING_RUN_DAY=0 turns it off."""
    return timedelta(days=1) if settings.BILLING_RUN_DAY else None


register_periodic(MONTHLY_BILLING_JOB, every=billing_interval, task=monthly_billing_run)


@task()
def billing_run_housekeeping() -> str:
    """Fail the billing runs whose worker stopped, or that no worker picked up, without waiting
    for someone to open the billing runs page: their month is free again, and why is written."""
    from cspbilling.invoicing.services import do_fail_abandoned_billing_runs

    return f"{do_fail_abandoned_billing_runs()} abandoned billing run(s) failed"


register_periodic(
    BILLING_RUN_HOUSEKEEPING_JOB, every=timedelta(minutes=15), task=billing_run_housekeeping
)
