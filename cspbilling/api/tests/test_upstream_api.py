"""What 21Vianet bills us, over the API: invoices, lines, payables, payments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from cspbilling.api.tests.fixtures import STAFF
from cspbilling.api.tests.helpers import assert_problem, get, post
from cspbilling.audit.models import AuditEvent
from cspbilling.upstream.models import UpstreamInvoice, UpstreamPayment
from cspbilling.upstream.services import do_import_reconciliation_file
from cspbilling.upstream.tests.fixtures import (
    LICENSE_HEADER,
    TENANT_A,
    TENANT_B,
    license_row,
    write_csv,
)

pytestmark = pytest.mark.django_db
INVOICE = "D02005YFHI"
READS = [
    "/upstream/invoices",
    f"/upstream/invoices/{INVOICE}",
    f"/upstream/invoices/{INVOICE}/lines",
]


@pytest.mark.parametrize("path", [*READS, "/upstream/payables"])
def test_role_matrix_for_reads(path, tokens, imported_invoice):
    allowed = STAFF if path != "/upstream/payables" else ["admin", "finance"]
    for role in STAFF:
        response = get(path, tokens[role])
        if role in allowed:
            assert response.status_code == 200, (role, response.content)
        else:
            assert_problem(response, 403)
    # The partner's costs: a portal user's token never sees them, not even that they exist.
    assert_problem(get(path, tokens["portal"]), 403)
    assert_problem(get(path), 401)


def test_invoice_list_filters_and_money_as_text(tokens, imported_invoice):
    body = get("/upstream/invoices", tokens["readonly"]).json()
    assert body["count"] == 1
    (item,) = body["items"]
    assert item == {
        "invoice_id": INVOICE,
        "invoice_date": "2024-03-01",
        "due_date": "2024-03-31",
        "billing_period_start": "2024-02-01",
        "billing_period_end": None,
        "currency": "CNY",
        "status": "open",
        "amount": "958.77",
        "paid": "0.00",
        "balance": "958.77",
        "sum_check": "ok",
        "lines_count": 3,
        "revision": 0,
    }
    assert get("/upstream/invoices", tokens["readonly"], period="2024-02").json()["count"] == 1
    assert get("/upstream/invoices", tokens["readonly"], period="2024-03").json()["count"] == 0
    assert get("/upstream/invoices", tokens["readonly"], status="paid").json()["count"] == 0
    assert_problem(get("/upstream/invoices", tokens["readonly"], period="2024-13"), 422)
    assert_problem(get("/upstream/invoices", tokens["readonly"], status="late"), 422)


def test_invoice_detail_has_due_date_balance_and_sum_check(tokens, imported_invoice):
    body = get(f"/upstream/invoices/{INVOICE}", tokens["support"]).json()
    assert body["due_date"] == "2024-03-31" and body["days_to_due"] < 0
    assert body["total_charges"] == "958.77" and body["lines_total"] == "958.77"
    assert body["lines_tax"] == "54.27" and body["difference"] == "0.00"
    assert body["balance"] == "958.77" and body["sum_check"] == "ok"
    assert body["unknown"]["unknown_customers"] == sorted([TENANT_A, TENANT_B])
    assert body["payments"] == []
    assert_problem(get("/upstream/invoices/NOPE", tokens["support"]), 404)


def test_a_mismatching_total_is_reported(tokens, tmp_path):
    path = write_csv(tmp_path / "one.csv", LICENSE_HEADER, [license_row(1, invoice="INV-M")])
    do_import_reconciliation_file(path=path, actor="t", invoice_total=Decimal("300.00"))
    body = get("/upstream/invoices/INV-M", tokens["admin"]).json()
    assert body["sum_check"] == "mismatch"
    assert (body["amount"], body["lines_total"], body["difference"]) == (
        "300.00",
        "319.59",
        "-19.59",
    )


def test_lines_carry_normalised_fields_and_every_column_as_written(tokens, imported_invoice):
    body = get(f"/upstream/invoices/{INVOICE}/lines", tokens["readonly"]).json()
    assert body["lines_count"] == 3 and body["next_after"] is None
    first, second, third = body["items"]
    assert first["line_number"] == 2 and first["kind"] == "license"
    assert first["customer_tenant_id"] == TENANT_A and first["currency"] == "CNY"
    assert (first["unit_price"], first["quantity"]) == ("100.50", "3")
    assert (first["amount"], first["tax"], first["total"]) == ("301.50", "18.09", "319.59")
    assert list(first["source"]) == LICENSE_HEADER
    assert first["source"]["Currency"] == "元" and first["source"]["UnitPrice"] == "100.50"
    assert second["source"]["CustomerName"] == "广州汇达网络有限公司, 分公司"
    assert second["source"]["CustomerId"] == TENANT_B
    assert third["source"]["SubscriptionDescription"] == 'says "hello"\nsecond line, with comma'


def test_lines_keyset_paging_returns_every_line_once(tokens, tmp_path):
    rows = [license_row(i, invoice="INV-K") for i in range(1, 8)]
    do_import_reconciliation_file(
        path=write_csv(tmp_path / "k.csv", LICENSE_HEADER, rows), actor="t"
    )
    seen, after, pages = [], 0, 0
    while after is not None:
        page = get("/upstream/invoices/INV-K/lines", tokens["finance"], after=after, limit=3).json()
        seen += [line["source"]["OrderId"] for line in page["items"]]
        after, pages = page["next_after"], pages + 1
    assert seen == [f"ord{i}" for i in range(1, 8)] and pages == 3
    last = get("/upstream/invoices/INV-K/lines", tokens["finance"], limit=7).json()
    assert len(last["items"]) == 7 and last["next_after"] is not None
    assert (
        get("/upstream/invoices/INV-K/lines", tokens["finance"], after=last["next_after"]).json()[
            "items"
        ]
        == []
    )
    assert_problem(get("/upstream/invoices/INV-K/lines", tokens["finance"], limit=2001), 422)


def test_payables_age_per_currency_and_list_what_is_due_soon(tokens, tmp_path):
    today = timezone.localdate()
    soon = write_csv(tmp_path / "s.csv", LICENSE_HEADER, [license_row(1, invoice="SOON")])
    late = write_csv(tmp_path / "l.csv", LICENSE_HEADER, [license_row(2, invoice="LATE")])
    do_import_reconciliation_file(path=soon, actor="t", invoice_date=today - dt.timedelta(days=25))
    do_import_reconciliation_file(path=late, actor="t", invoice_date=today - dt.timedelta(days=75))
    body = get("/upstream/payables", tokens["finance"], days=7).json()
    assert body["today"] == today.isoformat() and body["days"] == 7
    (cny,) = body["aging"]
    assert cny["currency"] == "CNY" and cny["total"] == "639.18"
    assert cny["buckets"] == {
        "current": "319.59",
        "1-30": "0.00",
        "31-60": "319.59",
        "61-90": "0.00",
        "90+": "0.00",
    }
    (due,) = body["due_within"]
    assert due["invoice_id"] == "SOON" and due["days_to_due"] == 5 and due["balance"] == "319.59"
    assert [row["invoice_id"] for row in body["open"]] == ["LATE", "SOON"]
    assert get("/upstream/payables", tokens["finance"], days=3).json()["due_within"] == []


def _nothing_changed(before: tuple[int, int]) -> bool:
    return (UpstreamPayment.objects.count(), AuditEvent.objects.count()) == before


def test_payment_is_recorded_with_its_audit_event(tokens, imported_invoice):
    body = {"amount": "100.00", "paid_on": "2024-03-20", "reference": "BANK-1"}
    response = post(f"/upstream/invoices/{INVOICE}/payments", tokens["finance"], body)
    assert response.status_code == 201, response.content
    payment = response.json()
    assert payment["amount"] == "100.00" and payment["currency"] == "CNY"
    assert payment["recorded_by"] == "staff-finance" and payment["invoice_id"] == INVOICE
    event = AuditEvent.objects.get(action="upstream.payment.recorded")
    assert event.actor == "staff-finance" and event.after["reference"] == "BANK-1"
    detail = get(f"/upstream/invoices/{INVOICE}", tokens["readonly"]).json()
    assert detail["paid"] == "100.00" and detail["balance"] == "858.77"
    assert [p["reference"] for p in detail["payments"]] == ["BANK-1"]
    # The rest, confirmed as an overpayment, pays the invoice.
    rest = {"amount": "1,000.00", "paid_on": "2024-03-21", "reference": "BANK-2"}
    response = post(
        f"/upstream/invoices/{INVOICE}/payments",
        tokens["admin"],
        {**rest, "confirm_overpayment": True, "currency": "元"},
    )
    assert response.status_code == 201
    assert UpstreamInvoice.objects.get().status == "paid"


@pytest.mark.parametrize(
    "change, status, words",
    [
        ({"amount": "12.3x"}, 422, "amount"),
        ({"amount": 100.5}, 422, "amount"),
        ({"amount": "10.005"}, 422, "amount"),
        ({"amount": "-5"}, 422, "amount"),
        ({"amount": "0.00"}, 409, "positive"),
        ({"reference": "  "}, 422, "reference"),
        ({"paid_on": "yesterday"}, 422, "paid_on"),
        ({"currency": "USD"}, 409, "not USD"),
        ({"reference": "BANK-1"}, 409, "already recorded"),
        ({"amount": "958.78"}, 409, "confirm to record an overpayment"),
    ],
)
def test_refused_payments_change_nothing(change, status, words, tokens, imported_invoice):
    url = f"/upstream/invoices/{INVOICE}/payments"
    ok = {"amount": "10.00", "paid_on": "2024-03-20", "reference": "BANK-1"}
    assert post(url, tokens["finance"], ok).status_code == 201
    before = (UpstreamPayment.objects.count(), AuditEvent.objects.count())
    problem = assert_problem(
        post(url, tokens["finance"], {**ok, "reference": "B2", **change}), status
    )
    assert words in problem["detail"]
    assert _nothing_changed(before)


def test_payment_role_matrix(tokens, imported_invoice):
    url = f"/upstream/invoices/{INVOICE}/payments"
    body = {"amount": "10.00", "paid_on": "2024-03-20", "reference": "R"}
    for who in ["support", "readonly", "portal"]:
        assert_problem(post(url, tokens[who], body), 403)
    assert_problem(post(url, None, body), 401)
    assert_problem(post("/upstream/invoices/NOPE/payments", tokens["finance"], body), 404)
    assert UpstreamPayment.objects.count() == 0
