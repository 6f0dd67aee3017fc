"""Payments in the console and the portal: finance records, allocates and reverses; every staff
role reads; a customer sees what it has left to pay, its credit and its payments, no one else's."""

from __future__ import annotations

import pytest

from cspbilling.payments import balances
from cspbilling.payments.models import Payment

pytestmark = pytest.mark.django_db
PAGE = "/console/payments/"


def _form(customer, **fields) -> dict:
    return {
        "customer": str(customer.tenant_id),
        "amount": "100",
        "currency": "CNY",
        "received_on": "2026-11-20",
        "method": "bank_transfer",
        "reference": "ICBC 0042",
        "allocate": "oldest",
    } | fields


def test_finance_records_a_payment_and_sees_what_it_paid(client_for, staff_users, issued_invoice):
    invoice = issued_invoice(("100",))
    finance = client_for(staff_users["finance"])
    done = finance.post(PAGE, _form(invoice.customer, amount="120"), follow=True)
    text = done.content.decode()
    assert "recorded" in text and invoice.number in text and "14.00" in text  # unallocated
    customer_page = finance.get(
        f"/console/customers/{invoice.customer.tenant_id}/"
    ).content.decode()
    assert "-14.00" in customer_page  # the balance: we owe it 14.00


def test_a_refused_payment_shows_why_and_records_nothing(client_for, staff_users, issued_invoice):
    invoice = issued_invoice(("100",))
    finance = client_for(staff_users["finance"])
    bad = finance.post(PAGE, _form(invoice.customer, amount="12.345"))
    assert bad.status_code == 400 and "not an amount in CNY" in bad.content.decode()
    nobody = _form(invoice.customer) | {"customer": "00000000-0000-0000-0000-000000000000"}
    unknown = finance.post(PAGE, nobody)
    assert "No customer has this tenant id" in unknown.content.decode()
    assert not Payment.objects.exists()


def test_readers_cannot_record_allocate_or_reverse(client_for, staff_users, issued_invoice):
    invoice = issued_invoice(("100",))
    finance = client_for(staff_users["finance"])
    finance.post(PAGE, _form(invoice.customer, allocate="none"))
    payment = Payment.objects.get()
    for role in ("support", "readonly"):
        client = client_for(staff_users[role])
        assert client.get(f"{PAGE}{payment.pk}/").status_code == 200
        assert client.post(PAGE, _form(invoice.customer)).status_code == 403
        assert client.post(f"{PAGE}{payment.pk}/reverse/", {"reason": "x"}).status_code == 403
        assert (
            client.post(
                f"{PAGE}{payment.pk}/allocate/", {"invoice": invoice.number, "amount": "1"}
            ).status_code
            == 403
        )
    allocated = finance.post(
        f"{PAGE}{payment.pk}/allocate/", {"invoice": invoice.number, "amount": "100"}, follow=True
    )
    assert f"Allocated to {invoice.number}" in allocated.content.decode()
    reversed_ = finance.post(f"{PAGE}{payment.pk}/reverse/", {"reason": "bounced"}, follow=True)
    assert "Reversed" in reversed_.content.decode() and balances.open_minor(invoice) == 10600


def test_the_portal_shows_what_is_left_to_pay_and_the_payments_received(
    client_for, portal_user_a, customer_a, customer_b, issued_invoice, staff_users
):
    mine = issued_invoice(("100",), customer=customer_a)
    theirs = issued_invoice(("100",), customer=customer_b)
    finance = client_for(staff_users["finance"])
    finance.post(PAGE, _form(customer_a, amount="50", reference="我的付款"))
    finance.post(PAGE, _form(customer_b, amount="70", reference="their payment"))
    page = client_for(portal_user_a).get("/portal/invoices/").content.decode()
    assert "待付金额" in page and "56.00 CNY" in page and "我的付款" in page
    assert "their payment" not in page and theirs.number not in page and mine.number in page


def test_finance_refunds_credit_from_the_statement_page_never_more_than_it_has(
    client_for, staff_users, issued_invoice
):
    invoice = issued_invoice(("100",))  # 106.00
    customer = invoice.customer
    finance = client_for(staff_users["finance"])
    finance.post(PAGE, _form(customer, amount="150"))  # 44.00 of credit
    statement = f"/console/payments/statements/{customer.tenant_id}/"
    page = finance.get(statement).content.decode()
    assert 'id="refund"' in page and "44.00" in page
    refund = {
        "amount": "30",
        "currency": "CNY",
        "refunded_on": "2026-11-21",
        "method": "bank_transfer",
        "reference": "OUT-1",
        "reason": "customer asked for its overpayment back",
    }
    too_much = finance.post(f"{statement}refund/", refund | {"amount": "44.01"}, follow=True)
    assert "Not refunded" in too_much.content.decode()
    assert balances.credit_minor(customer, "CNY") == 4400
    done = finance.post(f"{statement}refund/", refund, follow=True).content.decode()
    assert "recorded" in done and balances.credit_minor(customer, "CNY") == 1400
    no_reason = finance.post(f"{statement}refund/", refund | {"reason": ""}, follow=True)
    assert "Not refunded" in no_reason.content.decode()
    assert balances.credit_minor(customer, "CNY") == 1400
    reader = client_for(staff_users["readonly"])
    assert reader.post(f"{statement}refund/", refund).status_code == 403
    assert 'id="refund"' not in reader.get(statement).content.decode()
    assert balances.credit_minor(customer, "CNY") == 1400
