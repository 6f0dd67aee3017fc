"""In Chromium: finance credits part of an issued invoice and records its fapiao; the customer
reads the credit note, the fapiao status and both PDFs in the portal, in Chinese."""

from __future__ import annotations

import re

import pytest

from cspbilling.invoicing.services import do_request_fapiao

NUMBER = "26332000000012345678"


@pytest.fixture
def invoice_with_fapiao_requested(transactional_db, issued_invoice, customer_a):
    """Made before the browser starts (its event loop forbids the ORM in the test's thread)."""
    invoice = issued_invoice(("319.59", "100"), customer=customer_a)
    do_request_fapiao(invoice=invoice, kind="general", actor="t")
    return invoice, invoice.lines.get(subscription_id="sub-0")


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_browser_finance_credits_a_line_and_the_customer_reads_it(
    live_server, staff_users, portal_user_a, invoice_with_fapiao_requested, artifacts_dir, browser
):
    from cspbilling.web.tests.browser import sign_in

    invoice, line = invoice_with_fapiao_requested

    page = browser.new_page(viewport={"width": 1360, "height": 900}, locale="en-US")
    sign_in(page, live_server, "staff-finance")
    page.wait_for_url(f"{live_server.url}/console/")
    page.goto(f"{live_server.url}/console/invoices/{invoice.pk}/")
    page.fill("#fapiao input[name=number]", NUMBER)
    page.fill("#fapiao input[name=issued_on]", "2026-11-05")
    page.click("#fapiao button[type=submit]")
    page.wait_for_selector(f"text=Fapiao {NUMBER} recorded.")
    page.click("#credit-form summary")
    page.fill(f"input[name=line_{line.pk}]", "106.53")
    page.fill("#credit-form textarea[name=reason]", "一个席位在七天内退订")
    page.screenshot(path=str(artifacts_dir / "console-credit-form.png"), full_page=True)
    page.click("#credit-submit")
    page.wait_for_selector("#credit-total")
    number = re.search(r"CN-\d{4}-\d{6}", page.inner_text("h1")).group()
    assert "112.92" in page.inner_text("#credit-total")  # 106.53 + 6.39 VAT
    assert "Red-letter fapiao" in page.inner_text("main")
    page.screenshot(path=str(artifacts_dir / "console-credit-note.png"), full_page=True)
    pdf = page.request.get(live_server.url + page.get_attribute("#pdf", "href"))
    assert pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")

    portal = browser.new_page(viewport={"width": 1200, "height": 900}, locale="zh-CN")
    sign_in(portal, live_server, "portal-a")
    portal.goto(f"{live_server.url}/portal/invoices/")
    portal.wait_for_selector("#portal-credit-notes")
    row = portal.inner_text(f"tr[data-invoice='{invoice.number}']")
    assert "已开具" in row and NUMBER in row and "112.92" in row
    assert "一个席位在七天内退订" in portal.inner_text("#portal-credit-notes")
    portal.screenshot(path=str(artifacts_dir / "portal-credit-notes.png"), full_page=True)
    with portal.expect_download() as download:
        portal.click(f"tr[data-credit-note='{number}'] a")
    assert download.value.suggested_filename == f"{number}.pdf"


@pytest.fixture
def supplementary_draft(transactional_db, issued_invoice, customer_a):
    """An issued invoice and the supplementary draft of 21Vianet's increase on it."""
    from cspbilling.invoicing.models import Invoice, InvoiceLine

    issued = issued_invoice(("100",), customer=customer_a)
    line = issued.lines.get()
    supplement = Invoice.objects.create(
        customer=customer_a,
        period=issued.period,
        currency=issued.currency,
        billing_run=issued.billing_run,
        corrects=issued,
        lines_count=1,
        subtotal_minor=1000,
        tax_minor=60,
        total_minor=1060,
    )
    InvoiceLine.objects.create(
        invoice=supplement,
        corrects_line=line,
        subscription_id=line.subscription_id,
        offer_id=line.offer_id,
        offer_name=line.offer_name,
        charge_type=line.charge_type,
        charge_start=line.charge_start,
        charge_end=line.charge_end,
        quantity=1,
        upstream_lines=1,
        upstream_amount_micro=10_000_000,
        price_rule_id=line.price_rule_id,
        method=line.method,
        percent=line.percent,
        tax_rate=line.tax_rate,
        net_minor=1000,
        tax_minor=60,
    )
    return issued, supplement


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_browser_finance_discards_a_supplementary_draft(
    live_server, staff_users, supplementary_draft, artifacts_dir, browser
):
    from cspbilling.web.tests.browser import sign_in

    issued, supplement = supplementary_draft
    page = browser.new_page(viewport={"width": 1360, "height": 900}, locale="en-US")
    sign_in(page, live_server, "staff-finance")
    page.wait_for_url(f"{live_server.url}/console/")
    page.goto(f"{live_server.url}/console/invoices/{supplement.pk}/")
    assert issued.number in page.inner_text("#supplementary")
    page.fill("#discard-form input[name=reason]", "Absorbed: 21Vianet's late seat, our error")
    page.screenshot(path=str(artifacts_dir / "console-supplement-discard.png"), full_page=True)
    page.click("#discard")
    page.wait_for_selector("text=Supplementary invoice discarded")
    assert "Discarded" in page.inner_text("h1")
    assert "not billed the difference" in page.inner_text("#supplementary")
    assert page.locator("#issue").count() == 0 and page.locator("#discard").count() == 0
    page.screenshot(path=str(artifacts_dir / "console-supplement-discarded.png"), full_page=True)
