"""Invoices in the console: run billing, review drafts, trace a line to its upstream rows, issue."""

from __future__ import annotations

import datetime as dt

import pytest

from cspbilling.invoicing.models import Invoice
from cspbilling.invoicing.services import do_create_price_rule
from cspbilling.invoicing.tests.upstream_lines import add_lines, upstream_invoice

LIST = "/console/invoices/"


@pytest.fixture
def billed_month(customer_a, cloud):
    invoice, batch = upstream_invoice(dt.date(2026, 10, 1))
    ids = add_lines(
        invoice,
        batch,
        [
            {
                "tenant": customer_a.tenant_id,
                "subscription": "sub-a-e3",
                "amount": "319.59",
                "quantity": 3,
                "offer_name": "Office 365 E3",
            },
            {
                "tenant": customer_a.tenant_id,
                "subscription": "sub-a-e3",
                "amount": "-106.53",
                "quantity": -1,
                "offer_name": "Office 365 E3",
            },
        ],
    )
    do_create_price_rule(
        actor="t",
        name="Everyone +12%",
        method="percent",
        percent="12",
        tax_category=cloud,
        effective_from=dt.date(2026, 1, 1),
    )
    return invoice, ids


@pytest.mark.django_db
def test_finance_runs_billing_reviews_traces_and_issues(client_for, staff_users, billed_month):
    upstream, ids = billed_month
    finance = client_for(staff_users["finance"])
    done = finance.post("/console/invoices/run/", {"period": "2026-10"}, follow=True)
    page = done.content.decode()
    assert "1 draft invoice(s), 2 of 2 upstream lines billed, 0 unbilled" in page
    draft = Invoice.objects.get()
    detail = finance.get(f"/console/invoices/{draft.pk}/").content.decode()
    # 213.06 upstream +12% = 238.6272 → 238.63; VAT 6% = 14.3178 → 14.32
    assert "238.63" in detail and "14.32" in detail and "252.95" in detail
    assert 'id="issue"' in detail
    line = draft.lines.get()
    trace = finance.get(f"/console/invoices/{draft.pk}/lines/{line.pk}/").content.decode()
    assert upstream.invoice_id in trace and all(f'data-upstream-line="{pk}"' in trace for pk in ids)
    issued = finance.post("/console/invoices/issue/", {"invoice": [draft.pk]}, follow=True)
    assert "Issued INV-" in issued.content.decode()
    draft.refresh_from_db()
    assert draft.status == "issued" and draft.number.startswith(f"INV-{dt.date.today().year}-")


@pytest.mark.django_db
def test_readers_see_invoices_but_cannot_bill_or_issue(client_for, staff_users, billed_month):
    reader = client_for(staff_users["readonly"])
    page = reader.get(LIST).content.decode()
    assert 'id="billing-run"' not in page
    for role in ("readonly", "support"):
        client = client_for(staff_users[role])
        assert client.post("/console/invoices/run/", {"period": "2026-10"}).status_code == 403
        assert client.post("/console/invoices/issue/", {"invoice": [1]}).status_code == 403
    assert not Invoice.objects.exists()


@pytest.mark.django_db
def test_portal_users_never_reach_the_console_invoices(client_for, portal_user_a, billed_month):
    assert client_for(portal_user_a).get(LIST).status_code == 403


@pytest.mark.django_db
def test_filters_by_month_and_status(client_for, staff_users, billed_month):
    finance = client_for(staff_users["finance"])
    finance.post("/console/invoices/run/", {"period": "2026-10"})
    assert "draft #" in finance.get(LIST, {"period": "2026-10", "status": "draft"}).content.decode()
    empty = finance.get(LIST, {"period": "2026-09"}).content.decode()
    assert "No invoice for 2026-09" in empty
    assert "No invoice" in finance.get(LIST, {"status": "issued"}).content.decode()


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_browser_finance_bills_a_month_and_issues_it(
    live_server, staff_users, billed_month, artifacts_dir, browser
):
    from cspbilling.web.tests.browser import sign_in

    page = browser.new_page(viewport={"width": 1360, "height": 900}, locale="en-US")
    sign_in(page, live_server, "staff-finance")
    page.wait_for_url(f"{live_server.url}/console/")
    page.click("nav.sidenav >> text=Invoices")
    page.fill("#billing-run input[name=period]", "2026-10")
    page.click("#billing-run button[type=submit]")
    page.wait_for_selector("text=2 of 2 upstream lines billed")
    page.screenshot(path=str(artifacts_dir / "console-invoices.png"), full_page=True)
    page.click("#invoice-table a:has-text('draft #')")
    page.wait_for_selector("#lines")
    assert "252.95" in page.inner_text("#invoice-total")
    page.click("#lines a:has-text('2 →')")
    page.wait_for_selector("#trace")
    assert page.locator("#trace tbody tr").count() == 2
    page.go_back()
    page.click("#issue")
    page.wait_for_selector("text=Issued INV-")
    page.screenshot(path=str(artifacts_dir / "console-invoice-issued.png"), full_page=True)
    assert "Issued" in page.inner_text("h1") and page.locator("#issue").count() == 0
