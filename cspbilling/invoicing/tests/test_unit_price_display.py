"""A fixed-price line says what it bills: a credit says so, and a share of a full period says
how much, in the customer's language (PDF), on the draft's page and over the API."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from cspbilling.api.tests.helpers import get
from cspbilling.customers.models import Customer
from cspbilling.invoicing.models import Invoice
from cspbilling.invoicing.pdf.render import invoice_data, render_invoice_pdf
from cspbilling.invoicing.services import do_create_price_rule, do_run_billing
from cspbilling.invoicing.tests.upstream_lines import add_lines, upstream_invoice

pytestmark = pytest.mark.django_db
OCTOBER = dt.date(2026, 10, 1)


@pytest.fixture
def prorated_draft(customer_a, cloud) -> Invoice:
    """Five E3 seats at 124.00 here (93.00 upstream): a whole month (620.00), and a cancellation
    on the 22nd credited for the last 10 of 31 days (-200.00)."""
    invoice, batch = upstream_invoice(OCTOBER)
    seats = {"tenant": customer_a.tenant_id, "unit_price": "93", "offer_name": "Office 365 E3"}
    add_lines(
        invoice,
        batch,
        [
            {**seats, "subscription": "e3-month", "quantity": 5, "amount": "465"},
            {
                **seats,
                "subscription": "e3-cancelled",
                "charge_type": "Cancel instance prorate",
                "charge_start": dt.date(2026, 10, 22),
                "charge_end": dt.date(2026, 10, 31),
                "quantity": -5,
                "amount": "-150",
            },
        ],
    )
    do_create_price_rule(
        actor="finance1",
        name="E3 at 124",
        method="unit_price",
        unit_price="124",
        currency="CNY",
        tax_category=cloud,
        effective_from=dt.date(2026, 1, 1),
    )
    do_run_billing(period=OCTOBER, actor="finance1")
    return Invoice.objects.get(customer=customer_a)


@pytest.mark.parametrize(
    "language, credit, share",
    [
        ("zh-hans", "退费", "完整计费周期的 32.26%"),
        ("en", "Credit", "32.26 % of a full period"),
        ("fr", "Crédit", "32.26 % d'une période complète"),
    ],
)
def test_the_invoice_says_a_line_is_a_credit_and_for_what_share_of_the_period(
    prorated_draft, language, credit, share
):
    Customer.objects.filter(pk=prorated_draft.customer_id).update(language=language)
    lines = invoice_data(Invoice.objects.get(pk=prorated_draft.pk))["lines"]
    detail = {line["net"]: line["detail"] for line in lines}
    assert detail["-200.00"] == (
        f"Cancel instance prorate · 2026-10-22 – 2026-10-31 · e3-cancelled · {credit} · {share}"
    )
    assert detail["620.00"] == "Cycle fee · 2026-10-01 – 2026-10-31 · e3-month"


def test_the_pdf_prints_it(prorated_draft):
    pdf = render_invoice_pdf(prorated_draft)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "退费" in text and "32.26%" in text and "-200.00" in text


def test_staff_see_it_on_the_draft_and_the_api_gives_the_share(
    prorated_draft, client_for, staff_users, tokens
):
    page = client_for(staff_users["finance"]).get(f"/console/invoices/{prorated_draft.pk}/")
    assert page.content.decode().count("× 32.26 % of a period") == 1
    lines = get(f"/invoices/{prorated_draft.pk}/lines", tokens["readonly"]).json()
    shares = {line["net"]: line["period_fraction"] for line in lines}
    assert shares == {"620.00": None, "-200.00": "0.322581"}
