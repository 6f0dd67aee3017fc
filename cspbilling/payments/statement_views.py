"""Bank statements in the console: import one (finance, admin), and the review queue where a
person says whose money each unmatched line is (which teaches the payer for next time)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from cspbilling.accounts.permissions import MONEY_ROLES, READ_ROLES, require_roles, user_has_role
from cspbilling.core.upload_handlers import upload_refusal
from cspbilling.customers.models import Customer
from cspbilling.invoicing.models import Invoice
from cspbilling.payments.models import (
    BankAccount,
    StatementImport,
    StatementLine,
    StatementLineStatus,
)
from cspbilling.payments.services import (
    PaymentError,
    do_assign_statement_line,
    do_bank_account_named,
)
from cspbilling.payments.statements.lines import StatementError
from cspbilling.payments.statements.uploads import import_uploaded

REVIEW = (StatementLineStatus.SUGGESTED, StatementLineStatus.UNMATCHED)


class StatementForm(forms.Form):
    account = forms.CharField(max_length=100, label="Bank account (name)")
    file = forms.FileField(label="Statement (CSV export or camt.053 XML)")


class AssignForm(forms.Form):
    customer = forms.UUIDField(label="Customer (tenant id)")
    invoice = forms.CharField(max_length=32, required=False, label="Invoice number (optional)")


@require_roles(*READ_ROLES)
def statements(request: HttpRequest) -> HttpResponse:
    may_act = user_has_role(request.user, MONEY_ROLES)
    form = StatementForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not may_act:
            return HttpResponse(status=403)
        refusal = upload_refusal(request)
        if refusal is not None:
            form.add_error("file", str(refusal))
        elif form.is_valid():
            account = do_bank_account_named(
                name=form.cleaned_data["account"], currency="CNY", actor=request.user.username
            )
            try:
                done = import_uploaded(form.cleaned_data["file"], account, request.user.username)
            except StatementError as exc:
                form.add_error("file", f"{exc} — nothing was imported.")
            else:
                s = done.summary
                messages.success(
                    request,
                    f"{done.filename}: {s['lines']} lines, {s['matched']} matched and paid, "
                    f"{s['suggested']} suggested, {s['unmatched']} to review, "
                    f"{s['already_imported']} already imported.",
                )
                return redirect("payments:statements")
    queue = (
        StatementLine.objects.filter(status__in=REVIEW)
        .select_related("bank_account", "suggested_customer", "suggested_invoice")
        .order_by("booked_on", "id")[:200]
    )
    return render(
        request,
        "payments/statements.html",
        {
            "form": form,
            "may_act": may_act,
            "queue": queue,
            "imports": StatementImport.objects.select_related("bank_account")[:10],
            "accounts": BankAccount.objects.all(),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@require_roles(*MONEY_ROLES)
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    line = get_object_or_404(StatementLine, pk=pk)
    form = AssignForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the customer's tenant id.")
        return redirect("payments:statements")
    customer = Customer.objects.filter(tenant_id=form.cleaned_data["customer"]).first()
    invoice = None
    if form.cleaned_data["invoice"]:
        invoice = Invoice.objects.filter(number=form.cleaned_data["invoice"].strip()).first()
    if customer is None or (form.cleaned_data["invoice"] and invoice is None):
        messages.error(request, "No such customer or invoice.")
        return redirect("payments:statements")
    try:
        do_assign_statement_line(
            line=line, customer=customer, invoice=invoice, actor=request.user.username
        )
    except PaymentError as exc:
        messages.error(request, f"Not assigned: {exc}.")
    else:
        messages.success(
            request,
            f"{line.amount} from {line.payer_name or 'the payer'} paid for "
            f"{customer.display_name}; their payer details are remembered.",
        )
    return redirect("payments:statements")
