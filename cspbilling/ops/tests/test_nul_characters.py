"""A NUL character in an address is a clear 400 everywhere, never a 500 (PostgreSQL refuses it)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

CONSOLE_ADDRESSES = [
    "/console/customers/?q=con%00toso",
    "/console/audit/?actor=a%00b",
    "/console/audit/object/?object_type=customer&object_id=%00",
    "/console/upstream/invoices/D02%00/",
    "/console/upstream/?status=%00",
    "/console/subscriptions/abc%00/suspend/",
    "/console/customers/?q%00=x",
]


@pytest.mark.parametrize("address", CONSOLE_ADDRESSES)
def test_console_addresses_with_nul_are_refused_with_400(staff_users, client_for, address):
    response = client_for(staff_users["admin"]).get(address)
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()


def test_an_ordinary_search_still_works(staff_users, client_for, customer_a):
    response = client_for(staff_users["admin"]).get("/console/customers/?q=Contoso")
    assert response.status_code == 200 and "Contoso China" in response.content.decode()
