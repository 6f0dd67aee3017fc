"""Staff console pages of invoicing: price rules and customer groups. Thin: forms read, services
write, selectors read."""

from __future__ import annotations

import datetime as dt
import uuid
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from cspbilling.accounts.permissions import MONEY_ROLES, READ_ROLES, require_roles, user_has_role
from cspbilling.customers.models import Customer, CustomerGroup
from cspbilling.customers.services import do_assign_customer_group, do_create_customer_group
from cspbilling.invoicing import selectors
from cspbilling.invoicing.credit_forms import DiscardForm
from cspbilling.invoicing.credit_views import invoice_credit_context
from cspbilling.invoicing.forms import (
    AssignGroupForm,
    BillingRunForm,
    EndRuleForm,
    GroupForm,
    PriceRuleForm,
)
from cspbilling.invoicing.models import (
    BillingRun,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    PriceRule,
    PricingMethod,
)
from cspbilling.invoicing.pdf.render import render_invoice_pdf
from cspbilling.invoicing.price_rules import rule_specificity
from cspbilling.invoicing.services import (
    BillingRunBusy,
    IssueError,
    SupplementError,
    do_create_price_rule,
    do_discard_supplementary_invoice,
    do_end_price_rule,
    do_fail_abandoned_billing_runs,
    do_issue_invoices,
    do_request_billing_run,
)


def _in_effect_on(request: HttpRequest) -> dt.date | None:
    try:
        return dt.date.fromisoformat(request.GET.get("on", ""))
    except ValueError:
        return None


