"""Payments from customers. Staff read them all, a portal token its own customer's; finance and
administrators record, allocate, reverse and refund (409 when the money refuses: nothing moves)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal
from uuid import UUID

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import File, Form, Query, Router, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from cspbilling.accounts.permissions import MONEY_ROLES, READ_ROLES
from cspbilling.api.common import ERRORS, WRITE_ERRORS, actor, is_portal, require_roles
from cspbilling.api.schemas.payments import REASON as REASON_LIKE
from cspbilling.api.schemas.payments import (
    AssignLineIn,
    CashWeekOut,
    CreditRefundIn,
    CustomerBalanceOut,
    CustomerPaymentIn,
    CustomerPaymentOut,
    CustomerPaymentPage,
    CustomerStatementOut,
    MarginRowOut,
    PaymentAllocationIn,
    PaymentReverseIn,
    ReceivablesAgingOut,
    StatementImportOut,
    StatementLineOut,
)
from cspbilling.core.money import from_minor_units
from cspbilling.customers.models import Customer
from cspbilling.invoicing import selectors as invoicing_selectors
from cspbilling.payments import balances, reports, selectors
from cspbilling.payments.models import Payment, StatementLine
from cspbilling.payments.services import (
    PaymentError,
    do_allocate_payment,
    do_assign_statement_line,
    do_bank_account_named,
    do_record_payment,
    do_refund_credit,
    do_reverse_payment,
)
from cspbilling.payments.statements.lines import StatementError
from cspbilling.payments.statements.uploads import import_uploaded
from cspbilling.payments.transitions import TransitionError

router = Router(tags=["payments"])


def _visible(request: HttpRequest):
    if is_portal(request):
        return selectors.payments().filter(customer=request.auth.customer)
    require_roles(request, READ_ROLES)
    return selectors.payments()


def _payment(request: HttpRequest, payment_id: int) -> Payment:
    payment = _visible(request).filter(pk=payment_id).first()
    if payment is None:
        raise Http404("no such payment")
    return payment


def _out(payment: Payment) -> dict[str, Any]:
    fresh = selectors.payments().get(pk=payment.pk)
    return {**selectors.payment_row(fresh), "customer_tenant_id": fresh.customer.tenant_id}


def _customer(tenant_id) -> Customer:
    customer = Customer.objects.filter(tenant_id=tenant_id).first()
    if customer is None:
        raise HttpError(409, f"no customer has tenant id {tenant_id}")
    return customer


def _invoice(invoice_id: int):
    invoice = invoicing_selectors.invoices().filter(pk=invoice_id).first()
    if invoice is None:
        raise HttpError(409, f"no invoice {invoice_id}")
    return invoice


@router.get("/payments", response={200: CustomerPaymentPage, **ERRORS})
def list_payments(
    request: HttpRequest,
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=1_000_000),
    customer_tenant_id: UUID | None = None,
):
    """Newest first."""
    qs = _visible(request)
    if customer_tenant_id:
        qs = qs.filter(customer__tenant_id=customer_tenant_id)
    return {
        "count": qs.count(),
        "limit": limit,
        "offset": offset,
        "items": [
            {**selectors.payment_row(p), "customer_tenant_id": p.customer.tenant_id}
            for p in qs[offset : offset + limit]
        ],
    }


@router.post("/payments", response={201: CustomerPaymentOut, **WRITE_ERRORS})
def record_payment(request: HttpRequest, payload: CustomerPaymentIn):
    """Record money received; allocated to the open invoices oldest due first unless told
    otherwise; what is left is the customer's credit."""
    require_roles(request, MONEY_ROLES)
    customer = _customer(payload.customer_tenant_id)
    allocate = payload.allocate
    if isinstance(allocate, list):
        allocate = [(_invoice(item.invoice_id), item.amount) for item in allocate]
    try:
        payment = do_record_payment(
            customer=customer,
            amount=payload.amount.strip(),
            currency=payload.currency,
            received_on=payload.received_on,
            method=payload.method,
            reference=payload.reference,
            actor=actor(request),
            allocate=allocate,
        )
    except PaymentError as exc:
        raise HttpError(409, str(exc)) from None
    return Status(201, _out(payment))


@router.get("/payments/{payment_id}", response={200: CustomerPaymentOut, **ERRORS})
def get_payment(request: HttpRequest, payment_id: int):
    return _out(_payment(request, payment_id))


@router.post(
    "/payments/{payment_id}/allocations", response={200: CustomerPaymentOut, **WRITE_ERRORS}
)
def allocate_payment(request: HttpRequest, payment_id: int, payload: PaymentAllocationIn):
    """Allocate part of the payment to one invoice (409 beyond the payment or the invoice)."""
    require_roles(request, MONEY_ROLES)
    payment = _payment(request, payment_id)
    invoice = _invoice(payload.invoice_id)
    try:
        do_allocate_payment(
            payment=payment, invoice=invoice, amount=payload.amount.strip(), actor=actor(request)
        )
    except PaymentError as exc:
        raise HttpError(409, str(exc)) from None
    return _out(payment)


