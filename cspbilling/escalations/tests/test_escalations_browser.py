"""In Chromium: support escalates a dispute case to 21Vianet in portal mode, copies each field
with its button, records the ticket number; the escalation is filed and listed."""

from __future__ import annotations

import pytest


@pytest.fixture
def dispute_for_browser(transactional_db, dispute_case, staff_users):
    """Made before the browser starts (its event loop forbids the ORM in the test's thread)."""
    return dispute_case(line=0).reference


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_browser_portal_mode_filing_with_copy_buttons(
    live_server, dispute_for_browser, artifacts_dir, browser
):
    from cspbilling.web.tests.browser import sign_in

    reference = dispute_for_browser
    context = browser.new_context(viewport={"width": 1360, "height": 1000}, locale="en-US")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    sign_in(page, live_server, "staff-support")
    page.wait_for_url(f"{live_server.url}/console/")
    page.goto(f"{live_server.url}/console/cases/{reference}/")
    page.click("#escalate-21vianet")
    page.select_option("#cause", "duplicate_charge")
    page.click("#prepare")
    page.wait_for_selector("#ticket-form")
    title = page.inner_text("#field-title")
    assert title.startswith("[ESC-") and "计费争议" in title
    assert "客户租户 ID" in page.inner_text("#field-description")

    same = "async (text) => (await navigator.clipboard.readText()) === text"
    page.click("#copy-title")
    page.wait_for_function(same, arg=title)
    page.click("#copy-description")
    page.wait_for_function(same, arg=page.inner_text("#field-description"))
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "争议对账行" in copied and "合作伙伴请求" in copied
    page.screenshot(path=str(artifacts_dir / "console-escalation-prepared.png"), full_page=True)

    page.fill("#ticket", "12 3")
    page.click("#record-ticket")
    page.wait_for_selector("text=is not a 21Vianet ticket number")
    page.fill("#ticket", "240801000123")
    page.click("#record-ticket")
    page.wait_for_selector("text=Filed: ticket 240801000123.")
    assert page.inner_text("#ticket-number") == "240801000123"
    assert "filed with 21Vianet (portal): ticket 240801000123" in page.inner_text("#notes")
    page.screenshot(path=str(artifacts_dir / "console-escalation-filed.png"), full_page=True)

    page.goto(f"{live_server.url}/console/escalations/")
    assert "240801000123" in page.inner_text("#escalation-table")
    context.close()
