"""Credit notes and fapiaos in the console: every staff role reads, finance credits and records."""

from __future__ import annotations

import csv
import io

import pytest

from cspbilling.invoicing import selectors
from cspbilling.invoicing.models import CreditNote, Fapiao

pytestmark = pytest.mark.django_db
NUMBER = "26332000000012345678"


def test_finance_credits_part_of_a_line_from_the_invoice_page(
    client_for, staff_users, issued_invoice
):
    invoice = issued_invoice(("100", "50.05"))
    line = invoice.lines.get(subscription_id="sub-1")
    page = f"/console/invoices/{invoice.pk}/"
    finance = client_for(staff_users["finance"])
    assert 'id="credit-form"' in finance.get(page).content.decode()
    done = finance.post(
        f"{page}credit/", {f"line_{line.pk}": "10.05", "reason": "Three seats unused"}, follow=True
    )
    text = done.content.decode()
    note = CreditNote.objects.get()
    assert note.number in text and "Three seats unused" in text and "10.65" in text  # 10.05 + 0.60
    invoice_page = finance.get(page).content.decode()
    assert note.number in invoice_page and "40.00" in invoice_page  # left to credit on that line
    assert finance.get(f"/console/credit-notes/{note.pk}/pdf/")["Content-Type"] == "application/pdf"
    assert note.number in finance.get("/console/credit-notes/").content.decode()


def test_a_wrong_credit_shows_why_on_the_form_and_credits_nothing(
    client_for, staff_users, issued_invoice
):
    invoice = issued_invoice(("100",))
    line = invoice.lines.get()
    finance = client_for(staff_users["finance"])
    url = f"/console/invoices/{invoice.pk}/credit/"
    over = finance.post(url, {f"line_{line.pk}": "100.01", "reason": "x"})
    assert (
        over.status_code == 400 and "more than the 100.00 left to credit" in over.content.decode()
    )
    nothing = finance.post(url, {"reason": "x"})
    assert "Give an amount on at least one line" in nothing.content.decode()
    no_reason = finance.post(url, {"everything": "on"})
    assert no_reason.status_code == 400
    assert CreditNote.objects.count() == 0


def test_support_and_readers_see_credit_notes_but_cannot_credit(
    client_for, staff_users, issued_invoice
):
    invoice = issued_invoice(("100",))
    for role in ("support", "readonly"):
        client = client_for(staff_users[role])
        assert (
            'id="credit-form"'
            not in client.get(f"/console/invoices/{invoice.pk}/").content.decode()
        )
        refused = client.post(
            f"/console/invoices/{invoice.pk}/credit/", {"everything": "on", "reason": "x"}
        )
        assert refused.status_code == 403
    assert CreditNote.objects.count() == 0


def test_the_fapiao_list_exports_pending_requests_and_records_numbers(
    client_for, staff_users, issued_invoice
):
    invoice = issued_invoice(
        ("100",),
        company_name='=HYPERLINK("http://evil.example")',
        fapiao_kind="general",
        bank_name="中国银行",
        bank_account="123",
    )
    finance = client_for(staff_users["finance"])
    export = finance.get("/console/fapiao/?status=requested&format=csv")
    assert export["Content-Disposition"] == 'attachment; filename="fapiao-requested.csv"'
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert [(r["invoice_number"], r["total"], r["buyer_bank_name"]) for r in rows] == [
        (invoice.number, "106.00", "中国银行")
    ]
    assert rows[0]["buyer_name"].startswith("'=")  # never a formula in Excel
    fapiao = Fapiao.objects.get()
    listed = finance.post(
        f"/console/fapiao/{fapiao.pk}/issued/",
        {"number": NUMBER, "issued_on": "2026-11-05", "back": "list"},
        follow=True,
    )
    assert f"Fapiao {NUMBER} recorded." in listed.content.decode()
    assert selectors.fapiao_of(invoice).status == "issued"
    bad = finance.post(
        f"/console/fapiao/{fapiao.pk}/issued/",
        {"number": "12", "issued_on": "2026-11-05"},
        follow=True,
    )
    assert "Not recorded" in bad.content.decode()
    support = client_for(staff_users["support"])
    assert support.get("/console/fapiao/").status_code == 200
    assert support.post(f"/console/fapiao/{fapiao.pk}/issued/", {}).status_code == 403


def test_the_customer_page_lists_its_invoices_with_what_was_credited(
    client_for, staff_users, issued_invoice
):
    from cspbilling.invoicing.services import do_credit_invoice

    invoice = issued_invoice(("100",))
    do_credit_invoice(
        invoice=invoice, reason="goodwill", actor="f", amounts={invoice.lines.get().pk: "10"}
    )
    page = client_for(staff_users["readonly"]).get(
        f"/console/customers/{invoice.customer.tenant_id}/"
    )
    text = page.content.decode()
    assert invoice.number in text and "10.60" in text
