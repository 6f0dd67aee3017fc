"""/admin/: a read-only window on the raw tables, for administrators only."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_an_administrator_sees_every_table_read_only_and_no_secret(
    staff_users, client_for, customer_a
):
    client = client_for(staff_users["admin"])
    index = client.get(reverse("admin:index")).content.decode()
    for table in ("Customers", "Subscriptions", "Audit events", "Sync runs", "Users"):
        assert table in index
    assert "addlink" not in index and "changelink" not in index
    customer_page = client.get(
        reverse("admin:customers_customer_change", args=[customer_a.pk])
    ).content.decode()
    assert "Contoso China" in customer_page and 'name="_save"' not in customer_page
    assert client.get(reverse("admin:customers_customer_add")).status_code == 403
    delete = client.post(reverse("admin:customers_customer_delete", args=[customer_a.pk]))
    assert delete.status_code == 403
    user = staff_users["finance"]
    user_page = client.get(reverse("admin:accounts_user_change", args=[user.pk])).content.decode()
    assert user.username in user_page and user.password not in user_page
    assert "pbkdf2" not in user_page


@pytest.mark.parametrize("role", ["finance", "support", "readonly"])
def test_other_staff_roles_are_sent_to_sign_in(staff_users, client_for, role):
    response = client_for(staff_users[role]).get(reverse("admin:index"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_a_portal_user_never_reaches_the_admin(portal_user_a, client_for):
    client = client_for(portal_user_a)
    response = client.get(reverse("admin:customers_customer_changelist"))
    assert response.status_code == 302
