"""Staff console pages of payments. Every staff role reads; finance and administrators record,
allocate and reverse (a refusal shows why; nothing moves)."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from cspbilling.accounts.permissions import MONEY_ROLES, READ_ROLES, require_roles, user_has_role
from cspbilling.customers.models import Customer
from cspbilling.invoicing.models import Invoice
from cspbilling.payments import selectors
from cspbilling.payments.forms import AllocateForm, PaymentForm, RefundForm, ReverseForm
from cspbilling.payments.models import Payment, PaymentStatus
from cspbilling.payments.services import (
    PaymentError,
    do_allocate_payment,
    do_record_payment,
    do_refund_credit,
    do_reverse_payment,
)
from cspbilling.payments.transitions import TransitionError


def _tenant_id(text: str | None) -> str | None:
    try:
        return str(uuid.UUID(text)) if text else None
    except ValueError:
        return None


@require_roles(*READ_ROLES)
def payment_list(request: HttpRequest) -> HttpResponse:
    may_record = user_has_role(request.user, MONEY_ROLES)
    form = PaymentForm(request.POST or None, initial={"customer": request.GET.get("customer")})
    if request.method == "POST":
        if not may_record:
            return HttpResponse(status=403)
        if form.is_valid():
            data = form.cleaned_data
            customer = Customer.objects.filter(tenant_id=data["customer"]).first()
            if customer is None:
                form.add_error("customer", "No customer has this tenant id.")
            else:
                try:
                    payment = do_record_payment(
                        customer=customer,
                        amount=data["amount"],
                        currency=data["currency"].upper(),
                        received_on=data["received_on"],
                        method=data["method"],
                        reference=data["reference"],
                        allocate=data["allocate"],
                        actor=request.user.username,
                    )
                except PaymentError as refusal:
                    form.add_error(None, str(refusal))
                else:
                    messages.success(request, f"Payment #{payment.pk} recorded.")
                    return redirect("payments:payment_detail", pk=payment.pk)
    customer = _tenant_id(request.GET.get("customer"))
    status = request.GET.get("status")
    status = status if status in PaymentStatus.values else None
    qs = selectors.payments(customer_tenant_id=customer, status=status)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "payments/payment_list.html",
        {
            "page": page,
            "rows": [(p, selectors.payment_row(p)) for p in page],
            "form": form,
            "may_record": may_record,
            "status": status,
            "statuses": PaymentStatus.choices,
            "filters": urlencode({"customer": customer or "", "status": status or ""}),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_roles(*READ_ROLES)
def payment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    payment = get_object_or_404(selectors.payments(), pk=pk)
    return render(
        request,
        "payments/payment_detail.html",
        {
            "payment": payment,
            "row": selectors.payment_row(payment),
            "allocations": payment.allocations.select_related("invoice").order_by("id"),
            "may_act": user_has_role(request.user, MONEY_ROLES)
            and payment.status == PaymentStatus.POSTED,
            "allocate_form": AllocateForm(),
            "reverse_form": ReverseForm(),
        },
    )


@require_POST
@require_roles(*MONEY_ROLES)
def allocate(request: HttpRequest, pk: int) -> HttpResponse:
    payment = get_object_or_404(Payment, pk=pk)
    form = AllocateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give an invoice number and an amount.")
        return redirect("payments:payment_detail", pk=pk)
    invoice = Invoice.objects.filter(number=form.cleaned_data["invoice"].strip()).first()
    if invoice is None:
        messages.error(request, f"No invoice numbered {form.cleaned_data['invoice']!r}.")
        return redirect("payments:payment_detail", pk=pk)
    try:
        do_allocate_payment(
            payment=payment,
            invoice=invoice,
            amount=form.cleaned_data["amount"],
            actor=request.user.username,
        )
    except PaymentError as refusal:
        messages.error(request, f"Not allocated: {refusal}.")
    else:
        messages.success(request, f"Allocated to {invoice.number}.")
    return redirect("payments:payment_detail", pk=pk)


@require_POST
@require_roles(*MONEY_ROLES)
def reverse(request: HttpRequest, pk: int) -> HttpResponse:
    payment = get_object_or_404(Payment, pk=pk)
    form = ReverseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the payment is reversed.")
        return redirect("payments:payment_detail", pk=pk)
    try:
        do_reverse_payment(
            payment=payment, reason=form.cleaned_data["reason"], actor=request.user.username
        )
    except (PaymentError, TransitionError) as refusal:
        messages.error(request, f"Not reversed: {refusal}.")
    else:
        messages.success(request, "Payment reversed: the invoices it paid are open again.")
    return redirect("payments:payment_detail", pk=pk)


@require_POST
@require_roles(*MONEY_ROLES)
def refund(request: HttpRequest, tenant_id: uuid.UUID) -> HttpResponse:
    """Pay back part of a customer's credit (never more than it has)."""
    customer = get_object_or_404(Customer, tenant_id=tenant_id)
    form = RefundForm(request.POST)
    back = redirect("payments:statement", tenant_id=customer.tenant_id)
    if not form.is_valid():
        fields = ", ".join(form.errors)
        messages.error(request, f"Not refunded: check {fields}.")
        return back
    data = form.cleaned_data
    try:
        refund = do_refund_credit(
            customer=customer,
            amount=data["amount"],
            currency=data["currency"].upper(),
            refunded_on=data["refunded_on"],
            method=data["method"],
            reference=data["reference"],
            reason=data["reason"],
            actor=request.user.username,
        )
    except PaymentError as refusal:
        messages.error(request, f"Not refunded: {refusal}.")
    else:
        messages.success(
            request, f"Refund #{refund.pk} of {data['amount']} {refund.currency} recorded."
        )
    return back
