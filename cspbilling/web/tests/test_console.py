from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from cspbilling.accounts.models import Role
from cspbilling.audit.models import AuditEvent
from cspbilling.customers.validators import uscc_check_character
from cspbilling.web.navigation import navigation_for

pytestmark = pytest.mark.django_db

VALID_USCC = "91350100M000100Y4" + uscc_check_character("91350100M000100Y4")
STAFF = ["admin", "finance", "support", "readonly"]


def console_urls(customer) -> dict[str, str]:
    return {
        "dashboard": reverse("web:dashboard"),
        "customer_list": reverse("web:customer_list"),
        "customer_detail": reverse("web:customer_detail", args=[customer.tenant_id]),
        "customer_edit": reverse("web:customer_edit", args=[customer.tenant_id]),
    }


@pytest.mark.parametrize("role", [*STAFF, "customer", "anonymous"])
def test_role_matrix(role, staff_users, portal_user_a, customer_a, client_for):
    if role == "anonymous":
        client = Client()
    elif role == "customer":
        client = client_for(portal_user_a)
    else:
        client = client_for(staff_users[role])
    for page, url in console_urls(customer_a).items():
        response = client.get(url)
        if role == "anonymous":
            assert response.status_code == 302, page
            assert response["Location"].startswith(reverse("accounts:login")), page
        elif role == "customer" or (page == "customer_edit" and role != "admin"):
            assert response.status_code == 403, page
        else:
            assert response.status_code == 200, page


def test_dashboard_counts(client_for, staff_users, customer_a, customer_b):
    page = client_for(staff_users["readonly"]).get(reverse("web:dashboard")).content.decode()
    assert 'data-stat="customers">2<' in page
    assert 'data-stat="subscriptions">4<' in page
    assert 'data-stat="suspended">1<' in page
    assert 'data-status="active">3<' in page


def test_top_bar_and_navigation(client_for, staff_users, customer_a):
    page = client_for(staff_users["finance"]).get(reverse("web:customer_list")).content.decode()
    assert "staff-finance" in page and "Finance" in page
    assert 'action="/i18n/setlang/"' in page and "Français" in page and "简体中文" in page
    assert 'href="/console/customers/" class="active"' in page
    assert "vendor/htmx.min.js" in page


def test_navigation_skips_pages_not_built_and_roles_not_allowed(staff_users, monkeypatch):
    from cspbilling.web import navigation

    monkeypatch.setattr(
        navigation,
        "NAVIGATION",
        [
            ("Customers", "web:customer_list", frozenset(STAFF)),
            ("Not built", "nowhere:page", frozenset(STAFF)),
            ("Admins only", "web:dashboard", frozenset({"admin"})),
        ],
    )
    labels = [i["label"] for i in navigation_for(staff_users["readonly"], "/console/customers/")]
    assert labels == ["Customers"]
    labels = [i["label"] for i in navigation_for(staff_users["admin"], "/console/")]
    assert labels == ["Customers", "Admins only"]


def test_customer_search_by_name_domain_and_tenant_id(
    client_for, staff_users, customer_a, customer_b
):
    client = client_for(staff_users["support"])
    url = reverse("web:customer_list")
    for query in ["contoso", "CONTOSOCHINA.partner", str(customer_a.tenant_id)]:
        page = client.get(url, {"q": query}).content.decode()
        assert "Contoso China" in page and "Fabrikam" not in page, query
    page = client.get(url, {"q": "no such thing"}).content.decode()
    assert "No customer matches" in page


def test_htmx_search_returns_only_the_results(client_for, staff_users, customer_a, customer_b):
    client = client_for(staff_users["support"])
    response = client.get(
        reverse("web:customer_list"),
        {"q": "fabrikam"},
        headers={"HX-Request": "true", "HX-Target": "results"},
    )
    page = response.content.decode()
    assert "<html" not in page and "Fabrikam Shenzhen" in page and "Contoso" not in page


