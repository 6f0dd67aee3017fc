"""Invoices and reconciliation lines from the sandbox: exact sums, references, paging."""

from __future__ import annotations

from decimal import Decimal

import httpx

from cspbilling.partnercenter.resources import LicenseLineItem, UsageLineItem

CHARGE_TYPES = {
    "Activation fee",
    "Cancel fee",
    "Cancel instance prorate",
    "Cycle fee",
    "Cycle instance prorate",
    "Prorate fees when cancel",
    "Prorate fees when convert away from current offering",
    "Prorate fees when convert to a new offering",
    "Prorate fees when purchase",
    "Prorate fee when renew",
    "Renew fee",
    "Prorate fees when activate",
}


def _lines(client, invoice):
    office = list(client.iter_invoice_line_items(invoice.id))
    azure = []
    if any(d.billing_provider == "azure" for d in invoice.invoice_details):
        azure = list(client.iter_invoice_line_items(invoice.id, provider="azure"))
    return office, azure


def test_invoice_totals_are_the_exact_sum_of_their_lines(pc_sandbox, pc_client):
    invoices = list(pc_client.iter_invoices())
    assert len(invoices) == 3
    customers = pc_sandbox.state.world.customers
    subscriptions = pc_sandbox.state.world.subscriptions
    saw_usage = False
    for invoice in invoices:
        office, azure = _lines(pc_client, invoice)
        saw_usage |= bool(azure)
        assert all(isinstance(line, LicenseLineItem) for line in office)
        assert all(isinstance(line, UsageLineItem) for line in azure)
        total = sum((li.total_for_customer for li in office), Decimal(0)) + sum(
            (u.post_tax_total for u in azure), Decimal(0)
        )
        assert isinstance(invoice.total_charges, Decimal)
        assert total == invoice.total_charges
        assert invoice.currency_code == "CNY"
        for line in office:
            assert line.charge_type in CHARGE_TYPES
            assert line.customer_id in customers
            assert line.syndication_partner_subscription_number in subscriptions[line.customer_id]
            assert line.subscription_id.startswith("usCB")
            assert line.raw["syndicationPartnerSubscriptionNumber"] == (
                line.syndication_partner_subscription_number
            )
            assert line.amount == line.unit_price * line.quantity or line.charge_type != "Cycle fee"
    assert saw_usage


def test_line_items_page_by_2000_over_a_bigger_invoice(pc_sandbox, pc_client):
    pc_sandbox.reset(customers=1200)
    invoice = next(pc_client.iter_invoices())
    expected = len(pc_sandbox.state.world.invoice_lines[invoice.id]["office"])
    assert expected > 2000

    lines = list(pc_client.iter_invoice_line_items(invoice.id, page_size=2000))

    assert len(lines) == expected
    calls = pc_sandbox.requests(f"/v1/invoices/{invoice.id}/lineitems")
    assert len(calls) == -(-expected // 2000)
    assert "size=2000" in calls[0]["query"] and "offset=2000" in calls[1]["query"]
    assert sum((li.total_for_customer for li in lines), Decimal(0)) == invoice.total_charges - sum(
        (u.post_tax_total for u in pc_client.iter_invoice_line_items(invoice.id, provider="azure")),
        Decimal(0),
    )


def test_older_path_form_serves_the_same_lines(pc_sandbox, pc_client):
    invoice = next(pc_client.iter_invoices())
    headers = {"Authorization": f"Bearer {pc_sandbox.token}"}
    old = httpx.get(
        f"{pc_sandbox.base_url}/v1/invoices/{invoice.id}/lineitems/Office/BillingLineItems",
        headers=headers,
    ).json()
    new = [li.raw for li in pc_client.iter_invoice_line_items(invoice.id)]
    assert old["items"][:5] == [
        {k: (float(v) if isinstance(v, Decimal) else v) for k, v in item.items()}
        for item in new[:5]
    ]


def test_get_invoice_has_a_pdf_link_and_summary_is_the_unpaid_balance(pc_sandbox, pc_client):
    latest = next(pc_client.iter_invoices())
    one = pc_client.get_invoice(latest.id)
    assert one.pdf_download_link and latest.pdf_download_link is None
    pdf = httpx.get(one.pdf_download_link, headers={"Authorization": f"Bearer {pc_sandbox.token}"})
    assert pdf.content.startswith(b"%PDF")

    summary = pc_client.get_invoice_summary()
    assert summary.balance_amount == latest.total_charges
    assert summary.last_payment_amount > 0


def test_credit_lands_on_the_next_invoice(pc_sandbox, pc_client):
    cid, subs = next(iter(pc_sandbox.state.world.subscriptions.items()))
    sid = next(iter(subs))
    queued = httpx.post(
        f"{pc_sandbox.base_url}/_sandbox/invoices",
        json={"kind": "credit", "customer_id": cid, "subscription_id": sid, "amount": "123.45"},
    )
    assert queued.status_code == 202
    issued = httpx.post(f"{pc_sandbox.base_url}/_sandbox/invoices", json={"kind": "invoice"})
    assert issued.status_code == 201

    invoices = list(pc_client.iter_invoices())
    assert len(invoices) == 4 and invoices[0].id == issued.json()["id"]
    office, azure = _lines(pc_client, invoices[0])
    credit = [li for li in office if li.amount == Decimal("-123.45")]
    assert len(credit) == 1
    assert credit[0].syndication_partner_subscription_number == sid
    assert credit[0].charge_type == "Cancel instance prorate"
    total = sum((li.total_for_customer for li in office), Decimal(0))
    total += sum((u.post_tax_total for u in azure), Decimal(0))
    assert total == invoices[0].total_charges
