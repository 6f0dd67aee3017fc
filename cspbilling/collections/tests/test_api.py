"""Collections in the API: the restrict flag and the state per customer (staff: any customer;
a portal token: its own), and a dry run for finance (changes nothing)."""

from __future__ import annotations

import datetime as dt

import pytest

from cspbilling.api.tests.helpers import get, post
from cspbilling.collections.models import Action
from cspbilling.collections.tests.fixtures import clock, run_day

pytestmark = pytest.mark.django_db(transaction=True)

DUE = dt.date(2026, 4, 28)


def test_the_restrict_flag_and_the_state(
    tokens, customer_a, customer_b, overdue_invoice, default_policy, smtp_server
):
    invoice = overdue_invoice(DUE, customer=customer_a)
    tenant = customer_a.tenant_id
    flag = get(f"/collections/customers/{tenant}/restriction", tokens["support"]).json()
    assert flag == {
        "tenant_id": str(tenant),
        "restricted": False,
        "policy_version": None,
        "since": None,
    }
    run_day(dt.date(2026, 5, 11))
    flag = get(f"/collections/customers/{tenant}/restriction", tokens["portal"]).json()
    assert flag["restricted"] is True and flag["since"] == "2026-05-11"
    assert flag["policy_version"] == "Standard v1"
    with clock(dt.date(2026, 5, 12)):
        state = get(f"/collections/customers/{tenant}", tokens["readonly"]).json()
    assert state["overdue_amount"] == "106.00" and state["oldest_due_on"] == "2026-04-28"
    assert state["acknowledged"] is False and state["restricted"] is True
    assert [(s["day"], s["stage"]) for s in state["ahead"]] == [
        ("2026-05-21", "final-notice"),
        ("2026-06-04", "suspension"),
    ]
    assert {a["invoices"][0] for a in state["actions"]} == {invoice.number}
    # A portal token sees its own customer only.
    other = get(f"/collections/customers/{customer_b.tenant_id}", tokens["portal"])
    assert other.status_code == 404


def test_a_dry_run_is_for_finance_and_changes_nothing(
    tokens, customer_a, overdue_invoice, default_policy
):
    overdue_invoice(DUE, customer=customer_a)
    assert post("/collections/runs/dry-run", tokens["support"], {}).status_code == 403
    assert post("/collections/runs/dry-run", tokens["portal"], {}).status_code == 403
    out = post("/collections/runs/dry-run", tokens["finance"], {"as_of": "2026-05-11"}).json()
    assert out["dry_run"] is True
    assert out["counts"] == {"notify:done": 1, "notify:skipped": 1, "restrict:done": 1}
    assert Action.objects.count() == 0
    short = post(
        "/collections/runs/dry-run", tokens["finance"], {"as_of": "2026-05-11", "limit": 1}
    ).json()
    assert short["total"] == 3 and len(short["actions"]) == 1 and short["counts"] == out["counts"]
    too_many = post("/collections/runs/dry-run", tokens["finance"], {"limit": 10**6})
    assert too_many.status_code == 422 and "limit" in too_many.text
    far = post("/collections/runs/dry-run", tokens["finance"], {"as_of": "0001-01-01"})
    assert far.status_code == 422
