"""Payments over the API: finance records, allocates, reverses and refunds; staff read; a
portal token reads only its own payments and balance."""

from __future__ import annotations

import pytest

from cspbilling.api.tests.helpers import assert_problem, get, post
from cspbilling.payments.models import Payment

pytestmark = pytest.mark.django_db


def _body(customer, **fields) -> dict:
    return {
        "customer_tenant_id": str(customer.tenant_id),
        "amount": "100.00",
        "received_on": "2026-11-20",
        "reference": "ICBC 0042",
    } | fields


def test_finance_records_and_reverses_and_the_portal_sees_its_own(
    tokens, issued_invoice, customer_a, customer_b
):
    mine = issued_invoice(("100",), customer=customer_a)
    issued_invoice(("100",), customer=customer_b)
    for role in ("support", "readonly", "portal"):
        assert_problem(post("/payments", tokens[role], _body(customer_a)), 403)
    paid = post("/payments", tokens["finance"], _body(customer_a, amount="120"))
    assert paid.status_code == 201, paid.content
    assert paid.json() | {"allocated": "106.00", "unallocated": "14.00", "status": "posted"} == (
        paid.json()
    )
    post("/payments", tokens["admin"], _body(customer_b))
    portal = get("/payments", tokens["portal"]).json()
    assert [p["id"] for p in portal["items"]] == [paid.json()["id"]]
    other = Payment.objects.get(customer=customer_b)
    assert_problem(get(f"/payments/{other.pk}", tokens["portal"]), 404)
    balance = get(f"/customers/{customer_a.tenant_id}/balance", tokens["portal"]).json()
    assert balance | {
        "balance": "-14.00",
        "open_invoices": "0.00",
        "credit_available": "14.00",
    } == (balance)
    assert_problem(get(f"/customers/{customer_b.tenant_id}/balance", tokens["portal"]), 404)

    reversed_ = post(
        f"/payments/{paid.json()['id']}/reverse", tokens["finance"], {"reason": "bounced"}
    )
    assert reversed_.json()["status"] == "reversed"
    assert_problem(
        post(f"/payments/{paid.json()['id']}/reverse", tokens["finance"], {"reason": "x"}), 409
    )
    assert get(f"/customers/{customer_a.tenant_id}/balance", tokens["support"]).json()[
        "balance"
    ] == ("106.00")
    assert mine.number


def test_money_that_does_not_fit_is_a_409_and_moves_nothing(tokens, issued_invoice, customer_a):
    invoice = issued_invoice(("100",), customer=customer_a)
    kept = post(
        "/payments", tokens["finance"], _body(customer_a, amount="50", allocate="none")
    ).json()
    assert kept["unallocated"] == "50.00"
    over = post(
        f"/payments/{kept['id']}/allocations",
        tokens["finance"],
        {"invoice_id": invoice.pk, "amount": "60"},
    )
    assert_problem(over, 409)
    assert "50.00 left to allocate" in over.json()["detail"]
    done = post(
        f"/payments/{kept['id']}/allocations",
        tokens["finance"],
        {"invoice_id": invoice.pk, "amount": "50"},
    )
    assert done.json()["unallocated"] == "0.00"
    assert_problem(post("/payments", tokens["finance"], _body(customer_a, amount=100.5)), 422)
    assert_problem(post("/payments", tokens["finance"], _body(customer_a, amount="0")), 409)
    refund = {"amount": "1", "refunded_on": "2026-11-21", "reason": "asked"}
    assert_problem(
        post(f"/customers/{customer_a.tenant_id}/refunds", tokens["finance"], refund), 409
    )
    assert Payment.objects.count() == 1


def test_a_bank_statement_over_the_api_and_its_review_queue(
    tokens, issued_invoice, customer_a, tmp_path
):
    from cspbilling.api.tests.helpers import ApiClient
    from cspbilling.payments.tests.test_statements import _icbc_csv

    invoice = issued_invoice(("100",), customer=customer_a)
    path = _icbc_csv(
        tmp_path / "s.csv",
        [
            ["2026-11-20", "R1", "某公司", "62220001", "", "30.00", "货款"],
            ["2026-11-20", "R2", "某公司", "62220001", "", "106.00", invoice.number],
        ],
    )

    def upload(token):
        with path.open("rb") as handle:
            return ApiClient().post(
                "/api/v1/bank-statements",
                {"account": "工行", "file": handle},
                headers={"Authorization": f"Bearer {token}"},
            )

    assert_problem(upload(tokens["support"]), 403)
    done = upload(tokens["finance"])
    assert done.status_code == 201, done.content
    assert done.json()["summary"]["matched"] == 1 and done.json()["encoding"] == "GB18030"
    queue = get("/bank-statements/lines", tokens["readonly"], status="unmatched").json()
    assert [line["payer_name"] for line in queue] == ["某公司"]
    assigned = post(
        f"/bank-statements/lines/{queue[0]['id']}/assign",
        tokens["finance"],
        {"customer_tenant_id": str(customer_a.tenant_id)},
    )
    assert assigned.json()["status"] == "assigned" and assigned.json()["payment_id"]
    assert_problem(
        post(
            f"/bank-statements/lines/{queue[0]['id']}/assign",
            tokens["finance"],
            {"customer_tenant_id": str(customer_a.tenant_id)},
        ),
        409,
    )
    assert upload(tokens["finance"]).json()["summary"]["already_imported"] == 2
