"""Invoices in the console: run billing, review drafts, trace a line to its upstream rows, issue."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from cspbilling.invoicing.models import BillingRun, Invoice
from cspbilling.invoicing.services import do_create_price_rule
from cspbilling.invoicing.tasks import billing_run
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
    response = finance.post("/console/invoices/run/", {"period": "2026-10"})
    run = BillingRun.objects.get()
    assert (response.status_code, response.url) == (302, f"/console/invoices/runs/{run.pk}/")
    page = finance.get(response.url).content.decode()
    assert "Waiting for a worker" in page and 'hx-trigger="every 1s"' in page
    again = finance.post("/console/invoices/run/", {"period": "2026-10"}, follow=True)
    assert f"Not started: billing run #{run.pk} of 2026-10" in again.content.decode()
    billing_run.call(run.pk)  # the worker's part, run here
    status = finance.get(response.url, HTTP_HX_REQUEST="true").content.decode()
    assert "Succeeded" in status and "every 1s" not in status
    assert (
        "<strong>1 draft invoice(s)</strong> with 1 line(s); 2 of 2 upstream lines billed" in status
    )
    assert "252.95" in status and "Review the drafts" in status
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
def test_a_running_run_shows_its_stage_and_a_dead_one_fails_with_why(
    client_for, staff_users, billed_month
):
    from django.utils import timezone

    reader = client_for(staff_users["readonly"])
    now = timezone.now()
    run = BillingRun.objects.create(
        period=dt.date(2026, 10, 1),
        requested_by="staff-finance",
        status="running",
        started_at=now,
        heartbeat_at=now,
        phase="pricing",
        progress_done=120,
        progress_total=250,
    )
    page = reader.get(f"/console/invoices/runs/{run.pk}/").content.decode()
    assert "Stage 3 of 5: pricing — 120 of 250 groups (48%)" in page
    assert 'hx-trigger="every 1s"' in page
    BillingRun.objects.filter(pk=run.pk).update(heartbeat_at=now - dt.timedelta(minutes=31))
    page = reader.get(f"/console/invoices/runs/{run.pk}/", HTTP_HX_REQUEST="true")
    text = page.content.decode()
    assert "Failed" in text and "abandoned: no sign of life since" in text
    assert "every 1s" not in text and "nothing changed" in text


@pytest.mark.django_db
def test_filters_by_month_and_status(client_for, staff_users, billed_month):
    finance = client_for(staff_users["finance"])
    finance.post("/console/invoices/run/", {"period": "2026-10"})
    billing_run.call(BillingRun.objects.get().pk)
    assert "draft #" in finance.get(LIST, {"period": "2026-10", "status": "draft"}).content.decode()
    empty = finance.get(LIST, {"period": "2026-09"}).content.decode()
    assert "No invoice for 2026-09" in empty
    assert "No invoice" in finance.get(LIST, {"status": "issued"}).content.decode()


def outside_the_browser_loop(func, *args, **kwargs):
    """Run a database call on a thread of its own (Playwright's loop owns this one)."""
    from django.db import connection

    outcome = {}

    def call():
        try:
            outcome["result"] = func(*args, **kwargs)
        except BaseException as exc:  # raised again on the test's thread
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=call)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


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
    page.wait_for_selector("text=Waiting for a worker")
    run = outside_the_browser_loop(BillingRun.objects.get)
    # The worker takes it and reports a stage (as BillingProgress writes it): the page follows.
    outside_the_browser_loop(
        BillingRun.objects.filter(pk=run.pk).update,
        status="running",
        phase="pricing",
        progress_done=120,
        progress_total=250,
    )
    page.wait_for_selector("text=Stage 3 of 5: pricing — 120 of 250 groups (48%)")
    page.screenshot(path=str(artifacts_dir / "console-billing-run-progress.png"), full_page=True)
    # The rest of the worker's part: the page shows the summary by itself.
    outside_the_browser_loop(billing_run.call, run.pk)
    page.wait_for_selector("text=2 of 2 upstream lines billed")
    assert page.get_attribute("#billing-run-status", "data-status") == "succeeded"
    page.screenshot(path=str(artifacts_dir / "console-billing-run-done.png"), full_page=True)
    page.click("text=Review the drafts")
    page.wait_for_selector("#invoice-table")
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
    pdf = page.request.get(live_server.url + page.get_attribute("#pdf", "href"))
    assert pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")
    import io

    from pypdf import PdfReader

    number = page.inner_text("h1").split()[0]
    assert number in PdfReader(io.BytesIO(pdf.body())).pages[0].extract_text()
