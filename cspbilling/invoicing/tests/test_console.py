"""The price rules page: everyone on staff reads it, finance and administrators change it."""

from __future__ import annotations

import datetime as dt

import pytest

from cspbilling.audit.models import AuditEvent
from cspbilling.customers.models import CustomerGroup
from cspbilling.invoicing.models import PriceRule, TaxCategory
from cspbilling.invoicing.services import do_create_price_rule

pytestmark = pytest.mark.django_db
PAGE = "/console/pricing/"


@pytest.fixture(autouse=True)
def _cloud(cloud):
    return cloud


def _form(**fields) -> dict:
    cloud = TaxCategory.objects.get(code="cloud-services")
    return {
        "name": "Everyone +10%",
        "method": "percent",
        "percent": "10",
        "currency": "CNY",
        "tax_category": cloud.pk,
        "effective_from": "2026-01-01",
    } | fields


def test_readers_see_the_rules_but_no_form_and_cannot_post(client_for, staff_users):
    page = client_for(staff_users["readonly"]).get(PAGE)
    assert page.status_code == 200 and b"No price rule" in page.content
    assert b'id="new-rule"' not in page.content
    refused = client_for(staff_users["support"]).post(PAGE, _form())
    assert refused.status_code == 403 and PriceRule.objects.count() == 0


def test_portal_users_and_strangers_never_see_prices(client, client_for, portal_user_a):
    assert client_for(portal_user_a).get(PAGE).status_code == 403
    assert client.get(PAGE).status_code == 302  # to the login page


def test_finance_saves_a_rule_and_sees_it_listed(client_for, staff_users):
    finance = client_for(staff_users["finance"])
    saved = finance.post(PAGE, _form(), follow=True)
    assert "Rule “Everyone +10%” saved." in saved.content.decode()
    assert PriceRule.objects.get().percent == 10
    assert AuditEvent.objects.filter(action="price_rule.created", actor="staff-finance").exists()
    listed = finance.get(PAGE).content.decode()
    assert "Everyone +10%" in listed and "+10 %" in listed


def test_a_wrong_or_tying_rule_shows_why_on_the_form_and_saves_nothing(client_for, staff_users):
    finance = client_for(staff_users["finance"])
    wrong = finance.post(PAGE, _form(percent="-300"))
    assert wrong.status_code == 400 and "between -100 and 1000" in wrong.content.decode()
    assert PriceRule.objects.count() == 0
    finance.post(PAGE, _form())
    tie = finance.post(PAGE, _form(name="Everyone +12%", percent="12"))
    assert tie.status_code == 400 and "would tie" in tie.content.decode()
    assert PriceRule.objects.count() == 1


def test_ending_a_rule_from_the_list(client_for, staff_users):
    rule = do_create_price_rule(
        actor="t",
        name="spring",
        method="percent",
        percent="5",
        tax_category=TaxCategory.objects.get(),
        effective_from=dt.date(2026, 3, 1),
    )
    url = f"/console/pricing/rules/{rule.pk}/end/"
    assert (
        client_for(staff_users["support"]).post(url, {"last_day": "2026-05-31"}).status_code == 403
    )
    client_for(staff_users["admin"]).post(url, {"last_day": "2026-05-31"})
    rule.refresh_from_db()
    assert rule.effective_to == dt.date(2026, 5, 31)
    before_start = client_for(staff_users["admin"]).post(
        url, {"last_day": "2026-01-31"}, follow=True
    )
    assert "cannot end before it starts" in before_start.content.decode()


def test_a_customer_is_put_in_a_group_from_its_page(client_for, staff_users, customer_a):
    admin = client_for(staff_users["admin"])
    admin.post("/console/pricing/groups/", {"group-name": "Education"})
    group = CustomerGroup.objects.get(name="Education")
    page = f"/console/customers/{customer_a.tenant_id}/"
    assert b'id="group-form"' in admin.get(page).content
    assert b'id="group-form"' not in client_for(staff_users["support"]).get(page).content
    admin.post(f"/console/pricing/customers/{customer_a.tenant_id}/group/", {"group": group.pk})
    customer_a.refresh_from_db()
    assert customer_a.group == group
    assert AuditEvent.objects.filter(action="customer.group_assigned").exists()


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_browser_finance_prices_a_customer_from_its_page(
    live_server, staff_users, customer_a, cloud, artifacts_dir, browser
):
    from cspbilling.web.tests.browser import sign_in

    page = browser.new_page(viewport={"width": 1360, "height": 900}, locale="en-US")
    sign_in(page, live_server, "staff-finance")
    page.wait_for_url(f"{live_server.url}/console/")
    page.goto(f"{live_server.url}/console/customers/{customer_a.tenant_id}/")
    page.click("text=New rule for this customer")
    page.wait_for_url("**/console/pricing/**")
    assert page.input_value("input[name=customer]") == str(customer_a.tenant_id)
    page.fill("input[name=name]", "Contoso E3 at cost −3%")
    page.fill("input[name=offer_id]", "CFQ7TTC0LFLZ")
    page.fill("input[name=percent]", "-3")
    page.fill("input[name=effective_from]", "2026-01-01")
    page.click("#new-rule button[type=submit]")
    page.wait_for_selector("text=Rule “Contoso E3 at cost −3%” saved.")
    row = page.locator("#rules tbody tr").first
    assert customer_a.display_name in row.inner_text() and "-3 %" in row.inner_text()
    page.screenshot(path=str(artifacts_dir / "console-price-rules.png"), full_page=True)
    page.goto(f"{live_server.url}/console/customers/{customer_a.tenant_id}/")
    assert "Contoso E3 at cost −3%" in page.locator("#pricing").inner_text()