@router.post("/payments/{payment_id}/reverse", response={200: CustomerPaymentOut, **WRITE_ERRORS})
def reverse_payment(request: HttpRequest, payment_id: int, payload: PaymentReverseIn):
    """A bounced or recalled payment: what it paid is open again. 409 when already reversed."""
    require_roles(request, MONEY_ROLES)
    payment = _payment(request, payment_id)
    try:
        do_reverse_payment(payment=payment, reason=payload.reason, actor=actor(request))
    except (PaymentError, TransitionError) as exc:
        raise HttpError(409, str(exc)) from None
    return _out(payment)


def _balance(customer: Customer, currency: str) -> dict[str, Any]:
    open_minor = sum(minor for _, minor in balances.open_invoices(customer, currency))
    return {
        "customer_tenant_id": customer.tenant_id,
        "currency": currency,
        "balance": str(from_minor_units(balances.balance_minor(customer, currency), currency)),
        "open_invoices": str(from_minor_units(open_minor, currency)),
        "credit_available": str(
            from_minor_units(max(balances.credit_minor(customer, currency), 0), currency)
        ),
    }


@router.get("/customers/{tenant_id}/balance", response={200: CustomerBalanceOut, **ERRORS})
def customer_balance(
    request: HttpRequest, tenant_id: UUID, currency: str = Query("CNY", pattern=r"^[A-Z]{3}$")
):
    """What the customer owes, its open invoices and its credit (a portal token: its own)."""
    if is_portal(request):
        customer = request.auth.customer
        if customer.tenant_id != tenant_id:
            raise Http404("no such customer")
    else:
        require_roles(request, READ_ROLES)
        customer = Customer.objects.filter(tenant_id=tenant_id).first()
        if customer is None:
            raise Http404("no such customer")
    return _balance(customer, currency)


@router.post("/customers/{tenant_id}/refunds", response={201: CustomerBalanceOut, **WRITE_ERRORS})
def refund_credit(request: HttpRequest, tenant_id: UUID, payload: CreditRefundIn):
    """Pay back part of the customer's credit (409 beyond it)."""
    require_roles(request, MONEY_ROLES)
    customer = _customer(tenant_id)
    try:
        do_refund_credit(
            customer=customer,
            amount=payload.amount.strip(),
            currency=payload.currency,
            refunded_on=payload.refunded_on,
            method=payload.method,
            reference=payload.reference,
            reason=payload.reason,
            actor=actor(request),
        )
    except PaymentError as exc:
        raise HttpError(409, str(exc)) from None
    return Status(201, _balance(customer, payload.currency))


FROM_DAY = Query(None, alias="from", description="The first day (default: three months back).")


def _visible_customer(request: HttpRequest, tenant_id: UUID) -> Customer:
    if is_portal(request):
        if request.auth.customer.tenant_id != tenant_id:
            raise Http404("no such customer")
        return request.auth.customer
    require_roles(request, READ_ROLES)
    customer = Customer.objects.filter(tenant_id=tenant_id).first()
    if customer is None:
        raise Http404("no such customer")
    return customer


@router.get(
    "/customers/{tenant_id}/statement",
    response={200: CustomerStatementOut, **ERRORS},
    by_alias=True,
)
def customer_statement(
    request: HttpRequest,
    tenant_id: UUID,
    as_of: dt.date | None = None,
    start: dt.date | None = FROM_DAY,
):
    """Opening balance, every movement with the running balance, closing balance (a portal
    token: its own customer's)."""
    customer = _visible_customer(request, tenant_id)
    data = reports.statement(customer, as_of=as_of or timezone.localdate(), start=start)
    return reports.statement_json(data)


@router.get("/reports/aging", response={200: ReceivablesAgingOut, **ERRORS}, tags=["reports"])
def receivables_aging(
    request: HttpRequest,
    as_of: dt.date | None = None,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=10_000_000),
):
    """What customers owe by days past due (staff), most overdue first."""
    require_roles(request, READ_ROLES)
    day = as_of or timezone.localdate()
    rows = reports.aging(day)
    names = dict(zip(reports.BUCKETS, AGING_FIELDS, strict=True))
    return {
        "as_of": day,
        "totals": {
            currency: {key: str(value) for key, value in sums.items()}
            for currency, sums in reports.aging_totals(rows).items()
        },
        "count": len(rows),
        "limit": limit,
        "offset": offset,
        "items": [
            {
                "customer_tenant_id": row.tenant_id,
                "customer_name": row.name,
                "currency": row.currency,
                **{names[name]: str(row.buckets[name]) for name in reports.BUCKETS},
                "total": str(row.total),
            }
            for row in rows[offset : offset + limit]
        ],
    }


AGING_FIELDS = ("current", "days_1_30", "days_31_60", "days_61_90", "days_over_90")


