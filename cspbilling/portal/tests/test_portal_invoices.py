"""Customers see their own issued invoices and download their PDFs; nothing else."""

from __future__ import annotations

import datetime as dt

import pytest

from cspbilling.invoicing.models import Invoice
from cspbilling.invoicing.services import do_create_price_rule, do_issue_invoices, do_run_billing
from cspbilling.invoicing.tests.upstream_lines import add_lines, upstream_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoices(customer_a, customer_b, cloud):
    upstream, batch = upstream_invoice(dt.date(2026, 10, 1))
    add_lines(
        upstream,
        batch,
        [
            {"tenant": c.tenant_id, "amount": "100", "subscription": f"s-{c.pk}"}
            for c in (customer_a, customer_b)
        ],
    )
    do_create_price_rule(
        actor="t",
        name="all",
        method="percent",
        percent="0",
        tax_category=cloud,
        effective_from=dt.date(2026, 1, 1),
    )
    do_run_billing(period=dt.date(2026, 10, 1), actor="t")
    a = Invoice.objects.get(customer=customer_a)
    b = Invoice.objects.get(customer=customer_b)
    do_issue_invoices(invoices=[a, b], actor="t", on=dt.date(2026, 11, 2))
    a.refresh_from_db()
    b.refresh_from_db()
    return a, b


def test_a_customer_sees_its_issued_invoices_in_its_language(client_for, portal_user_a, invoices):
    a, b = invoices
    page = client_for(portal_user_a).get("/portal/invoices/").content.decode()
    assert a.number in page and b.number not in page
    assert "您的账单" in page and "106.00 CNY" in page  # customer A reads Chinese


def test_the_pdf_is_its_own_and_another_customers_is_not_found(client_for, portal_user_a, invoices):
    a, b = invoices
    client = client_for(portal_user_a)
    pdf = client.get(f"/portal/invoices/{a.number}.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert client.get(f"/portal/invoices/{b.number}.pdf").status_code == 404


def test_drafts_stay_ours_until_issued(client_for, portal_user_a, customer_a, cloud):
    upstream, batch = upstream_invoice(dt.date(2026, 9, 1))
    add_lines(upstream, batch, [{"tenant": customer_a.tenant_id, "amount": "5"}])
    do_create_price_rule(
        actor="t",
        name="all",
        method="percent",
        percent="0",
        tax_category=cloud,
        effective_from=dt.date(2026, 1, 1),
    )
    do_run_billing(period=dt.date(2026, 9, 1), actor="t")
    page = client_for(portal_user_a).get("/portal/invoices/").content.decode()
    assert 'id="portal-invoices"' not in page


def test_staff_do_not_use_the_portal(client_for, staff_users, invoices):
    assert client_for(staff_users["finance"]).get("/portal/invoices/").status_code == 403


def test_a_customer_sees_its_credit_notes_and_fapiao_status_and_no_one_elses(
    client_for, portal_user_a, invoices
):
    from cspbilling.invoicing.services import (
        do_credit_invoice,
        do_record_fapiao_issued,
        do_request_fapiao,
    )

    a, b = invoices
    fapiao = do_request_fapiao(invoice=a, kind="general", actor="f")
    do_record_fapiao_issued(
        fapiao=fapiao, number="26332000000012345678", issued_on=dt.date(2026, 11, 3), actor="f"
    )
    mine = do_credit_invoice(
        invoice=a, reason="两个席位未使用", actor="f", amounts={a.lines.get().pk: "10"}
    )
    theirs = do_credit_invoice(invoice=b, reason="other", actor="f")
    client = client_for(portal_user_a)
    page = client.get("/portal/invoices/").content.decode()
    assert mine.number in page and "两个席位未使用" in page and "10.60 CNY" in page
    assert "已开具" in page and "26332000000012345678" in page  # fapiao issued
    assert theirs.number not in page
    pdf = client.get(f"/portal/credit-notes/{mine.number}.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert client.get(f"/portal/credit-notes/{theirs.number}.pdf").status_code == 404