def test_customer_list_paginates_with_a_pinned_query_count(
    client_for, staff_users, make_customer, make_subscription, django_assert_max_num_queries
):
    for n in range(60):
        customer = make_customer(f"Tenant {n:03d}")
        make_subscription(customer)
        make_subscription(customer, status="suspended")
    client = client_for(staff_users["readonly"])
    # session + user + count + one page of rows: the same for 60 customers as for 6.
    with django_assert_max_num_queries(5):
        page = client.get(reverse("web:customer_list")).content.decode()
    assert "Tenant 000" in page and "Tenant 024" in page and "Tenant 025" not in page
    assert "1–25 of 60" in page
    page = client.get(reverse("web:customer_list"), {"page": 3}).content.decode()
    assert "Tenant 059" in page and "Page 3 of 3" in page


def test_customer_page_shows_profile_contacts_fields_and_subscriptions(
    client_for, staff_users, customer_a
):
    page = client_for(staff_users["readonly"]).get(
        reverse("web:customer_detail", args=[customer_a.tenant_id])
    )
    html = page.content.decode()
    for text in [
        "上海康托索科技有限公司",
        "contosochina.partner.onmschina.cn",
        "li.wei@contoso.cn",
        "简体中文",
        "CNY",
        "30 days",
        "Microsoft 365 E3",
        "Office 365 E1",
        "credit",
        "annual",
        "badge-suspended",
    ]:
        assert text in html, text
    assert "Edit billing settings" not in html  # read-only users see no edit button


def test_admin_edits_billing_settings_with_an_audit_event(client_for, staff_users, customer_a):
    client = client_for(staff_users["admin"])
    url = reverse("web:customer_edit", args=[customer_a.tenant_id])
    response = client.post(
        url,
        {
            "legal_name": "上海康托索科技有限公司",
            "tax_id": VALID_USCC.lower(),
            "language": "fr",
            "currency": "CNY",
            "payment_terms_days": "45",
        },
    )
    assert response.status_code == 302
    customer_a.refresh_from_db()
    assert (customer_a.tax_id, customer_a.language, customer_a.payment_terms_days) == (
        VALID_USCC,
        "fr",
        45,
    )
    event = AuditEvent.objects.get(action="customer.billing_settings_changed")
    assert event.actor == "staff-admin"
    assert event.before == {"tax_id": "", "language": "zh-hans", "payment_terms_days": 30}
    assert event.after == {"tax_id": VALID_USCC, "language": "fr", "payment_terms_days": 45}


def test_a_wrong_tax_id_is_refused_and_changes_nothing(client_for, staff_users, customer_a):
    client = client_for(staff_users["admin"])
    url = reverse("web:customer_edit", args=[customer_a.tenant_id])
    bad = VALID_USCC[:17] + ("0" if VALID_USCC[17] != "0" else "1")
    response = client.post(
        url,
        {"tax_id": bad, "language": "en", "currency": "CNY", "payment_terms_days": "10"},
    )
    assert response.status_code == 200
    assert "check character is wrong" in response.content.decode()
    customer_a.refresh_from_db()
    assert customer_a.tax_id == "" and customer_a.language == "zh-hans"
    assert not AuditEvent.objects.filter(action="customer.billing_settings_changed").exists()


def test_edit_form_enforces_csrf(staff_users, customer_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_users["admin"])
    url = reverse("web:customer_edit", args=[customer_a.tenant_id])
    data = {"tax_id": "", "language": "en", "currency": "CNY", "payment_terms_days": "10"}
    assert client.post(url, data).status_code == 403
    customer_a.refresh_from_db()
    assert customer_a.language == "zh-hans"
    client.get(url)
    data["csrfmiddlewaretoken"] = client.cookies["csrftoken"].value
    assert client.post(url, data).status_code == 302


def test_unknown_customer_is_404(client_for, staff_users):
    url = reverse("web:customer_detail", args=["00000000-0000-0000-0000-000000000000"])
    assert client_for(staff_users["admin"]).get(url).status_code == 404


def test_role_constant_values_match():
    assert {r.value for r in Role} == {*STAFF, "customer"}
