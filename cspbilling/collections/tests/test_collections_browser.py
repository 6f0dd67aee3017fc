"""In Chromium: finance opens the collections page (forecast chart, held actions, tasks), runs a
dry run and reads its results, then opens a customer's timeline with the days ahead."""

from __future__ import annotations

import datetime as dt

import pytest


@pytest.fixture
def book(transactional_db, overdue_invoice, default_policy):
    """Made before the browser starts (its event loop forbids the ORM in the test's thread)."""
    from django.utils import timezone

    from cspbilling.collections.services import do_collections_run
    from cspbilling.customers.models import BillingContact

    today = timezone.localdate()
    tenants = []
    for n, days in enumerate((3, 14, 30, 60)):
        invoice = overdue_invoice(
            today - dt.timedelta(days=days), amounts=(str(100 * (n + 1)),), language="en"
        )
        BillingContact.objects.create(
            customer=invoice.customer, first_name="Pay", last_name=str(n), email=f"p{n}@ex.cn"
        )
        tenants.append(str(invoice.customer.tenant_id))
    # One more that falls due tomorrow: the forecast shows its reminder.
    overdue_invoice(today + dt.timedelta(days=1), amounts=("80",))
    do_collections_run(as_of=today - dt.timedelta(days=8), actor="scheduler")
    return tenants


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_browser_collections_page_dry_run_and_timeline(
    live_server, staff_users, book, artifacts_dir, browser
):
    from cspbilling.web.tests.browser import sign_in

    page = browser.new_page(viewport={"width": 1360, "height": 900}, locale="en-US")
    sign_in(page, live_server, "staff-finance")
    page.wait_for_url(f"{live_server.url}/console/")
    page.click("nav >> text=Collections")
    page.wait_for_selector("#forecast svg")
    assert "Next 14 days if nothing is paid" in page.inner_text("#forecast")
    assert page.locator("#forecast g[data-day]").count() == 14
    assert "notice goes out" not in page.inner_text("#held")
    page.click("#dry-run")
    page.wait_for_selector("#run-result")
    result = page.inner_text("#run-result")
    assert "Dry run: what would happen on" in result and "Standard v1" in result
    assert "(not acknowledged)" in result
    page.screenshot(path=str(artifacts_dir / "console-collections.png"), full_page=True)
    page.goto(f"{live_server.url}/console/collections/customers/{book[3]}/")
    timeline = page.inner_text("#timeline")
    assert "Final notice before suspension: Notice" in timeline
    assert "Data deleted if still suspended" in timeline
    assert page.locator("#not-acknowledged").count() == 1
    page.screenshot(path=str(artifacts_dir / "console-collections-timeline.png"), full_page=True)