@require_roles(*READ_ROLES)
def price_rules(request: HttpRequest) -> HttpResponse:
    may_edit = user_has_role(request.user, MONEY_ROLES)
    initial = {"method": PricingMethod.PERCENT, "currency": "CNY"}
    if request.GET.get("customer"):
        initial["customer"] = request.GET["customer"]
    form = PriceRuleForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied
        if form.is_valid():
            try:
                rule = do_create_price_rule(actor=request.user.username, **form.rule_fields())
            except ValidationError as refusal:
                form.show_refusal(refusal)
            else:
                messages.success(request, f"Rule “{rule.name}” saved.")
                return redirect("invoicing:price_rules")
    on = _in_effect_on(request)
    rules = [(rule, rule_specificity(rule)) for rule in selectors.price_rules(in_effect_on=on)]
    groups = CustomerGroup.objects.annotate(members=Count("customers")).order_by("name")
    return render(
        request,
        "invoicing/price_rules.html",
        {
            "rules": rules,
            "on": on,
            "form": form,
            "may_edit": may_edit,
            "groups": groups,
            "group_form": GroupForm(prefix="group"),
            "end_form": EndRuleForm(),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@require_roles(*MONEY_ROLES)
def end_price_rule(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(PriceRule, pk=pk)
    form = EndRuleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the rule's last day as YYYY-MM-DD.")
        return redirect("invoicing:price_rules")
    try:
        do_end_price_rule(
            rule=rule, last_day=form.cleaned_data["last_day"], actor=request.user.username
        )
    except ValidationError as refusal:
        messages.error(request, " ".join(refusal.messages))
    else:
        messages.success(request, f"Rule “{rule.name}” ends on {form.cleaned_data['last_day']}.")
    return redirect("invoicing:price_rules")


@require_POST
@require_roles(*MONEY_ROLES)
def create_group(request: HttpRequest) -> HttpResponse:
    form = GroupForm(request.POST, prefix="group")
    if form.is_valid():
        try:
            do_create_customer_group(actor=request.user.username, **form.cleaned_data)
        except ValidationError as refusal:
            messages.error(request, " ".join(refusal.messages))
        else:
            messages.success(request, f"Group “{form.cleaned_data['name']}” created.")
    else:
        messages.error(request, "A group needs a name of at most 100 characters.")
    return redirect("invoicing:price_rules")


@require_POST
@require_roles(*MONEY_ROLES)
def assign_group(request: HttpRequest, tenant_id: str) -> HttpResponse:
    customer = get_object_or_404(Customer, tenant_id=tenant_id)
    form = AssignGroupForm(request.POST)
    if form.is_valid():
        group = form.cleaned_data["group"]
        do_assign_customer_group(customer=customer, group=group, actor=request.user.username)
        messages.success(request, f"Group: {group.name if group else 'none'}.")
    else:
        messages.error(request, "Choose one of the groups.")
    return redirect("web:customer_detail", tenant_id=customer.tenant_id)


def _month(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(f"{text}-01") if text else None
    except ValueError:
        return None


@require_roles(*READ_ROLES)
def invoice_list(request: HttpRequest) -> HttpResponse:
    period = _month(request.GET.get("period"))
    status = (
        request.GET.get("status") if request.GET.get("status") in InvoiceStatus.values else None
    )
    customer = request.GET.get("customer") or None
    try:
        customer = str(uuid.UUID(customer)) if customer else None
    except ValueError:
        customer = None
    invoices = selectors.invoices(period=period, status=status, customer_tenant_id=customer)
    page = Paginator(invoices, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "invoicing/invoice_list.html",
        {
            "page": page,
            "period": period,
            "status": status,
            "customer": customer,
            "filters": urlencode(
                {
                    "period": f"{period:%Y-%m}" if period else "",
                    "status": status or "",
                    "customer": customer or "",
                }
            ),
            "statuses": InvoiceStatus.choices,
            "may_bill": user_has_role(request.user, MONEY_ROLES),
            "runs": selectors.latest_runs(),
            "run_form": BillingRunForm(initial={"period": f"{timezone.localdate():%Y-%m}"}),
        },
    )


@require_POST
@require_roles(*MONEY_ROLES)
def run_billing(request: HttpRequest) -> HttpResponse:
    """Queue a billing run for the worker and follow it on its page."""
    form = BillingRunForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the month to bill as YYYY-MM.")
        return redirect("invoicing:invoice_list")
    try:
        run = do_request_billing_run(
            period=form.cleaned_data["period"],
            dry_run=form.cleaned_data["dry_run"],
            actor=request.user.username,
        )
    except BillingRunBusy as busy:
        messages.error(request, f"Not started: {busy}.")
        return redirect("invoicing:invoice_list")
    return redirect("invoicing:billing_run", pk=run.pk)


@require_roles(*READ_ROLES)
def billing_run(request: HttpRequest, pk: int) -> HttpResponse:
    """A run's status and progress while it works (htmx polls the status part), then what it
    did."""
    do_fail_abandoned_billing_runs()
    run = get_object_or_404(BillingRun.objects.select_related("customer"), pk=pk)
    template = (
        "invoicing/_billing_run_status.html"
        if request.headers.get("HX-Request")
        else "invoicing/billing_run.html"
    )
    context = {
        "run": run,
        "progress": selectors.billing_run_progress(run),
        "unbilled": selectors.unbilled_reasons(run),
        "settled": selectors.settled_lines(run),
        "held": selectors.held_lines(run),
    }
    return render(request, template, context)


@require_POST
@require_roles(*MONEY_ROLES)
def issue_drafts(request: HttpRequest) -> HttpResponse:
    ids = [int(pk) for pk in request.POST.getlist("invoice") if pk.isdigit()]
    drafts = list(selectors.invoices(status=InvoiceStatus.DRAFT).filter(pk__in=ids))
    if not drafts:
        messages.error(request, "No draft chosen.")
        return redirect("invoicing:invoice_list")
    try:
        issued = do_issue_invoices(invoices=drafts, actor=request.user.username)
    except IssueError as refusal:
        messages.error(request, f"Nothing issued: {refusal}.")
        return redirect("invoicing:invoice_list")
    numbers = ", ".join(invoice.number for invoice in issued[:5])
    more = f" and {len(issued) - 5} more" if len(issued) > 5 else ""
    messages.success(request, f"Issued {numbers}{more}.")
    if len(issued) == 1:
        return redirect("invoicing:invoice_detail", pk=issued[0].pk)
    return redirect("invoicing:invoice_list")


@require_POST
@require_roles(*MONEY_ROLES)
def discard_supplementary_invoice(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_object_or_404(selectors.invoices(), pk=pk)
    form = DiscardForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the customer is not billed the supplementary invoice.")
        return redirect("invoicing:invoice_detail", pk=invoice.pk)
    try:
        do_discard_supplementary_invoice(
            invoice=invoice, reason=form.cleaned_data["reason"], actor=request.user.username
        )
    except SupplementError as refusal:
        messages.error(request, f"Not discarded: {refusal}.")
    else:
        messages.success(request, "Supplementary invoice discarded: the customer is not billed it.")
    return redirect("invoicing:invoice_detail", pk=invoice.pk)


@require_roles(*READ_ROLES)
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render_invoice_detail(request, get_object_or_404(selectors.invoices(), pk=pk))


def render_invoice_detail(
    request: HttpRequest, invoice: Invoice, *, credit_form=None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "invoicing/invoice_detail.html",
        {
            "invoice": invoice,
            "lines": selectors.invoice_lines(invoice),
            "margin": selectors.margin(invoice),
            "may_issue": user_has_role(request.user, MONEY_ROLES)
            and invoice.status == InvoiceStatus.DRAFT,
            **invoice_credit_context(request, invoice, credit_form),
        },
        status=status,
    )


@require_roles(*READ_ROLES)
def line_trace(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    invoice = get_object_or_404(selectors.invoices(), pk=pk)
    line = get_object_or_404(InvoiceLine, pk=line_pk, invoice=invoice)
    rows = Paginator(selectors.billed_upstream_lines(line), 100).get_page(request.GET.get("page"))
    return render(
        request, "invoicing/line_trace.html", {"invoice": invoice, "line": line, "rows": rows}
    )


@require_roles(*READ_ROLES)
def invoice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_object_or_404(selectors.invoices(), pk=pk)
    name = invoice.number or f"draft-{invoice.pk}"
    response = HttpResponse(render_invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    return response
