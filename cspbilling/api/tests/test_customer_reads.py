"""The customer list and one customer are written without the schema's models, from SQL compiled
once per user: the bytes must be those the schemas write, and each user must see its own set."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from cspbilling.accounts.models import Role
from cspbilling.api.api import api
from cspbilling.api.schemas.customers import CustomerOut, CustomerPage
from cspbilling.api.tests.helpers import get
from cspbilling.customers import selectors as customer_selectors

pytestmark = pytest.mark.django_db


def rendered(model) -> bytes:
    """What ninja writes for a schema's object."""
    return api.renderer.render(None, model.model_dump(), response_status=200).encode()


def expected_page(user, *, limit=50, offset=0, search="") -> bytes:
    """The page as the schemas write it, validated from the ORM's objects."""
    visible = customer_selectors.customers_for_user(user=user, query=search)
    page = CustomerPage(
        count=visible.count(),
        limit=limit,
        offset=offset,
        items=[CustomerOut.model_validate(c) for c in visible[offset : offset + limit]],
    )
    return rendered(page)


@pytest.fixture
def customers(make_customer, customer_a, customer_b):
    """Seven more, with dates with and without microseconds and none, names in two scripts."""
    now = timezone.now().replace(microsecond=123456)
    for n in range(7):
        make_customer(
            f"Customer {n} Trading",
            legal_name=f"客户 {n} 有限公司",
            last_synced_at=(now - dt.timedelta(days=n)).replace(microsecond=n * 1000 % 1_000_000)
            if n % 3
            else None,
        )
    return [customer_a, customer_b]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"limit": 3},
        {"limit": 3, "offset": 3},
        {"limit": 4, "offset": 7},
        {"offset": 500},
        {"search": "trading"},
        {"search": "客户", "limit": 2, "offset": 1},
        {"search": "   "},
    ],
)
def test_staff_pages_are_the_schemas_bytes(params, customers, staff_users, tokens):
    response = get("/customers", tokens["finance"], **params)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.content == expected_page(staff_users["finance"], **params)


def test_one_customer_is_the_schemas_bytes(customers, tokens):
    customer = customers[0]
    response = get(f"/customers/{customer.tenant_id}", tokens["readonly"])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.content == rendered(CustomerOut.model_validate(customer))
    # The tenant id is found however the path writes it.
    assert get(f"/customers/{customer.tenant_id.hex}", tokens["readonly"]).content == (
        response.content
    )


def test_each_user_sees_its_own_customers_from_one_process(
    customers, staff_users, portal_user_a, tokens, make_user, api_token_for
):
    customer_a, customer_b = customers
    for _ in range(2):  # the second time from the SQL compiled the first time
        assert get("/customers", tokens["support"]).json()["count"] == 9
        portal = get("/customers", tokens["portal"]).json()
        assert [item["tenant_id"] for item in portal["items"]] == [str(customer_a.tenant_id)]
        assert portal["count"] == 1
        assert get(f"/customers/{customer_b.tenant_id}", tokens["portal"]).status_code == 404
        assert get(f"/customers/{customer_a.tenant_id}", tokens["portal"]).status_code == 200
    assert get("/customers", tokens["portal"]).content == expected_page(portal_user_a)

    # A staff member made a portal user of customer B sees customer B only from then on.
    support = staff_users["support"]
    support.role, support.customer = Role.CUSTOMER, customer_b
    support.save()
    body = get("/customers", tokens["support"]).json()
    assert [item["tenant_id"] for item in body["items"]] == [str(customer_b.tenant_id)]
    assert get(f"/customers/{customer_a.tenant_id}", tokens["support"]).status_code == 404


def test_an_unknown_customer_is_a_404_problem(customers, tokens):
    response = get(f"/customers/{uuid.uuid4()}", tokens["finance"])
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
