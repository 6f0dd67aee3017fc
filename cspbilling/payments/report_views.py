"""Receivables pages: the aging of what customers owe (chart, table, CSV) and a customer's
statement (page and PDF). Every staff role reads them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.paginator import Paginator
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from cspbilling.accounts.permissions import MONEY_ROLES, READ_ROLES, require_roles, user_has_role
from cspbilling.core.csv_export import csv_response
from cspbilling.customers.models import Customer
from cspbilling.invoicing.models import Invoice, InvoiceStatus
from cspbilling.payments import reports
from cspbilling.payments.forms import RefundForm
from cspbilling.payments.pdf.render import render_statement_pdf

CHART_HEIGHT = 160
BAR_WIDTH = 90


def _day(text: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(text) if text else default
    except ValueError:
        return default


def chart_bars(totals: dict[str, Decimal]) -> list[dict]:
    """The five buckets as bars of a server-drawn SVG chart (no script, no CDN)."""
    top = max((totals[name] for name in reports.BUCKETS), default=Decimal(0)) or Decimal(1)
    bars = []
    for n, name in enumerate(reports.BUCKETS):
        height = int(CHART_HEIGHT * totals[name] / top)
        bars.append(
            {
                "name": name,
                "label": reports.BUCKET_LABELS[name],
                "amount": totals[name],
                "x": 20 + n * (BAR_WIDTH + 30),
                "y": 20 + CHART_HEIGHT - height,
                "height": height,
                "width": BAR_WIDTH,
                "text_x": 20 + n * (BAR_WIDTH + 30) + BAR_WIDTH // 2,
                "overdue": name != "current",
            }
        )
    return bars


@require_roles(*READ_ROLES)
def aging(request: HttpRequest) -> HttpResponse:
    as_of = _day(request.GET.get("as_of"), timezone.localdate())
    rows = reports.aging(as_of)
    if request.GET.get("format") == "csv":
        return csv_response(
            f"aging-{as_of:%Y-%m-%d}.csv",
            ("customer_tenant_id", "customer_name", "currency", *reports.BUCKETS, "total"),
            [
                [row.tenant_id, row.name, row.currency]
                + [row.buckets[name] for name in reports.BUCKETS]
                + [row.total]
                for row in rows
            ],
        )
    totals = reports.aging_totals(rows)
    charts = [
        {"currency": currency, "sums": sums, "bars": chart_bars(sums)}
        for currency, sums in sorted(totals.items())
    ]
    return render(
        request,
        "payments/aging.html",
        {
            "as_of": as_of,
            "charts": charts,
            "buckets": [(name, reports.BUCKET_LABELS[name]) for name in reports.BUCKETS],
            "page": Paginator(rows, 100).get_page(request.GET.get("page")),
            "customers": len(rows),
            "chart_width": 20 + len(reports.BUCKETS) * (BAR_WIDTH + 30),
            "chart_height": CHART_HEIGHT + 60,
            "as_of_text": as_of.isoformat(),
        },
    )


def _statement_for(customer: Customer, request: HttpRequest) -> dict:
    today = timezone.localdate()
    as_of = _day(request.GET.get("as_of"), today)
    start = _day(request.GET.get("from"), None) if request.GET.get("from") else None
    return reports.statement(customer, as_of=as_of, start=start)


@require_roles(*READ_ROLES)
def statement(request: HttpRequest, tenant_id) -> HttpResponse:
    customer = Customer.objects.filter(tenant_id=tenant_id).first()
    if customer is None:
        raise Http404
    data = _statement_for(customer, request)
    if request.GET.get("format") == "pdf":
        return statement_pdf_response(data)
    refund_form = RefundForm(
        initial={"currency": data["currency"], "refunded_on": timezone.localdate()}
    )
    return render(
        request,
        "payments/statement.html",
        {
            "s": data,
            "customer": customer,
            "may_refund": user_has_role(request.user, MONEY_ROLES) and data["credit_available"] > 0,
            "refund_form": refund_form,
        },
    )


def statement_pdf_response(data: dict) -> HttpResponse:
    response = HttpResponse(render_statement_pdf(data), content_type="application/pdf")
    name = f"statement-{data['as_of']:%Y-%m-%d}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _month(text: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(f"{text}-01") if text else default
    except ValueError:
        return default


@require_roles(*READ_ROLES)
def margin(request: HttpRequest) -> HttpResponse:
    latest = Invoice.objects.filter(status=InvoiceStatus.ISSUED).aggregate(p=Max("period"))["p"]
    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    period = _month(request.GET.get("period"), latest or last_month)  # the latest month billed
    by = "offer" if request.GET.get("by") == "offer" else "customer"
    rows = reports.margin(period, by=by)
    if request.GET.get("format") == "csv":
        columns = ("key", "name", "currency", "invoices", "revenue", "cost", "margin", "percent")
        return csv_response(
            f"margin-{period:%Y-%m}-by-{by}.csv",
            columns,
            [[row[column] for column in columns] for row in rows],
        )
    totals: dict[str, dict] = {}
    for row in rows:
        sums = totals.setdefault(row["currency"], {"revenue": Decimal(0), "cost": Decimal(0)})
        sums["revenue"] += row["revenue"]
        sums["cost"] += row["cost"]
    for sums in totals.values():
        sums["margin"] = sums["revenue"] - sums["cost"]
    return render(
        request,
        "payments/margin.html",
        {"period": period, "by": by, "rows": rows, "totals": sorted(totals.items())},
    )


@require_roles(*MONEY_ROLES)  # as the payables page: what we owe is finance's
def cash(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    rows = reports.cash_position(today)
    return render(request, "payments/cash.html", {"today": today, "rows": rows})
