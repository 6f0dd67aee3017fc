"""Our invoices over the API: staff see all, a portal token its customer's issued invoices only;
finance runs billing and issues; every line names the reconciliation rows it bills."""

from __future__ import annotations

import datetime as dt

import pytest

from cspbilling.api.tests.fixtures import STAFF
from cspbilling.api.tests.helpers import BASE, assert_problem, get, post
from cspbilling.invoicing.services import do_create_price_rule
from cspbilling.invoicing.tasks import billing_run
from cspbilling.invoicing.tests.upstream_lines import add_lines, upstream_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def october(customer_a, customer_b, cloud):
    invoice, batch = upstream_invoice(dt.date(2026, 10, 1))
    ids = add_lines(
        invoice,
        batch,
        [
            {"tenant": customer_a.tenant_id, "amount": "100", "subscription": "a"},
            {"tenant": customer_a.tenant_id, "amount": "50", "subscription": "a"},
            {"tenant": customer_b.tenant_id, "amount": "70", "subscription": "b"},
        ],
    )
    do_create_price_rule(
        actor="t",
        name="all",
        method="percent",
        percent="10",
        tax_category=cloud,
        effective_from=dt.date(2026, 1, 1),
    )
    return ids


def bill(token, period="2026-10"):
    """Ask for a run (202), then do the worker's part here; the run's status."""
    accepted = post("/billing-runs", token, {"period": period})
    assert accepted.status_code == 202, accepted.content
    billing_run.call(accepted.json()["id"])
    return get(accepted.json()["status_url"].removeprefix(BASE), token).json()


def test_a_run_is_accepted_then_the_worker_runs_it_and_its_status_has_the_summary(tokens, october):
    from django_tasks_db.models import DBTaskResult

    response = post("/billing-runs", tokens["finance"], {"period": "2026-10", "dry_run": True})
    assert response.status_code == 202, response.content
    accepted = response.json()
    assert accepted["status"] == "queued" and accepted["dry_run"] is True
    assert accepted["status_url"] == f"{BASE}/billing-runs/{accepted['id']}"
    assert response["Location"] == accepted["status_url"]
    assert DBTaskResult.objects.get().args_kwargs["args"] == [accepted["id"]]  # same transaction
    queued = get(f"/billing-runs/{accepted['id']}", tokens["finance"]).json()
    assert queued["status"] == "queued" and queued["summary"] == {}
    assert queued["progress"]["stage"] is None and queued["progress"]["stages"] == 5
    busy = post("/billing-runs", tokens["admin"], {"period": "2026-10"})
    assert "is queued: wait until it ends" in assert_problem(busy, 409)["detail"]

    billing_run.call(accepted["id"])  # the worker's part, run here

    done = get(f"/billing-runs/{accepted['id']}", tokens["finance"]).json()
    assert done["status"] == "succeeded" and done["error"] == ""
    assert done["summary"]["billed_lines"] == 3 and done["summary"]["invoices"] == 2
    assert done["started_at"] and done["finished_at"] and done["requested_by"] == "staff-finance"
    assert bill(tokens["admin"])["summary"]["invoices"] == 2  # no longer busy
    assert_problem(get(f"/billing-runs/{accepted['id']}", tokens["support"]), 403)
    assert_problem(get("/billing-runs/424242", tokens["finance"]), 404)


