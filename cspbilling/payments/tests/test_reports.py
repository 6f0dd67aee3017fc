"""Receivables aging (buckets at their edges) and statements (opening, movements, closing),
in the console, the portal, the command line and the API."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from cspbilling.api.tests.helpers import assert_problem, get
from cspbilling.payments import reports
from cspbilling.payments.services import do_record_payment

pytestmark = pytest.mark.django_db
ISSUED = dt.date(2026, 11, 3)  # the fixture's issue day; due 30 days later
DUE = ISSUED + dt.timedelta(days=30)


def _bucket_of(as_of: dt.date) -> str:
    [row] = reports.aging(as_of)
    return next(name for name, amount in row.buckets.items() if amount)


def test_aging_buckets_at_their_edges(issued_invoice):
    issued_invoice(("100",))
    assert _bucket_of(DUE) == "current"
    assert _bucket_of(DUE + dt.timedelta(days=1)) == "1-30"
    assert _bucket_of(DUE + dt.timedelta(days=30)) == "1-30"
    assert _bucket_of(DUE + dt.timedelta(days=31)) == "31-60"
    assert _bucket_of(DUE + dt.timedelta(days=60)) == "31-60"
    assert _bucket_of(DUE + dt.timedelta(days=61)) == "61-90"
    assert _bucket_of(DUE + dt.timedelta(days=90)) == "61-90"
    assert _bucket_of(DUE + dt.timedelta(days=91)) == "90+"
    assert reports.aging(ISSUED - dt.timedelta(days=1)) == []  # not issued yet that day


def test_a_payment_moves_the_aging_and_the_page_draws_it(issued_invoice, client_for, staff_users):
    first = issued_invoice(("100",))
    issued_invoice(("50",))
    later = DUE + dt.timedelta(days=45)
    before = reports.aging_totals(reports.aging(later))["CNY"]
    assert before["31-60"] == Decimal("159.00")
    do_record_payment(
        customer=first.customer,
        amount="100",
        currency="CNY",
        received_on=ISSUED,
        method="alipay",
        reference="",
        actor="f",
    )
    after = reports.aging_totals(reports.aging(later))["CNY"]
    assert after["31-60"] == Decimal("59.00")
    page = client_for(staff_users["readonly"]).get(f"/console/payments/aging/?as_of={later}")
    text = page.content.decode()
    assert 'data-bucket="31-60"' in text and "59.00" in text and "<svg" in text
    csv = client_for(staff_users["readonly"]).get(
        f"/console/payments/aging/?as_of={later}&format=csv"
    )
    assert "6.00" in csv.content.decode("utf-8-sig") and "53.00" in csv.content.decode("utf-8-sig")


def test_the_statement_runs_from_opening_to_closing_everywhere(
    issued_invoice,
    customer_a,
    customer_b,
    client_for,
    staff_users,
    portal_user_a,
    tokens,
    capsys,
    tmp_path,
):
    invoice = issued_invoice(("100",), customer=customer_a)
    issued_invoice(("999",), customer=customer_b)
    do_record_payment(
        customer=customer_a,
        amount="40",
        currency="CNY",
        received_on=dt.date(2026, 11, 20),
        method="bank_transfer",
        reference="ICBC 1",
        actor="f",
    )
    data = reports.statement(customer_a, as_of=dt.date(2026, 11, 30), start=dt.date(2026, 11, 1))
    assert (data["opening_balance"], data["invoiced"], data["paid"], data["closing_balance"]) == (
        Decimal("0.00"),
        Decimal("106.00"),
        Decimal("40.00"),
        Decimal("66.00"),
    )
    later = reports.statement(customer_a, as_of=dt.date(2026, 11, 30), start=dt.date(2026, 11, 10))
    assert later["opening_balance"] == Decimal("106.00") and later["closing_balance"] == Decimal(
        "66.00"
    )

    call_command(
        "statement",
        str(customer_a.tenant_id),
        "--as-of",
        "2026-11-30",
        "--from",
        "2026-11-01",
        "--json",
        "--pdf",
        str(tmp_path / "s.pdf"),
    )
    out = json.loads(capsys.readouterr().out)
    assert (
        out
        | {
            "opening_balance": "0.00",
            "invoiced": "106.00",
            "credited": "0.00",
            "paid": "40.00",
            "credit_available": "0.00",
            "closing_balance": "66.00",
        }
        == out
    )
    assert (tmp_path / "s.pdf").read_bytes().startswith(b"%PDF")

    api = get(
        f"/customers/{customer_a.tenant_id}/statement",
        tokens["portal"],
        **{"as_of": "2026-11-30", "from": "2026-11-01"},
    )
    assert (
        api.status_code == 200
        and api.json()["closing_balance"] == "66.00"
        and api.json()["from"] == "2026-11-01"
    )
    assert_problem(get(f"/customers/{customer_b.tenant_id}/statement", tokens["portal"]), 404)
    staff = client_for(staff_users["support"]).get(
        f"/console/payments/statements/{customer_a.tenant_id}/?from=2026-11-01&as_of=2026-11-30"
    )
    assert invoice.number in staff.content.decode() and "66.00" in staff.content.decode()
    portal = client_for(portal_user_a).get("/portal/statement/").content.decode()
    assert "对账单" in portal and invoice.number in portal
    pdf = client_for(portal_user_a).get("/portal/statement/?format=pdf")
    assert pdf["Content-Type"] == "application/pdf"
    aging = get("/reports/aging", tokens["readonly"], as_of="2027-01-31").json()
    assert aging["totals"]["CNY"]["total"] == "1124.94" and aging["count"] == 2
    assert_problem(get("/reports/aging", tokens["portal"]), 403)


def test_the_statement_pdf_is_in_the_customers_language(issued_invoice, artifacts_dir):
    import io

    from pypdf import PdfReader

    from cspbilling.payments.pdf.render import render_statement_pdf, render_statement_png

    invoice = issued_invoice(("100",), company_name="北京示例科技有限公司", language="zh-hans")
    data = reports.statement(invoice.customer, as_of=dt.date(2026, 11, 30))
    text = PdfReader(io.BytesIO(render_statement_pdf(data))).pages[0].extract_text()
    for expected in ("对账单", "北京示例科技有限公司", invoice.number, "期末余额", "106.00"):
        assert expected in text
    (artifacts_dir / "statement-zh.png").write_bytes(render_statement_png(data))


def test_margin_by_customer_and_offer_counts_credit_notes(
    issued_invoice, client_for, staff_users, tokens
):
    from cspbilling.invoicing.services import do_credit_invoice

    invoice = issued_invoice(("100", "50"))  # at cost: margin 0
    do_credit_invoice(
        invoice=invoice, reason="goodwill", actor="f", amounts={invoice.lines.first().pk: "10"}
    )
    [row] = reports.margin(dt.date(2026, 10, 1), by="customer")
    assert (row["revenue"], row["cost"], row["margin"], row["percent"]) == (
        Decimal("140.00"),
        Decimal("150.00"),
        Decimal("-10.00"),
        Decimal("-6.7"),
    )
    [offer] = reports.margin(dt.date(2026, 10, 1), by="offer")
    assert offer["key"] == "MS-AZR-0001" and offer["revenue"] == Decimal("140.00")
    page = client_for(staff_users["readonly"]).get(
        "/console/payments/margin/?period=2026-10&by=offer"
    )
    assert "-10.00" in page.content.decode() and "MS-AZR-0001" in page.content.decode()


def test_the_cash_position_sets_what_customers_owe_against_what_we_owe(
    issued_invoice, client_for, staff_users, tokens
):
    from cspbilling.upstream.models import UpstreamInvoice

    issued_invoice(("100",))  # due 2026-12-03: 106.00 owed to us
    UpstreamInvoice.objects.create(
        invoice_id="D0CASH0001",
        currency="CNY",
        total_charges=Decimal("500"),
        due_date=dt.date(2026, 11, 26),
        billing_period_start=dt.date(2026, 10, 1),
    )
    rows = reports.cash_position(dt.date(2026, 11, 24), weeks=2)
    first_week, second_week = rows[1], rows[2]
    assert (first_week["payable"], first_week["running"]) == (Decimal("500.00"), Decimal("-500.00"))
    assert (second_week["receivable"], second_week["running"]) == (
        Decimal("106.00"),
        Decimal("-394.00"),
    )
    page = client_for(staff_users["finance"]).get("/console/payments/cash/")
    assert page.status_code == 200 and "We owe 21Vianet" in page.content.decode()
    assert client_for(staff_users["readonly"]).get("/console/payments/cash/").status_code == 403
    assert_problem(get("/reports/cash-position", tokens["readonly"]), 403)
    weeks = get("/reports/cash-position", tokens["finance"], weeks=2).json()
    assert weeks[0]["due"] == "overdue" and weeks[-1]["due"] == "later"
