"""The invoice PDF: in the customer's language, Chinese names in real glyphs, the numbers right."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from cspbilling.invoicing.models import Invoice
from cspbilling.invoicing.pdf.render import render_invoice_pdf, render_invoice_png
from cspbilling.invoicing.services import do_create_price_rule, do_issue_invoices, do_run_billing
from cspbilling.invoicing.tests.upstream_lines import add_lines, upstream_invoice

pytestmark = pytest.mark.django_db


def _issued(customer, cloud) -> Invoice:
    invoice, batch = upstream_invoice(dt.date(2026, 10, 1))
    add_lines(
        invoice,
        batch,
        [
            {
                "tenant": customer.tenant_id,
                "subscription": "sub-e3",
                "amount": "1234.5",
                "quantity": 10,
                "offer_name": "Microsoft 365 商业标准版",
            },
            {
                "tenant": customer.tenant_id,
                "subscription": "sub-visio",
                "amount": "99.99",
                "quantity": 1,
                "offer_name": "Visio Plan 2",
            },
        ],
    )
    do_create_price_rule(
        actor="t",
        name="all",
        method="percent",
        percent="10",
        tax_category=cloud,
        effective_from=dt.date(2026, 1, 1),
    )
    do_run_billing(period=dt.date(2026, 10, 1), actor="t")
    (issued,) = do_issue_invoices(
        invoices=list(Invoice.objects.all()), actor="t", on=dt.date(2026, 11, 2)
    )
    return issued


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_a_chinese_customers_invoice_is_in_chinese_with_its_name_in_real_glyphs(
    customer_a, cloud, artifacts_dir
):
    invoice = _issued(customer_a, cloud)
    pdf = render_invoice_pdf(invoice)
    (artifacts_dir / "invoice-zh.pdf").write_bytes(pdf)
    (artifacts_dir / "invoice-zh.png").write_bytes(render_invoice_png(invoice))
    text = _text(pdf)
    assert "上海康托索科技有限公司" in text  # extracted as text: the glyphs are real CJK
    assert "Microsoft 365 商业标准版" in text
    assert "账单" in text and "应付金额" in text
    assert invoice.number in text and "2026-12-02" in text  # due after 30 days
    # 1234.50 + 10% = 1357.95; 99.99 + 10% = 109.989 → 109.99; VAT 81.48 + 6.60
    assert "1,357.95" in text and "109.99" in text and "1,556.02" in text


@pytest.mark.parametrize(
    "language, words",
    [("en", ["Invoice", "Amount due", "How to pay"]), ("fr", ["Facture", "Montant dû"])],
)
def test_the_invoice_speaks_the_customers_language(make_customer, cloud, language, words):
    customer = make_customer("Fabrikam", language=language, legal_name="Fabrikam SARL")
    text = _text(render_invoice_pdf(_issued(customer, cloud)))
    assert all(word in text for word in words), text[:500]
    assert "Fabrikam SARL" in text


def test_staff_download_the_pdf_and_scripts_write_it(
    customer_a, cloud, client_for, staff_users, portal_user_a, tmp_path, capsys
):
    from django.core.management import CommandError, call_command

    invoice = _issued(customer_a, cloud)
    url = f"/console/invoices/{invoice.pk}/pdf/"
    response = client_for(staff_users["readonly"]).get(url)
    assert response["Content-Type"] == "application/pdf"
    assert invoice.number in _text(response.content)
    assert client_for(portal_user_a).get(url).status_code == 403
    call_command("invoices", "pdf", invoice.number, "-o", str(tmp_path / "a.pdf"))
    assert "上海康托索科技有限公司" in _text((tmp_path / "a.pdf").read_bytes())
    with pytest.raises(CommandError, match="no invoice numbered"):
        call_command("invoices", "pdf", "INV-1999-000001", "-o", str(tmp_path / "b.pdf"))
