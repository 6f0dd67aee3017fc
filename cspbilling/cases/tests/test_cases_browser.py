"""In Chromium: a customer's email becomes a case; support replies and resolves it; the customer
confirms from the signed link of the resolution email; the case is closed and says so."""

from __future__ import annotations

from pathlib import Path

import pytest

MAIL = Path(__file__).parent / "mail"


@pytest.fixture
def case_from_email(transactional_db, customer_a, staff_users, settings):
    """Made before the browser starts (its event loop forbids the ORM in the test's thread)."""
    from cspbilling.cases.links import make_token
    from cspbilling.cases.services.intake import do_ingest_email

    settings.CASES_ATTACHMENT_TYPES = []  # the PDF is refused (and said so in a note)
    result = do_ingest_email(raw=(MAIL / "foxmail_gbk_new_case.eml").read_bytes())
    assert result.outcome == "new_case"
    return result.reference, make_token(reference=result.reference, action="confirm")


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_browser_a_case_goes_from_email_to_closed(
    live_server, case_from_email, artifacts_dir, browser
):
    from cspbilling.web.tests.browser import sign_in

    reference, confirm_token = case_from_email
    page = browser.new_page(viewport={"width": 1360, "height": 900}, locale="en-US")
    sign_in(page, live_server, "staff-support")
    page.wait_for_url(f"{live_server.url}/console/")
    page.goto(f"{live_server.url}/console/cases/?queue=unassigned")
    page.click(f"tr[data-case='{reference}'] a")
    assert "关于10月发票金额的疑问" in page.inner_text("h1")
    assert "陈喆 （财务部）" in page.inner_text("#conversation")
    page.click("#assign")
    page.fill("#body", "内部：E3 数量已与 Partner Center 核对。")
    page.click("#add-note")
    page.fill("#body", "您好，E3 的数量已更正为 20，更正后的发票将另行发送。")
    page.click("#resolve")
    page.wait_for_selector("text=Resolved: the resolution was sent to the customer.")
    notes = page.locator("[data-visibility=internal]")
    assert notes.count() == 2 and "Attachments not kept" in notes.first.inner_text()
    page.screenshot(path=str(artifacts_dir / "console-case-resolved.png"), full_page=True)

    customer = browser.new_page(viewport={"width": 1000, "height": 800}, locale="zh-CN")
    customer.goto(f"{live_server.url}/portal/cases/respond/{confirm_token}/")
    customer.click("#do-action")
    assert "工单已关闭" in customer.inner_text("#action-done")
    customer.screenshot(path=str(artifacts_dir / "portal-case-confirmed.png"), full_page=True)

    page.reload()
    assert "Closed" in page.inner_text(".page-head")
    assert "Confirmed by the customer" in page.inner_text("#links")
    page.screenshot(path=str(artifacts_dir / "console-case-closed.png"), full_page=True)
