"""A real browser (Debian's chromium through Playwright) against the live server."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from cspbilling.web.tests.browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def more_customers(make_customer):
    return [make_customer(f"Northwind Branch {n}") for n in range(8)]


# `browser` comes last: once Playwright's loop runs, the ORM refuses to be called in this thread.
def test_finance_user_finds_a_customer_and_its_subscriptions(
    live_server, staff_users, customer_a, customer_b, more_customers, artifacts_dir, browser
):
    page = browser.new_page(viewport={"width": 1360, "height": 900}, locale="en-US")
    sign_in(page, live_server, "staff-finance")
    page.wait_for_url(f"{live_server.url}/console/")
    assert page.locator("[data-stat=customers]").inner_text() == "10"

    page.click("nav.sidenav >> text=Customers")
    page.wait_for_url("**/console/customers/")
    assert page.locator("#customer-table tbody tr").count() == 10

    # htmx live search: typing swaps the results without a page load.
    page.fill("input[name=q]", "contoso")
    # (a locator wait: wait_for_function evaluates a string, which the CSP forbids)
    expect(page.locator("#customer-table tbody tr")).to_have_count(1)
    assert "Fabrikam" not in page.locator("#results").inner_text()
    assert "q=contoso" in page.url  # hx-push-url keeps the search in the address bar

    page.click("#customer-table >> text=Contoso China")
    page.wait_for_url(f"**/console/customers/{customer_a.tenant_id}/")
    table = page.locator("#subscription-table")
    assert table.locator("tbody tr").count() == 3
    assert "Suspended" in table.inner_text() and "credit" in table.inner_text()
    assert page.locator("link[rel=stylesheet]").count() == 1
    assert page.evaluate(
        "getComputedStyle(document.querySelector('.sidenav')).backgroundColor"
    ) != ("rgba(0, 0, 0, 0)"), "the stylesheet did not load"
    page.screenshot(path=str(artifacts_dir / "console-customer.png"), full_page=True)

    page.goto(f"{live_server.url}/console/customers/")
    page.screenshot(path=str(artifacts_dir / "console-customer-list.png"), full_page=True)


def test_portal_in_chinese(live_server, portal_user_a, customer_b, artifacts_dir, browser):
    page = browser.new_page(viewport={"width": 1200, "height": 800}, locale="zh-CN")
    sign_in(page, live_server, "portal-a")
    page.wait_for_url(f"{live_server.url}/portal/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    body = page.locator("body").inner_text()
    assert "您的订阅" in body and "已暂停" in body and "上海康托索科技有限公司" in body
    assert "Exchange Online" not in body
    page.screenshot(path=str(artifacts_dir / "portal-zh-hans.png"), full_page=True)
