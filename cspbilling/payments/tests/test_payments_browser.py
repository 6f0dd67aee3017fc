"""In Chromium: finance records a payment, sees the invoice it paid, and the aging chart change."""

from __future__ import annotations

import datetime as dt

import pytest

DUE_PLUS_45 = (dt.date(2026, 11, 3) + dt.timedelta(days=75)).isoformat()


@pytest.fixture
def two_unpaid_invoices(transactional_db, issued_invoice):
    """Made before the browser starts (its event loop forbids the ORM in the test's thread)."""
    first = issued_invoice(("100",))
    second = issued_invoice(("50",), customer=first.customer)
    return first, second, str(first.customer.tenant_id)


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_browser_finance_records_a_payment_and_the_aging_changes(
    live_server, staff_users, two_unpaid_invoices, artifacts_dir, browser
):
    from cspbilling.web.tests.browser import sign_in

    first, second, tenant = two_unpaid_invoices
    page = browser.new_page(viewport={"width": 1360, "height": 900}, locale="en-US")
    sign_in(page, live_server, "staff-finance")
    page.wait_for_url(f"{live_server.url}/console/")
    page.goto(f"{live_server.url}/console/payments/aging/?as_of={DUE_PLUS_45}")
    bar = page.locator("g[data-bucket='31-60'] rect")
    before = float(bar.get_attribute("height"))
    assert "159.00" in page.text_content("g[data-bucket='31-60']")

    page.goto(f"{live_server.url}/console/customers/{tenant}/")
    page.click("#account >> text=Record a payment")
    page.fill("input[name=amount]", "106.00")
    page.fill("input[name=received_on]", "2026-11-20")
    page.fill("input[name=reference]", "ICBC 转账 0042")
    page.click("#record")
    page.wait_for_selector("#allocations")
    assert first.number in page.inner_text("#allocations")
    assert "0.00" in page.inner_text("#unallocated")
    page.screenshot(path=str(artifacts_dir / "console-payment.png"), full_page=True)

    page.goto(f"{live_server.url}/console/payments/aging/?as_of={DUE_PLUS_45}")
    assert "53.00" in page.text_content("g[data-bucket='31-60']")
    assert float(bar.get_attribute("height")) == before  # the tallest bar is scaled to the chart
    page.screenshot(path=str(artifacts_dir / "console-aging.png"), full_page=True)
    page.goto(
        f"{live_server.url}/console/payments/statements/{tenant}/?from=2026-11-01&as_of=2026-11-30"
    )
    assert "53.00" in page.inner_text("[data-stat=closing]")
    page.screenshot(path=str(artifacts_dir / "console-statement.png"), full_page=True)
