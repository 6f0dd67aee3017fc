"""Issuing invoices: a gap-free number per series and year, the due date from the customer's
payment terms, frozen for ever after (corrections are credit notes)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone

from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import record_event
from cspbilling.core.money import from_minor_units
from cspbilling.core.services import entry_point, transaction_step
from cspbilling.customers.locks import lock_customers
from cspbilling.invoicing import hooks, transitions
from cspbilling.invoicing.locks import lock_invoices
from cspbilling.invoicing.mail import queue_invoice_email
from cspbilling.invoicing.models import Invoice, InvoiceStatus
from cspbilling.invoicing.services.fapiao import request_fapiao_on_issue
from cspbilling.invoicing.services.numbering import next_number


class IssueError(ValueError):
    pass


@transaction_step
def issue_invoices(
    *, invoices: Iterable[Invoice], actor: str, on: dt.date | None = None
) -> list[Invoice]:
    """Issue these drafts, in primary-key order (numbers follow it). One that is not a draft
    any more (issued meanwhile) refuses the whole batch: nothing is numbered twice."""
    on = on or timezone.localdate()
    invoices = list(invoices)
    # What each customer owes changes: its customer locked first, all of them before the
    # first audit event takes the chain's head (see `customers.locks`).
    lock_customers({invoice.customer_id for invoice in invoices})
    locked = lock_invoices(invoice.pk for invoice in invoices)
    not_drafts = [invoice for invoice in locked if invoice.status != InvoiceStatus.DRAFT]
    if not_drafts:
        issued = [i.number for i in not_drafts if i.status == InvoiceStatus.ISSUED]
        discarded = [f"#{i.pk}" for i in not_drafts if i.status == InvoiceStatus.DISCARDED]
        raise IssueError(
            "; ".join(
                f"{what}: {', '.join(names)}"
                for what, names in (("already issued", issued), ("discarded", discarded))
                if names
            )
        )
    empty = [invoice for invoice in locked if invoice.lines_count == 0]
    if empty:
        raise IssueError(f"draft #{empty[0].pk} has no lines")
    for invoice in locked:
        number = next_number(settings.INVOICE_NUMBER_SERIES, on.year)
        transitions.issue(
            invoice, number=number, on=on, payment_terms_days=invoice.customer.payment_terms_days
        )
        invoice.save(update_fields=["status", "number", "issued_on", "due_on"])
        hooks.invoice_issued(invoice, actor)
        email = queue_invoice_email(invoice, actor=actor)
        fapiao = request_fapiao_on_issue(invoice, actor=actor)
        record_event(
            actor=actor,
            action=AuditAction.INVOICE_ISSUED,
            object_type="invoice",
            object_id=number,
            before={"status": InvoiceStatus.DRAFT},
            after={
                "status": InvoiceStatus.ISSUED,
                "customer": str(invoice.customer.tenant_id),
                "period": invoice.period.isoformat(),
                "total": str(from_minor_units(invoice.total_minor, invoice.currency)),
                "currency": invoice.currency,
                "issued_on": on.isoformat(),
                "due_on": invoice.due_on.isoformat(),
                "emailed_to": email.payload["to"] if email else [],
                "fapiao_requested": fapiao.kind if fapiao else None,
            },
        )
    return locked


do_issue_invoices = entry_point(issue_invoices)
