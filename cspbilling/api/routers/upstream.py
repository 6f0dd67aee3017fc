"""What 21Vianet bills the partner, and our payments to 21Vianet. Staff only: these are the
partner's costs, so a portal user's token gets 403 here."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Path, Query, Router, Status
from ninja.errors import HttpError

from cspbilling.accounts.permissions import MONEY_ROLES, READ_ROLES
from cspbilling.api.common import ERRORS, NO_NUL, WRITE_ERRORS, money, require_roles
from cspbilling.api.schemas.upstream import (
    InvoiceDetailOut,
    InvoicePage,
    LinePage,
    PayablesOut,
    PaymentIn,
    PaymentOut,
)
from cspbilling.upstream import selectors
from cspbilling.upstream.models import InvoiceStatus, UpstreamInvoice
from cspbilling.upstream.services import PaymentError, do_record_upstream_payment

router = Router(tags=["upstream"])
INVOICE_ID = Path(..., max_length=64, pattern=NO_NUL)
ANY_STATUS = Query(None)
PERIOD = r"^[12]\d{3}-(0[1-9]|1[0-2])$"
MAX_LINES = 2000


def _invoice(invoice_id: str) -> UpstreamInvoice:
    invoice = selectors.invoice_list().filter(invoice_id=invoice_id).first()
    if invoice is None:
        raise Http404("no such invoice")
    return invoice


def _invoice_facts(invoice: UpstreamInvoice, facts: selectors.InvoiceFacts) -> dict:
    return {
        "invoice_id": invoice.invoice_id,
        "invoice_date": invoice.invoice_date,
        "due_date": invoice.due_date,
        "billing_period_start": invoice.billing_period_start,
        "billing_period_end": invoice.billing_period_end,
        "currency": invoice.currency,
        "status": invoice.status,
        "amount": money(facts.amount),
        "paid": money(facts.paid),
        "balance": money(facts.balance),
        "sum_check": invoice.sum_check,
        "lines_count": invoice.lines_count,
        "revision": invoice.revision,
    }


@router.get("/upstream/invoices", response={200: InvoicePage, **ERRORS})
def list_invoices(
    request: HttpRequest,
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=1_000_000),
    status: InvoiceStatus | None = ANY_STATUS,
    period: str | None = Query(None, pattern=PERIOD, description="Billing month, YYYY-MM."),
):
    """21Vianet's invoices to the partner, newest first, with what we paid and what is open."""
    require_roles(request, READ_ROLES)
    today = timezone.localdate()
    qs = selectors.invoice_list()
    if status:
        qs = qs.filter(status=status)
    if period:
        start = dt.date.fromisoformat(f"{period}-01")
        end = (start + dt.timedelta(days=32)).replace(day=1)
        qs = qs.filter(billing_period_start__gte=start, billing_period_start__lt=end)
    return {
        "count": qs.count(),
        "limit": limit,
        "offset": offset,
        "items": [
            _invoice_facts(invoice, selectors.invoice_facts(invoice, today=today))
            for invoice in qs[offset : offset + limit]
        ],
    }


@router.get("/upstream/invoices/{invoice_id}", response={200: InvoiceDetailOut, **ERRORS})
def get_invoice(request: HttpRequest, invoice_id: str = INVOICE_ID):
    """One invoice: amounts, due date, open balance, the sum check and our payments."""
    require_roles(request, READ_ROLES)
    invoice = _invoice(invoice_id)
    facts = selectors.invoice_facts(invoice, today=timezone.localdate())
    return {
        **_invoice_facts(invoice, facts),
        "total_charges": money(invoice.total_charges),
        "tax_total": money(invoice.tax_total),
        "lines_total": money(facts.lines_total),
        "lines_tax": money(facts.lines_tax),
        "difference": money(facts.difference),
        "days_to_due": facts.days_to_due,
        "document_type": invoice.document_type,
        "invoice_type": invoice.invoice_type,
        "unknown": selectors.unknown_references(invoice_id=invoice.invoice_id),
        "payments": invoice.payments.select_related("invoice", "recorded_by"),
    }


@router.get("/upstream/invoices/{invoice_id}/lines", response={200: LinePage, **ERRORS})
def list_invoice_lines(
    request: HttpRequest,
    invoice_id: str = INVOICE_ID,
    after: int = Query(0, ge=0, le=2**62, description="The last line id of the previous page."),
    limit: int = Query(500, ge=1, le=MAX_LINES),
):
    """An invoice's reconciliation lines in line-id order, `limit` at a time (keyset paging)."""
    require_roles(request, READ_ROLES)
    invoice = _invoice(invoice_id)
    lines = list(
        selectors.invoice_lines(invoice)
        .filter(id__gt=after)
        .order_by("id")
        .prefetch_related("batch")[:limit]
    )
    return {
        "invoice_id": invoice.invoice_id,
        "lines_count": invoice.lines_count,
        "limit": limit,
        "after": after,
        "next_after": lines[-1].id if len(lines) == limit else None,
        "items": lines,
    }


@router.get("/upstream/payables", response={200: PayablesOut, **ERRORS})
def payables(request: HttpRequest, days: int = Query(14, ge=1, le=365)):
    """What the partner owes 21Vianet: open balances aged per currency, and those due soon.
    Finance and admin only, as on the console."""
    require_roles(request, MONEY_ROLES)
    today = timezone.localdate()
    aging = [
        {
            "currency": currency,
            "total": money(sum(per.values(), Decimal("0.00"))),
            "buckets": {bucket: money(amount) for bucket, amount in per.items()},
        }
        for currency, per in selectors.aging(today=today).items()
    ]
    return {
        "today": today,
        "days": days,
        "aging": aging,
        "due_within": [_payable(row) for row in selectors.due_within(today=today, days=days)],
        "open": [_payable(row) for row in selectors.payables(today=today)],
    }


def _payable(row: dict) -> dict:
    return {
        "invoice_id": row["invoice"].invoice_id,
        "currency": row["currency"],
        "amount": money(row["amount"]),
        "balance": money(row["balance"]),
        "due_date": row["due_date"],
        "days_to_due": row["days_to_due"],
        "bucket": row["bucket"],
    }


@router.post(
    "/upstream/invoices/{invoice_id}/payments",
    response={201: PaymentOut, **WRITE_ERRORS},
)
def record_payment(request: HttpRequest, payload: PaymentIn, invoice_id: str = INVOICE_ID):
    """Record a payment the partner made to 21Vianet. 409 when the invoice refuses it (a
    reference already recorded, more than the open balance unless `confirm_overpayment`, another
    currency); nothing is changed then."""
    require_roles(request, MONEY_ROLES)
    invoice = _invoice(invoice_id)
    try:
        payment = do_record_upstream_payment(
            invoice=invoice,
            amount=payload.amount,
            paid_on=payload.paid_on,
            reference=payload.reference,
            currency=payload.currency or None,
            confirm_overpayment=payload.confirm_overpayment,
            actor=request.auth,
        )
    except PaymentError as exc:
        raise HttpError(409, str(exc)) from None
    return Status(201, payment)