def test_finance_runs_billing_and_issues_and_the_portal_sees_its_own(tokens, october, customer_a):
    for role in ("support", "readonly", "portal"):
        assert_problem(post("/billing-runs", tokens[role], {"period": "2026-10"}), 403)
    assert bill(tokens["finance"])["summary"]["billed_lines"] == 3
    drafts = get("/invoices", tokens["readonly"], status="draft").json()["items"]
    assert len(drafts) == 2 and all(d["number"] is None for d in drafts)
    assert get("/invoices", tokens["portal"]).json()["count"] == 0  # drafts are ours
    mine = next(d for d in drafts if d["customer_tenant_id"] == str(customer_a.tenant_id))
    lines = get(f"/invoices/{mine['id']}/lines", tokens["support"]).json()
    assert lines[0]["net"] == "165.00" and lines[0]["upstream_line_ids"] == october[:2]
    assert_problem(post("/invoices/issue", tokens["support"], {"invoice_ids": [mine["id"]]}), 403)
    issued = post("/invoices/issue", tokens["finance"], {"invoice_ids": [mine["id"]]})
    assert issued.status_code == 200 and issued.json()[0]["number"].startswith("INV-")
    again = post("/invoices/issue", tokens["finance"], {"invoice_ids": [mine["id"]]})
    assert_problem(again, 409)
    portal = get("/invoices", tokens["portal"]).json()["items"]
    assert [i["id"] for i in portal] == [mine["id"]]
    portal_lines = get(f"/invoices/{mine['id']}/lines", tokens["portal"]).json()
    assert portal_lines[0]["upstream_line_ids"] is None  # the partner's cost stays ours
    pdf = get(f"/invoices/{mine['id']}/pdf", tokens["portal"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    other = next(d for d in drafts if d["id"] != mine["id"])
    assert_problem(get(f"/invoices/{other['id']}", tokens["portal"]), 404)
    assert_problem(get(f"/invoices/{other['id']}/pdf", tokens["portal"]), 404)


def test_every_staff_role_reads_invoices(tokens, october):
    bill(tokens["admin"])
    for role in STAFF:
        assert get("/invoices", tokens[role]).json()["count"] == 2


def test_bad_billing_run_requests_change_nothing(tokens, october):
    from cspbilling.invoicing.models import Invoice

    assert_problem(post("/billing-runs", tokens["finance"], {"period": "2026-13"}), 422)
    unknown = {"period": "2026-10", "customer_tenant_id": "00000000-0000-0000-0000-000000000001"}
    assert_problem(post("/billing-runs", tokens["finance"], unknown), 409)
    assert not Invoice.objects.exists()
    assert_problem(post("/invoices/issue", tokens["finance"], {"invoice_ids": [424242]}), 404)


def test_finance_discards_a_supplementary_draft_and_nothing_else(
    tokens, issued_invoice, customer_a
):
    """A supplementary draft (what 21Vianet's correction adds to an issued invoice) is
    discarded with why; a month's own draft, an issued invoice and a second discard are 409;
    other roles 403; a portal token never sees drafts (404)."""
    from cspbilling.audit.models import AuditEvent
    from cspbilling.invoicing.models import Invoice

    issued = issued_invoice(("100",), customer=customer_a)
    supplement = Invoice.objects.create(
        customer=customer_a,
        period=issued.period,
        currency=issued.currency,
        corrects=issued,
        billing_run=issued.billing_run,
        lines_count=1,
        subtotal_minor=1000,
        tax_minor=60,
        total_minor=1060,
    )
    path = f"/invoices/{supplement.pk}/discard"
    for role in ("support", "readonly"):
        assert_problem(post(path, tokens[role], {"reason": "absorbed"}), 403)
    assert_problem(post(path, tokens["portal"], {"reason": "absorbed"}), 403)
    assert_problem(post(path, tokens["finance"], {"reason": ""}), 422)
    shown = get(f"/invoices/{supplement.pk}", tokens["finance"]).json()
    assert (shown["status"], shown["corrects"]) == ("draft", issued.pk)
    assert_problem(post(path, tokens["finance"], {"reason": "a\x00b"}), 422)
    hostile = '=HYPERLINK("http://x/")\r\nsecond line / third'
    done = post(path, tokens["finance"], {"reason": hostile})
    assert done.status_code == 200, done.content
    assert (done.json()["status"], done.json()["corrects"]) == ("discarded", issued.pk)
    event = AuditEvent.objects.get(action="invoice.discarded")  # one line, kept as written
    assert event.after["why"] == '=HYPERLINK("http://x/") second line / third'
    again = post(path, tokens["admin"], {"reason": "twice"})  # a double submit
    assert_problem(again, 409)
    assert "not a draft" in again.json()["detail"]
    assert AuditEvent.objects.filter(action="invoice.discarded").count() == 1
    refused = post(f"/invoices/{issued.pk}/discard", tokens["finance"], {"reason": "no"})
    assert_problem(refused, 409)
    assert "rebuilt by each billing run" in refused.json()["detail"]
    listed = get("/invoices?status=discarded", tokens["finance"]).json()
    assert [item["id"] for item in listed["items"]] == [supplement.pk]
    assert_problem(get(f"/invoices/{supplement.pk}", tokens["portal"]), 404)
