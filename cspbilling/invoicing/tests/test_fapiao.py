"""Fapiao requests: what the customer asks for, the number the tax system gave, red letters."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from cspbilling.audit.models import AuditEvent
from cspbilling.customers.services import do_update_customer_billing_settings
from cspbilling.invoicing import selectors
from cspbilling.invoicing.models import Fapiao
from cspbilling.invoicing.services import (
    FapiaoError,
    do_credit_invoice,
    do_record_fapiao_issued,
    do_request_fapiao,
)

USCC = "91350100M000100Y43"
NUMBER = "26332000000012345678"
NOV_5 = dt.date(2026, 11, 5)


def _special_buyer() -> dict:
    return {
        "company_name": "北京示例科技有限公司",
        "tax_id": USCC,
        "fapiao_kind": "special",
        "registered_address": "北京市海淀区示例路 1 号",
        "registered_phone": "010-12345678",
        "bank_name": "中国工商银行北京分行",
        "bank_account": "0200000000000000001",
    }


@pytest.mark.django_db
def test_issuing_requests_the_fapiao_the_customer_wants_with_its_tax_details(issued_invoice):
    invoice = issued_invoice(("100",), **_special_buyer())
    fapiao = selectors.fapiao_of(invoice)
    assert (fapiao.kind, fapiao.status) == ("special", "requested")
    row = selectors.fapiao_row(fapiao)
    assert (
        row
        | {
            "invoice_number": invoice.number,
            "net": "100.00",
            "tax": "6.00",
            "total": "106.00",
            "buyer_name": "北京示例科技有限公司",
            "buyer_tax_id": USCC,
            "buyer_address": "北京市海淀区示例路 1 号",
            "buyer_phone": "010-12345678",
            "buyer_bank_name": "中国工商银行北京分行",
            "buyer_bank_account": "0200000000000000001",
        }
        == row
    )
    assert AuditEvent.objects.filter(action="fapiao.requested").count() == 1
    assert AuditEvent.objects.get(action="invoice.issued").after["fapiao_requested"] == "special"
    nobody_asked = issued_invoice(("100",))
    assert selectors.fapiao_of(nobody_asked) is None


@pytest.mark.django_db
def test_a_special_fapiao_needs_a_valid_unified_social_credit_code(issued_invoice, make_customer):
    customer = make_customer()
    with pytest.raises(ValidationError, match="unified social credit code"):
        do_update_customer_billing_settings(customer=customer, actor="a", fapiao_kind="special")
    invoice = issued_invoice(("100",))
    with pytest.raises(FapiaoError, match="needs a valid unified social credit code"):
        do_request_fapiao(invoice=invoice, kind="special", actor="f")
    general = do_request_fapiao(invoice=invoice, kind="general", actor="f")
    assert general.kind == "general"
    with pytest.raises(FapiaoError, match="already has its fapiao request"):
        do_request_fapiao(invoice=invoice, kind="general", actor="f")


@pytest.mark.django_db
def test_recording_the_number_checks_it_and_keeps_what_was_issued(issued_invoice):
    invoice = issued_invoice(("100",), fapiao_kind="general")
    other = issued_invoice(("10",), fapiao_kind="general")
    fapiao = selectors.fapiao_of(invoice)
    for bad, why in (
        ("2633200000001234567", "20 digits"),
        ("2633200000001234567X", "20 digits"),
    ):
        with pytest.raises(FapiaoError, match=why):
            do_record_fapiao_issued(fapiao=fapiao, number=bad, issued_on=NOV_5, actor="f")
    with pytest.raises(FapiaoError, match="before the document"):
        do_record_fapiao_issued(
            fapiao=fapiao, number=NUMBER, issued_on=dt.date(2026, 11, 1), actor="f"
        )
    with pytest.raises(FapiaoError, match="in the future"):
        do_record_fapiao_issued(
            fapiao=fapiao, number=NUMBER, issued_on=dt.date(2099, 1, 1), actor="f"
        )
    do_record_fapiao_issued(fapiao=fapiao, number=f" {NUMBER} ", issued_on=NOV_5, actor="f")
    fapiao.refresh_from_db()
    assert (fapiao.status, fapiao.number, fapiao.net_minor, fapiao.tax_minor) == (
        "issued",
        NUMBER,
        10000,
        600,
    )
    with pytest.raises(FapiaoError, match=f"already recorded for {invoice.number}"):
        do_record_fapiao_issued(
            fapiao=selectors.fapiao_of(other), number=NUMBER, issued_on=NOV_5, actor="f"
        )


@pytest.mark.django_db
def test_a_credit_before_the_fapiao_lowers_it_and_one_after_asks_for_a_red_letter(
    issued_invoice,
):
    invoice = issued_invoice(("100", "50"), fapiao_kind="general")
    first_line = invoice.lines.get(subscription_id="sub-0")
    do_credit_invoice(invoice=invoice, reason="unused", actor="f", amounts={first_line.pk: "20"})
    fapiao = selectors.fapiao_of(invoice)
    assert selectors.fapiao_row(fapiao)["total"] == "137.80"  # 159.00 - 21.20
    assert Fapiao.objects.count() == 1  # nothing issued yet: no red letter
    do_record_fapiao_issued(fapiao=fapiao, number=NUMBER, issued_on=NOV_5, actor="f")

    partial = do_credit_invoice(
        invoice=invoice,
        reason="price",
        actor="f",
        amounts={first_line.pk: Decimal("30")},
        on=NOV_5,
    )
    red = Fapiao.objects.get(credit_note=partial)
    assert (red.kind, red.status, red.red_letter_of_id) == ("general", "requested", fapiao.pk)
    assert selectors.fapiao_row(red)["total"] == "-31.80"
    do_record_fapiao_issued(fapiao=red, number=NUMBER[:-1] + "0", issued_on=NOV_5, actor="f")
    fapiao.refresh_from_db()
    assert fapiao.status == "issued"  # reversed in part only

    rest = do_credit_invoice(invoice=invoice, reason="cancelled", actor="f", on=NOV_5)
    last = Fapiao.objects.get(credit_note=rest)
    do_record_fapiao_issued(fapiao=last, number=NUMBER[:-1] + "1", issued_on=NOV_5, actor="f")
    fapiao.refresh_from_db()
    assert fapiao.status == "red_lettered"
    assert AuditEvent.objects.filter(action="fapiao.red_lettered").count() == 1


@pytest.mark.django_db
def test_an_invoice_credited_in_full_before_its_fapiao_needs_none(issued_invoice):
    invoice = issued_invoice(("100",), fapiao_kind="general")
    do_credit_invoice(invoice=invoice, reason="cancelled", actor="f")
    with pytest.raises(FapiaoError, match="credited in full"):
        do_record_fapiao_issued(
            fapiao=selectors.fapiao_of(invoice), number=NUMBER, issued_on=NOV_5, actor="f"
        )
