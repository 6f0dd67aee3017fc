"""The Content-Security-Policy holds in a real browser: no page of the console, the portal or
the API docs needs an inline script, an inline handler or a foreign origin."""

from __future__ import annotations

import pytest

from cspbilling.web.tests.browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every violation, as the page sees it (the console message alone can be rate-limited).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI}`);
});
"""


def watched_page(browser, locale: str = "en-US"):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale=locale)
    page.add_init_script(RECORD_VIOLATIONS)
    page.console_messages_seen = []
    page.on("console", lambda message: page.console_messages_seen.append(message.text))
    return page


def assert_no_violation(page) -> None:
    in_page = page.evaluate("window.__cspViolations")
    in_console = [text for text in page.console_messages_seen if "Content Security Policy" in text]
    assert not in_page and not in_console, (page.url, in_page, in_console)


def test_console_pages_keep_the_policy(live_server, staff_users, customer_a, browser):
    page = watched_page(browser)
    page.goto(f"{live_server.url}/login/")
    assert page.evaluate("document.querySelector('#lang-select') !== null")
    assert_no_violation(page)
    sign_in(page, live_server, "staff-admin")
    page.wait_for_url(f"{live_server.url}/console/")
    assert_no_violation(page)

    page.goto(f"{live_server.url}/console/customers/")
    page.fill("input[name=q]", "contoso")  # htmx swaps the results: htmx runs under the policy
    page.wait_for_url("**/console/customers/?q=contoso")
    page.click("#customer-table >> text=Contoso China")
    page.wait_for_url(f"**/console/customers/{customer_a.tenant_id}/")
    assert_no_violation(page)

    for path in ("/console/people/", "/console/audit/", "/console/outbox/", "/api/v1/docs"):
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        assert_no_violation(page)
    assert page.locator(".swagger-ui").count() == 1  # the API docs did render

    # Choosing a language submits its form from a script file, not an inline handler.
    page.goto(f"{live_server.url}/console/")
    with page.expect_navigation():
        page.select_option("#lang-select", "fr")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert_no_violation(page)


def test_portal_pages_keep_the_policy(live_server, portal_user_a, browser):
    page = watched_page(browser, locale="zh-CN")
    sign_in(page, live_server, "portal-a")
    page.wait_for_url(f"{live_server.url}/portal/")
    assert "您的订阅" in page.locator("body").inner_text()
    assert_no_violation(page)
