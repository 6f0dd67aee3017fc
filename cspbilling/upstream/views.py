"""Staff console pages for upstream: invoices, imports, payables, discrepancies. Thin."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cspbilling.accounts.permissions import MONEY_ROLES, READ_ROLES, require_roles
from cspbilling.core.csv_export import csv_response
from cspbilling.core.upload_handlers import upload_refusal
from cspbilling.customers.models import Customer
from cspbilling.upstream import discrepancies, selectors
from cspbilling.upstream.forms import PaymentForm, UploadForm
from cspbilling.upstream.models import (
    ImportBatch,
    LineKind,
    UpstreamInvoice,
)
from cspbilling.upstream.services import (
    PaymentError,
    do_accept_upload,
    do_fail_abandoned_uploads,
    do_record_upstream_payment,
)
from cspbilling.upstream.services.matching import (
    do_map_customer_number,
    do_unmap_customer_number,
)


@require_roles(*READ_ROLES)
def invoice_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.invoice_list(), 50).get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = [{"inv": inv, **selectors.invoice_facts(inv, today=today).as_dict()} for inv in page]
    return render(
        request,
        "upstream/invoice_list.html",
        {"page": page, "rows": rows, "batches": selectors.recent_batches(10)},
    )


@require_roles(*READ_ROLES)
def invoice_detail(request: HttpRequest, invoice_id: str) -> HttpResponse:
    invoice = get_object_or_404(UpstreamInvoice, invoice_id=invoice_id)
    lines = Paginator(selectors.invoice_lines(invoice), 100).get_page(request.GET.get("page"))
    facts = selectors.invoice_facts(invoice, today=timezone.localdate())
    return render(
        request,
        "upstream/invoice_detail.html",
        {
            "invoice": invoice,
            "lines": lines,
            "payments": invoice.payments.all(),
            **facts.as_dict(),
            "unknown": selectors.unknown_references(invoice_id=invoice.invoice_id),
            "form": PaymentForm(initial={"paid_on": timezone.localdate()}),
        },
    )


@require_roles(*MONEY_ROLES)
def record_payment(request: HttpRequest, invoice_id: str) -> HttpResponse:
    invoice = get_object_or_404(UpstreamInvoice, invoice_id=invoice_id)
    form = PaymentForm(request.POST)
    if request.method == "POST" and form.is_valid():
        try:
            do_record_upstream_payment(
                invoice=invoice,
                amount=form.cleaned_data["amount"],
                paid_on=form.cleaned_data["paid_on"],
                reference=form.cleaned_data["reference"],
                actor=request.user,
                confirm_overpayment=form.cleaned_data["confirm_overpayment"],
            )
            messages.success(request, "Payment recorded.")
        except PaymentError as exc:
            messages.error(request, str(exc))
    else:
        messages.error(
            request,
            "Check the payment: "
            + "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()),
        )
    return redirect("upstream:invoice_detail", invoice_id=invoice.invoice_id)


@require_roles(*MONEY_ROLES)
def upload(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    refusal = upload_refusal(request) if request.method == "POST" else None
    if refusal:
        form.refuse_file(str(refusal))
    elif request.method == "POST" and form.is_valid():
        batch = do_accept_upload(
            upload=form.cleaned_data["file"],
            invoice_id=form.cleaned_data["invoice_id"],
            invoice_total=form.cleaned_data["invoice_total"],
            invoice_date=form.cleaned_data["invoice_date"],
            actor=request.user.username,
        )
        return redirect("upstream:batch", pk=batch.pk)
    return render(
        request,
        "upstream/upload.html",
        {
            "form": form,
            "payment_terms_days": settings.UPSTREAM_PAYMENT_TERMS_DAYS,
            "upload_max_mb": settings.UPLOAD_MAX_MB,
        },
        status=413 if refusal else 200,
    )


def _batch_context(batch: ImportBatch) -> dict:
    progress = selectors.import_progress(batch)
    kinds = dict(LineKind.choices)
    items = [
        {**item, "kind_label": kinds.get(item.get("kind"), item.get("kind"))}
        for item in (batch.summary or {}).get("invoices", [])
    ]
    return {
        "batch": batch,
        "items": items,
        "percent": progress["percent"],
        "running": progress["running"],
        "run_error": progress["error"],
        "file_deleted_at": progress["file_deleted_at"],
        "file_kept_days": progress["file_kept_days"],
    }


@require_roles(*READ_ROLES)
def batch(request: HttpRequest, pk: int) -> HttpResponse:
    do_fail_abandoned_uploads()
    item = get_object_or_404(ImportBatch, pk=pk)
    template = (
        "upstream/_batch_status.html"
        if request.headers.get("HX-Request")
        else ("upstream/batch.html")
    )
    return render(request, template, _batch_context(item))


AGING_LABELS = {
    "current": "Not yet due",
    "1-30": "1–30 days overdue",
    "31-60": "31–60 days overdue",
    "61-90": "61–90 days overdue",
    "90+": "Over 90 days overdue",
}


@require_roles(*MONEY_ROLES)
def payables(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    try:
        days = max(1, min(365, int(request.GET.get("days", 14))))
    except ValueError:
        days = 14
    aging = selectors.aging(today=today)
    aging_cards = [
        {
            "currency": currency,
            "total": sum(per.values(), Decimal("0.00")),
            "buckets": [
                {"key": key, "label": AGING_LABELS.get(key, key), "amount": amount}
                for key, amount in per.items()
            ],
        }
        for currency, per in aging.items()
    ]
    return render(
        request,
        "upstream/payables.html",
        {
            "today": today,
            "days": days,
            "rows": selectors.payables(today=today),
            "aging": aging,
            "aging_cards": aging_cards,
            "buckets": selectors.AGING_BUCKETS,
            "due_soon": selectors.due_within(today=today, days=days),
        },
    )


REPORT_ROWS = 200  # per section on the page; the CSV export has every row


@require_roles(*READ_ROLES)
def discrepancy_report(request: HttpRequest) -> HttpResponse:
    periods = discrepancies.periods()
    chosen = request.GET.get("period")
    try:
        period = dt.date.fromisoformat(chosen) if chosen else (periods[0] if periods else None)
    except ValueError:
        raise Http404("no such period") from None
    if period is None:
        return render(request, "upstream/discrepancies.html", {"periods": [], "report": None})
    if request.GET.get("format") == "csv":
        return _report_csv(discrepancies.report(period=period, limit=None))
    report = discrepancies.report(period=period, limit=REPORT_ROWS)
    for row in report["unbilled"]:
        row["tenant_display"] = _tenant_display(row["customer_tenant_id"])
    return render(
        request,
        "upstream/discrepancies.html",
        {"periods": periods, "report": report, "row_limit": REPORT_ROWS},
    )


def _tenant_display(value) -> str:
    """A tenant id as people read it (with hyphens), however the database returned it."""
    if not value:
        return ""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return str(value)


def _report_csv(report: dict) -> HttpResponse:
    rows: list[list] = []
    header = (
        "check",
        "customer_tenant_id",
        "customer_name",
        "subscription_id",
        "offer",
        "before",
        "after",
        "amount",
        "currency",
        "reason",
    )
    for row in report["unbilled"]:
        rows.append(
            [
                "upstream charge not billed",
                row["customer_tenant_id"],
                row["customer_name"],
                row["subscription_id"],
                "",
                "",
                "",
                row["amount"],
                row["currency"],
                row["reason"],
            ]
        )
    for row in report["without_upstream"]:
        rows.append(
            [
                "customer charge without upstream line",
                "",
                row["customer_name"],
                row["subscription_id"],
                row["offer"],
                "",
                "",
                row["amount"],
                row["currency"],
                f"{row['invoice']}: {row['reason']}",
            ]
        )
    for row in report["price_changes"]:
        rows.append(
            [
                "unit price changed",
                "",
                row["customer_name"],
                row["subscription_id"],
                row["durable_offer_id"],
                row["previous_price"],
                row["price"],
                "",
                "",
                "against the previous period",
            ]
        )
    for row in report["quantity_differences"]:
        rows.append(
            [
                "quantity differs from subscription",
                "",
                row["customer_name"],
                row["subscription_id"],
                "",
                row["mirror_quantity"],
                row["billed_quantity"],
                "",
                "",
                "billed vs Partner Center mirror",
            ]
        )
    filename = f"discrepancies-{report['period']:%Y-%m}.csv"
    return csv_response(filename, header, rows)


@require_POST
@require_roles(*MONEY_ROLES)
def customer_numbers(request: HttpRequest, tenant_id) -> HttpResponse:
    """Map (or, with `remove`, unmap) a 21Vianet 2016 customer number to this customer."""
    customer = get_object_or_404(Customer, tenant_id=tenant_id)
    number = request.POST.get("customer_number", "")
    if request.POST.get("remove"):
        do_unmap_customer_number(
            customer=customer, customer_number=number, actor=request.user.username
        )
        messages.success(request, _("Customer number %(number)s removed.") % {"number": number})
    else:
        try:
            do_map_customer_number(
                customer=customer, customer_number=number, actor=request.user.username
            )
        except ValidationError as refusal:
            messages.error(request, " ".join(refusal.messages))
        else:
            messages.success(
                request,
                _("Customer number %(number)s is this customer: its lines are attributed to it.")
                % {"number": number.strip()},
            )
    return redirect(reverse("web:customer_detail", args=[customer.tenant_id]) + "#customer-numbers")
