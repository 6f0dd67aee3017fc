"""Price rules and customer groups over the API: roles, validation as problems, audit."""

from __future__ import annotations

import pytest

from cspbilling.api.tests.fixtures import STAFF
from cspbilling.api.tests.helpers import assert_problem, get, post, send
from cspbilling.audit.models import AuditEvent
from cspbilling.invoicing.models import PriceRule

pytestmark = pytest.mark.django_db
E3 = "CFQ7TTC0LFLZ"


def _body(**fields) -> dict:
    return {
        "name": "E3 for everyone",
        "offer_id": E3,
        "method": "percent",
        "percent": "8.5",
        "effective_from": "2026-01-01",
    } | fields


def test_staff_read_money_roles_write_and_portal_users_see_nothing(tokens):
    for role in STAFF:
        assert get("/price-rules", tokens[role]).status_code == 200
    assert_problem(get("/price-rules", tokens["portal"]), 403)
    for role in ("support", "readonly", "portal"):
        assert_problem(post("/price-rules", tokens[role], _body()), 403)
    assert PriceRule.objects.count() == 0
    created = post("/price-rules", tokens["finance"], _body())
    assert created.status_code == 201, created.content
    rule = created.json()
    assert (rule["percent"], rule["tax_rate"], rule["tax_category"]) == (
        "8.5",
        "0.06",
        "cloud-services",
    )
    assert AuditEvent.objects.filter(action="price_rule.created", actor="staff-finance").exists()


def test_a_customer_rule_is_listed_for_that_customer_and_wins_over_everyones(tokens, customer_a):
    post("/price-rules", tokens["finance"], _body())
    mine = post(
        "/price-rules",
        tokens["admin"],
        _body(name="Contoso E3", customer_tenant_id=str(customer_a.tenant_id), percent="-5"),
    ).json()
    listed = get("/price-rules", tokens["readonly"], customer_tenant_id=str(customer_a.tenant_id))
    assert [r["id"] for r in listed.json()["items"]] == [mine["id"]]
    everyone = get("/price-rules", tokens["readonly"]).json()["items"]
    assert mine["specificity"] > min(r["specificity"] for r in everyone)


@pytest.mark.parametrize(
    "fields, field, status",
    [
        ({"percent": 8.5}, "percent", 422),  # a JSON number: money and rates are text
        ({"percent": "8,5"}, "percent", 422),
        ({"name": "a\x00b"}, "name", 422),
        ({"name": "  "}, "name", 422),
        ({"percent": "-150"}, "percent", 409),
        ({"method": "unit_price", "unit_price": "10", "currency": ""}, "currency", 409),
        ({"tax_category": "food"}, "tax_category", 409),
        ({"group": "nobody"}, "group", 409),
        ({"customer_tenant_id": "00000000-0000-0000-0000-000000000001"}, "customer_tenant_id", 409),
        ({"effective_to": "2025-12-31"}, "effective_to", 409),
    ],
)
def test_a_bad_rule_is_a_problem_naming_the_field_and_saves_nothing(tokens, fields, field, status):
    problem = assert_problem(post("/price-rules", tokens["finance"], _body(**fields)), status)
    assert any(field in error["loc"] for error in problem["errors"]), problem
    assert PriceRule.objects.count() == 0


def test_a_rule_that_would_tie_is_refused_naming_the_other_rule(tokens):
    first = post("/price-rules", tokens["finance"], _body()).json()
    problem = assert_problem(post("/price-rules", tokens["finance"], _body(name="again")), 409)
    assert f"Rule #{first['id']}" in problem["detail"]
    assert PriceRule.objects.count() == 1


def test_ending_a_rule_by_patch_is_audited_and_leaves_the_rest(tokens):
    rule = post("/price-rules", tokens["finance"], _body()).json()
    changed = send(
        "PATCH", f"/price-rules/{rule['id']}", tokens["finance"], {"effective_to": "2026-06-30"}
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["effective_to"] == "2026-06-30" and changed.json()["percent"] == "8.5"
    event = AuditEvent.objects.get(action="price_rule.changed")
    assert event.after == {"effective_to": "2026-06-30"}
    assert_problem(
        send("PATCH", f"/price-rules/{rule['id']}", tokens["support"], {"name": "x"}), 403
    )
    assert_problem(send("PATCH", "/price-rules/999999", tokens["finance"], {"name": "x"}), 404)


def test_customers_are_grouped_and_the_group_is_audited(tokens, customer_a):
    group = post("/customer-groups", tokens["admin"], {"name": "Education"})
    assert group.status_code == 201
    assert_problem(post("/customer-groups", tokens["admin"], {"name": "education"}), 409)
    put = send(
        "PUT", f"/customers/{customer_a.tenant_id}/group", tokens["finance"], {"group": "Education"}
    )
    assert put.status_code == 200 and put.json()["customers"] == 1
    assert get("/customer-groups", tokens["readonly"]).json()[0]["customers"] == 1
    assert AuditEvent.objects.filter(action="customer.group_assigned").count() == 1
    removed = send(
        "PUT", f"/customers/{customer_a.tenant_id}/group", tokens["finance"], {"group": None}
    )
    assert removed.status_code == 200 and removed.json() is None
    customer_a.refresh_from_db()
    assert customer_a.group is None