@router.get("/reports/margin", response={200: list[MarginRowOut], **ERRORS}, tags=["reports"])
def margin_report(
    request: HttpRequest,
    period: str = Query(..., pattern=r"^[12]\d{3}-(0[1-9]|1[0-2])$"),
    by: Literal["customer", "offer"] = "customer",
):
    """What we invoiced for a month against what 21Vianet billed for the same lines (staff)."""
    require_roles(request, READ_ROLES)
    rows = reports.margin(dt.date.fromisoformat(f"{period}-01"), by=by)
    return [
        {
            **row,
            **{key: str(row[key]) for key in ("revenue", "cost", "margin")},
            "percent": None if row["percent"] is None else str(row["percent"]),
        }
        for row in rows
    ]


@router.get("/reports/cash-position", response={200: list[CashWeekOut], **ERRORS}, tags=["reports"])
def cash_position(request: HttpRequest, weeks: int = Query(8, ge=1, le=52)):
    """What customers owe us against what we owe 21Vianet, by due week (finance, admin)."""
    require_roles(request, MONEY_ROLES)
    return [
        {
            "currency": row["currency"],
            "due": row["slot"] if isinstance(row["slot"], str) else row["slot"].isoformat(),
            **{key: str(row[key]) for key in ("receivable", "payable", "gap", "running")},
        }
        for row in reports.cash_position(timezone.localdate(), weeks=weeks)
    ]


NO_FILE = File(None, description="The statement: a bank's CSV export or camt.053 XML.")
ACCOUNT_NAME = Form(..., max_length=100, pattern=REASON_LIKE, description="Our bank account.")


def _line_out(line: StatementLine) -> dict[str, Any]:
    return {
        "id": line.pk,
        "bank_account": line.bank_account.name,
        "booked_on": line.booked_on,
        "amount": str(line.amount),
        "currency": line.currency,
        "bank_reference": line.bank_reference,
        "payer_name": line.payer_name,
        "payer_account": line.payer_account,
        "remittance": line.remittance,
        "status": line.status,
        "match_rule": line.match_rule,
        "suggested_customer_tenant_id": line.suggested_customer.tenant_id
        if line.suggested_customer_id
        else None,
        "suggested_invoice_number": line.suggested_invoice.number
        if line.suggested_invoice_id
        else None,
        "payment_id": line.payment_id,
    }


@router.post(
    "/bank-statements",
    response={201: StatementImportOut, **WRITE_ERRORS},
    tags=["bank statements"],
)
def import_bank_statement(
    request: HttpRequest, file: UploadedFile | None = NO_FILE, account: str = ACCOUNT_NAME
):
    """Import a statement (CSV export or camt.053). 409 naming row and column when the file is
    refused (nothing imported); importing it again adds nothing."""
    require_roles(request, MONEY_ROLES)
    if file is None or not file.size:
        # Multipart drops an empty file part: say so plainly rather than "field required".
        raise HttpError(409, "no statement file, or an empty one (nothing imported)")
    bank_account = do_bank_account_named(name=account, currency="CNY", actor=actor(request))
    try:
        done = import_uploaded(file, bank_account, actor(request))
    except StatementError as exc:
        raise HttpError(409, f"{exc} (nothing imported)") from None
    return Status(
        201,
        {
            "id": done.pk,
            "bank_account": bank_account.name,
            "filename": done.filename,
            "file_format": done.file_format,
            "encoding": done.encoding,
            "summary": done.summary,
        },
    )


@router.get(
    "/bank-statements/lines",
    response={200: list[StatementLineOut], **ERRORS},
    tags=["bank statements"],
)
def list_statement_lines(
    request: HttpRequest,
    status: Literal["matched", "suggested", "unmatched", "assigned", "ignored"] | None = None,
    limit: int = Query(200, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=10_000_000),
):
    """Statement lines (status=unmatched or suggested: the review queue)."""
    require_roles(request, READ_ROLES)
    lines = StatementLine.objects.select_related(
        "bank_account", "suggested_customer", "suggested_invoice"
    ).order_by("booked_on", "id")
    if status:
        lines = lines.filter(status=status)
    return [_line_out(line) for line in lines[offset : offset + limit]]


@router.post(
    "/bank-statements/lines/{line_id}/assign",
    response={200: StatementLineOut, **WRITE_ERRORS},
    tags=["bank statements"],
)
def assign_statement_line(request: HttpRequest, line_id: int, payload: AssignLineIn):
    """Whose money a line is: its payment is recorded and its payer remembered. 409 when the
    line is already paid or the invoice is another customer's."""
    require_roles(request, MONEY_ROLES)
    line = StatementLine.objects.filter(pk=line_id).first()
    if line is None:
        raise Http404("no such statement line")
    customer = _customer(payload.customer_tenant_id)
    invoice = _invoice(payload.invoice_id) if payload.invoice_id else None
    try:
        line = do_assign_statement_line(
            line=line, customer=customer, invoice=invoice, actor=actor(request)
        )
    except PaymentError as exc:
        raise HttpError(409, str(exc)) from None
    return _line_out(StatementLine.objects.select_related("bank_account").get(pk=line.pk))
