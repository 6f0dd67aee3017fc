"""Our invoices to customers. Staff read every invoice; a portal user's token reads only its
customer's issued invoices (404 for any other). Finance and administrators run billing and issue."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Path, Query, Router, Status
from ninja.errors import HttpError

from cspbilling.accounts.permissions import MONEY_ROLES, READ_ROLES
from cspbilling.api.common import ERRORS, WRITE_ERRORS, actor, is_portal, require_roles
from cspbilling.api.schemas.credit_notes import DiscardIn
from cspbilling.api.schemas.invoicing import (
    BillingRunAccepted,
    BillingRunIn,
    BillingRunOut,
    CustomerInvoiceLineOut,
    CustomerInvoiceOut,
    CustomerInvoicePage,
    IssueIn,
)
from cspbilling.core.money import from_minor_units
from cspbilling.customers.models import Customer
from cspbilling.invoicing import selectors
from cspbilling.invoicing.models import BillingRun, Invoice
from cspbilling.invoicing.pdf.render import render_invoice_pdf
from cspbilling.invoicing.services import (
    BillingRunBusy,
    IssueError,
    SupplementError,
    do_discard_supplementary_invoice,
    do_fail_abandoned_billing_runs,
    do_issue_invoices,
    do_request_billing_run,
)

router = Router(tags=["invoices"])
PERIOD = r"^[12]\d{3}-(0[1-9]|1[0-2])$"
ANY_PERIOD = Query(None, pattern=PERIOD, description="The billed month, YYYY-MM.")
ANY_STATUS = Query(None)


def _visible(request: HttpRequest):
    if is_portal(request):
        return selectors.issued_invoices_for_customer(customer=request.auth.customer)
    require_roles(request, READ_ROLES)
    return selectors.invoices()


def _invoice(request: HttpRequest, invoice_id: int) -> Invoice:
    invoice = _visible(request).filter(pk=invoice_id).first()
    if invoice is None:
        raise Http404("no such invoice")
    return invoice


def _invoice_out(invoice: Invoice, extras: dict[str, Any] | None = None) -> dict[str, Any]:
    extras = extras or selectors.credits_and_fapiaos([invoice])[invoice.pk]
    fapiao = extras["fapiao"]
    return {
        **selectors.invoice_row(invoice),
        "customer_tenant_id": invoice.customer.tenant_id,
        "corrects": invoice.corrects_id,
        "credited": str(from_minor_units(extras["credited_minor"], invoice.currency)),
        "fapiao": None
        if fapiao is None
        else {
            "kind": fapiao.kind,
            "status": fapiao.status,
            "number": fapiao.number,
            "issued_on": fapiao.issued_on,
        },
    }


@router.get("/invoices", response={200: CustomerInvoicePage, **ERRORS})
def list_invoices(
    request: HttpRequest,
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=1_000_000),
    period: str | None = ANY_PERIOD,
    # Not the enum: upstream has one of that name.
    status: Literal["draft", "issued", "discarded"] | None = ANY_STATUS,
):
    """Invoices by month and number."""
    qs = _visible(request)
    if period:
        qs = qs.filter(period=dt.date.fromisoformat(f"{period}-01"))
    if status:
        qs = qs.filter(status=status)
    page = list(qs[offset : offset + limit])
    extras = selectors.credits_and_fapiaos(page)
    return {
        "count": qs.count(),
        "limit": limit,
        "offset": offset,
        "items": [_invoice_out(invoice, extras[invoice.pk]) for invoice in page],
    }


# Before /invoices/{invoice_id}, which would take "issue" for an id.
@router.post("/invoices/issue", response={200: list[CustomerInvoiceOut], **WRITE_ERRORS})
def issue_invoices(request: HttpRequest, payload: IssueIn):
    """Issue these drafts (numbers in id order). 409 when one is not a draft: none is issued."""
    require_roles(request, MONEY_ROLES)
    drafts = list(selectors.invoices().filter(pk__in=payload.invoice_ids))
    missing = set(payload.invoice_ids) - {invoice.pk for invoice in drafts}
    if missing:
        raise Http404(f"no such invoice: {sorted(missing)}")
    try:
        issued = do_issue_invoices(invoices=drafts, actor=actor(request))
    except IssueError as exc:
        raise HttpError(409, str(exc)) from None
    return [_invoice_out(invoice) for invoice in issued]


@router.get("/invoices/{invoice_id}", response={200: CustomerInvoiceOut, **ERRORS})
def get_invoice(request: HttpRequest, invoice_id: int):
    return _invoice_out(_invoice(request, invoice_id))


@router.post("/invoices/{invoice_id}/discard", response={200: CustomerInvoiceOut, **WRITE_ERRORS})
def discard_supplementary_invoice(request: HttpRequest, invoice_id: int, payload: DiscardIn):
    """A supplementary draft the customer is not billed (21Vianet's correction is absorbed).
    409 for any other invoice (a month's own draft is rebuilt by each billing run)."""
    require_roles(request, MONEY_ROLES)
    invoice = _invoice(request, invoice_id)
    try:
        invoice = do_discard_supplementary_invoice(
            invoice=invoice, reason=payload.reason, actor=actor(request)
        )
    except SupplementError as exc:
        raise HttpError(409, str(exc)) from None
    return _invoice_out(invoice)


@router.get("/invoices/{invoice_id}/lines", response={200: list[CustomerInvoiceLineOut], **ERRORS})
def list_invoice_lines(request: HttpRequest, invoice_id: int):
    """The lines; for staff, each with the reconciliation rows it bills."""
    invoice = _invoice(request, invoice_id)
    lines = list(selectors.invoice_lines(invoice))
    traces = None if is_portal(request) else selectors.upstream_line_ids(lines)
    return [
        {
            "id": line.pk,
            "subscription_id": line.subscription_id,
            "offer_id": line.offer_id,
            "durable_offer_id": line.durable_offer_id,
            "offer_name": line.offer_name,
            "charge_type": line.charge_type,
            "charge_start": line.charge_start,
            "charge_end": line.charge_end,
            "quantity": f"{line.quantity.normalize():f}",
            "period_fraction": None if line.period_percent is None else f"{line.period_fraction:f}",
            "net": str(line.net),
            "tax_rate": f"{line.tax_rate.normalize():f}",
            "tax": str(line.tax),
            "upstream_lines": line.upstream_lines,
            "upstream_line_ids": None if traces is None else traces.get(line.pk, []),
        }
        for line in lines
    ]


@router.get(
    "/invoices/{invoice_id}/pdf",
    response={200: None, **ERRORS},
    openapi_extra={"responses": {200: {"content": {"application/pdf": {}}}}},
)
def invoice_pdf(request: HttpRequest, invoice_id: int):
    """The invoice's PDF, in the customer's language."""
    invoice = _invoice(request, invoice_id)
    response = HttpResponse(render_invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{invoice.number or invoice.pk}.pdf"'
    return response


@router.post("/billing-runs", response={202: BillingRunAccepted, **WRITE_ERRORS}, tags=["billing"])
def run_billing(request: HttpRequest, response: HttpResponse, payload: BillingRunIn):
    """Make a month's drafts (again) from the upstream lines not billed yet; issued invoices
    are never touched. The run works in the background: 202 with its id; follow `status_url`
    (also the Location header) for its progress, then its summary (what was billed and, by
    reason, what was not). 409 while another run of the month is queued or running."""
    require_roles(request, MONEY_ROLES)
    customer = None
    if payload.customer_tenant_id:
        customer = Customer.objects.filter(tenant_id=payload.customer_tenant_id).first()
        if customer is None:
            raise HttpError(409, f"no customer has tenant id {payload.customer_tenant_id}")
    try:
        run = do_request_billing_run(
            period=dt.date.fromisoformat(f"{payload.period}-01"),
            customer=customer,
            dry_run=payload.dry_run,
            actor=actor(request),
        )
    except BillingRunBusy as busy:
        raise HttpError(409, str(busy)) from None
    url = reverse("api:billing_run_status", kwargs={"run_id": run.pk})
    response["Location"] = url
    return Status(
        202,
        {
            "id": run.pk,
            "period": f"{run.period:%Y-%m}",
            "dry_run": run.dry_run,
            "status": run.status,
            "status_url": url,
        },
    )


@router.get(
    "/billing-runs/{run_id}",
    response={200: BillingRunOut, **ERRORS},
    tags=["billing"],
    url_name="billing_run_status",
)
def get_billing_run(request: HttpRequest, run_id: int = Path(..., ge=1, le=2**62)):
    """A run's status and progress; once it succeeded, its summary; if it failed, why."""
    require_roles(request, MONEY_ROLES)
    do_fail_abandoned_billing_runs()
    run = BillingRun.objects.filter(pk=run_id).first()
    if run is None:
        raise Http404("no such billing run")
    progress = selectors.billing_run_progress(run)
    return {
        "id": run.pk,
        "period": f"{run.period:%Y-%m}",
        "dry_run": run.dry_run,
        "status": run.status,
        "requested_by": run.requested_by,
        "requested_at": run.requested_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "progress": {key: value for key, value in progress.items() if key != "unit"},
        "error": run.error,
        "summary": run.summary,
    }
