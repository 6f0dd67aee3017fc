"""Credit notes and fapiaos over the API: finance credits and records, staff read, a portal
token reads only its customer's issued credit notes and sees its invoices' fapiao status."""

from __future__ import annotations

import pytest

from cspbilling.api.tests.helpers import assert_problem, get, post
from cspbilling.invoicing.models import CreditNote

pytestmark = pytest.mark.django_db
NUMBER = "26332000000012345678"


def test_finance_credits_a_line_and_the_portal_reads_only_its_own(
    tokens, issued_invoice, customer_a, customer_b
):
    mine = issued_invoice(("100", "-20"), customer=customer_a)
    theirs = issued_invoice(("70",), customer=customer_b)
    negative = mine.lines.get(subscription_id="sub-1")
    body = {
        "reason": "Refund of a cancel fee",
        "lines": [{"invoice_line_id": negative.pk, "amount": "-5"}],
    }
    for role in ("support", "readonly", "portal"):
        assert_problem(post(f"/invoices/{mine.pk}/credit-notes", tokens[role], body), 403)
    refused = post(f"/invoices/{mine.pk}/credit-notes", tokens["finance"], body)
    assert_problem(refused, 409)  # crediting a negative line gives back a negative total
    assert "positive total" in refused.json()["detail"]
    whole = post(f"/invoices/{mine.pk}/credit-notes", tokens["finance"], {"reason": "Cancelled"})
    assert whole.status_code == 201, whole.content
    assert whole.json() | {"status": "issued", "total": "84.80", "invoice_number": mine.number} == (
        whole.json()
    )
    their_note = post(
        f"/invoices/{theirs.pk}/credit-notes", tokens["admin"], {"reason": "x", "issue": False}
    ).json()
    assert their_note["status"] == "draft" and their_note["number"] is None

    portal = get("/credit-notes", tokens["portal"]).json()
    assert [n["number"] for n in portal["items"]] == [whole.json()["number"]]
    assert_problem(get(f"/credit-notes/{their_note['id']}", tokens["portal"]), 404)
    assert get(f"/credit-notes/{whole.json()['id']}/pdf", tokens["portal"])["Content-Type"] == (
        "application/pdf"
    )
    lines = get(f"/credit-notes/{whole.json()['id']}/lines", tokens["portal"]).json()
    assert sorted(line["net"] for line in lines) == ["-20.00", "100.00"]
    invoice = get(f"/invoices/{mine.pk}", tokens["portal"]).json()
    assert invoice["credited"] == "84.80"


def test_an_overcredit_is_a_409_naming_the_line_and_credits_nothing(tokens, issued_invoice):
    invoice = issued_invoice(("100",))
    line = invoice.lines.get()
    over = {"reason": "x", "lines": [{"invoice_line_id": line.pk, "amount": "100.01"}]}
    answer = post(f"/invoices/{invoice.pk}/credit-notes", tokens["finance"], over)
    assert_problem(answer, 409)
    assert f"line {line.pk}" in answer.json()["detail"]
    twice = {"reason": "x", "lines": [{"invoice_line_id": line.pk, "amount": "1"}] * 2}
    assert_problem(post(f"/invoices/{invoice.pk}/credit-notes", tokens["finance"], twice), 409)
    float_amount = {"reason": "x", "lines": [{"invoice_line_id": line.pk, "amount": 1.5}]}
    assert_problem(
        post(f"/invoices/{invoice.pk}/credit-notes", tokens["finance"], float_amount), 422
    )
    assert CreditNote.objects.count() == 0


def test_drafts_are_issued_or_discarded_once(tokens, issued_invoice):
    invoice = issued_invoice(("100",))
    draft = post(
        f"/invoices/{invoice.pk}/credit-notes", tokens["finance"], {"reason": "r", "issue": False}
    ).json()
    issued = post(f"/credit-notes/{draft['id']}/issue", tokens["finance"])
    assert issued.status_code == 200 and issued.json()["number"].startswith("CN-")
    assert_problem(post(f"/credit-notes/{draft['id']}/issue", tokens["finance"]), 409)
    assert_problem(
        post(f"/credit-notes/{draft['id']}/discard", tokens["finance"], {"reason": "no"}), 409
    )


def test_fapiao_requested_listed_and_recorded_and_the_portal_sees_its_status(
    tokens, issued_invoice, customer_a
):
    invoice = issued_invoice(("100",), customer=customer_a)
    assert_problem(
        post(f"/invoices/{invoice.pk}/fapiao", tokens["support"], {"kind": "general"}), 403
    )
    special = post(f"/invoices/{invoice.pk}/fapiao", tokens["finance"], {"kind": "special"})
    assert_problem(special, 409)  # customer A has no unified social credit code
    made = post(f"/invoices/{invoice.pk}/fapiao", tokens["finance"], {"kind": "general"})
    assert made.status_code == 201 and made.json()["total"] == "106.00"
    pending = get("/fapiao", tokens["readonly"], status="requested").json()
    assert [f["invoice_number"] for f in pending] == [invoice.number]
    assert_problem(get("/fapiao", tokens["portal"]), 403)
    bad = post(
        f"/fapiao/{made.json()['id']}/issued",
        tokens["finance"],
        {"number": "123", "issued_on": "2026-11-05"},
    )
    assert_problem(bad, 409)
    done = post(
        f"/fapiao/{made.json()['id']}/issued",
        tokens["finance"],
        {"number": NUMBER, "issued_on": "2026-11-05"},
    )
    assert done.status_code == 200 and done.json()["status"] == "issued"
    seen = get(f"/invoices/{invoice.pk}", tokens["portal"]).json()["fapiao"]
    assert seen == {
        "kind": "general",
        "status": "issued",
        "number": NUMBER,
        "issued_on": "2026-11-05",
    }
