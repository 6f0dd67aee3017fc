"""Test data for the console, the portal and the API: customers, subscriptions, people, tokens.

Registered in the root conftest's pytest_plugins.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from cspbilling.accounts import services as account_services
from cspbilling.accounts.models import Role
from cspbilling.customers.models import BillingContact, Customer
from cspbilling.subscriptions.models import Subscription

TEST_PASSWORD = "Correct-Horse-Battery-42"
STAFF_ROLE_VALUES = (Role.ADMIN, Role.FINANCE, Role.SUPPORT, Role.READ_ONLY)


@pytest.fixture
def make_customer(db):
    """make_customer(company_name="Contoso", **fields) -> Customer (ORM, no sync)."""
    counter = iter(range(1, 10_000))

    def make(company_name: str | None = None, **fields) -> Customer:
        n = next(counter)
        name = company_name or f"Customer {n}"
        slug = "".join(ch for ch in name.lower() if ch.isalnum())[:30] or f"c{n}"
        fields.setdefault("tenant_id", uuid.uuid4())
        fields.setdefault("domain", f"{slug}.partner.onmschina.cn")
        fields.setdefault("country", "CN")
        fields.setdefault("last_synced_at", timezone.now())
        return Customer.objects.create(company_name=name, **fields)

    return make


@pytest.fixture
def make_subscription(db):
    """make_subscription(customer, offer_name="Microsoft 365 E3", **fields) -> Subscription."""

    def make(customer: Customer, offer_name: str = "Microsoft 365 E3", **fields) -> Subscription:
        fields.setdefault("subscription_id", str(uuid.uuid4()))
        fields.setdefault("offer_id", "CFQ7TTC0LFLZ")
        fields.setdefault("quantity", 10)
        fields.setdefault("unit_type", "Licenses")
        fields.setdefault("status", "active")
        fields.setdefault("billing_cycle", "monthly")
        fields.setdefault("term_duration", "P1Y")
        fields.setdefault("commitment_end_date", timezone.now() + timedelta(days=200))
        fields.setdefault("effective_start_date", timezone.now() - timedelta(days=165))
        fields.setdefault("auto_renew_enabled", True)
        return Subscription.objects.create(customer=customer, offer_name=offer_name, **fields)

    return make


@pytest.fixture
def fast_password_hasher(settings):
    """Tests hash many passwords; the production hasher is slow on purpose."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_user(db, fast_password_hasher):
    """make_user(role, customer=None, username=None, password=TEST_PASSWORD) -> User."""
    counter = iter(range(1, 10_000))

    def make(role: str, customer: Customer | None = None, username: str | None = None, **kw):
        return account_services.do_create_user(
            username=username or f"{role}{next(counter)}",
            password=kw.pop("password", TEST_PASSWORD),
            role=role,
            customer=customer,
            **kw,
        )

    return make


@pytest.fixture
def customer_a(make_customer, make_subscription) -> Customer:
    """Contoso China with an active, a suspended and an annual subscription, and a contact."""
    customer = make_customer(
        "Contoso China", legal_name="上海康托索科技有限公司", language="zh-hans"
    )
    BillingContact.objects.create(
        customer=customer,
        first_name="Li",
        last_name="Wei",
        email="li.wei@contoso.cn",
        is_primary=True,
        from_partner_center=True,
    )
    make_subscription(customer, "Microsoft 365 E3", subscription_id="sub-a-e3", quantity=25)
    make_subscription(
        customer,
        "Office 365 E1",
        subscription_id="sub-a-e1",
        status="suspended",
        suspension_reasons=["credit"],
    )
    make_subscription(
        customer,
        "Power BI Pro",
        subscription_id="sub-a-pbi",
        billing_cycle="annual",
        quantity=5,
    )
    return customer


@pytest.fixture
def customer_b(make_customer, make_subscription) -> Customer:
    """Fabrikam, a second customer whose data customer A's users must never see."""
    customer = make_customer("Fabrikam Shenzhen", language="en")
    make_subscription(customer, "Exchange Online Plan 1", subscription_id="sub-b-exo")
    return customer


@pytest.fixture
def staff_users(make_user) -> dict[str, object]:
    """One user per staff role, keyed by role value (admin, finance, support, readonly)."""
    return {
        role.value: make_user(role.value, username=f"staff-{role.value}")
        for role in STAFF_ROLE_VALUES
    }


@pytest.fixture
def portal_user_a(make_user, customer_a):
    return make_user(Role.CUSTOMER, customer=customer_a, username="portal-a")


@pytest.fixture
def portal_user_b(make_user, customer_b):
    return make_user(Role.CUSTOMER, customer=customer_b, username="portal-b")


@pytest.fixture
def client_for(db):
    """client_for(user) -> a django.test.Client signed in as that user."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def api_token_for(db):
    """api_token_for(user, name="tests") -> the raw bearer token."""

    def make(user, name: str = "tests") -> str:
        _token, raw = account_services.do_issue_api_token(user=user, name=name)
        return raw

    return make
