"""Lenient, exact parsing of what Partner Center sends."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from cspbilling.partnercenter.http import loads
from cspbilling.partnercenter.resources import (
    BillingCycle,
    Customer,
    Invoice,
    LicenseLineItem,
    ServiceRequest,
    ServiceRequestStatus,
    Subscription,
    SubscriptionStatus,
    line_item_model,
)


def test_names_any_case_enums_any_case_or_int_and_unknown_fields_kept():
    sub = Subscription.model_validate(
        {
            "Id": "s1",
            "OFFERNAME": "Office 365 E3",
            "status": "Suspended",
            "billingCycle": 2,
            "SuspensionReasons": ["PartnerInitiated", "SomethingNew"],
            "attributes": {"Etag": "abc", "objectType": "Subscription"},
            "brandNewField": {"x": 1},
        }
    )
    assert sub.offer_name == "Office 365 E3"
    assert sub.status is SubscriptionStatus.SUSPENDED
    assert sub.billing_cycle is BillingCycle.ANNUAL
    assert sub.suspension_reasons == ["PartnerInitiated", "SomethingNew"]
    assert sub.etag == "abc"
    assert sub.model_extra == {"brandNewField": {"x": 1}}
    assert sub.raw["OFFERNAME"] == "Office 365 E3"

    sr = ServiceRequest.model_validate({"id": 616122292874576, "status": "AttentionNeeded"})
    assert sr.id == "616122292874576"
    assert sr.status is ServiceRequestStatus.ATTENTION_NEEDED
    assert ServiceRequest.model_validate({"id": "1", "status": 3}).status == "attention_needed"


def test_unknown_enum_value_is_an_error_naming_the_field():
    with pytest.raises(ValidationError) as caught:
        Subscription.model_validate({"id": "s1", "status": "frozen"})
    assert caught.value.errors()[0]["loc"] == ("status",)


def test_amounts_are_exact_decimals_and_document_type_is_free_text():
    text = (
        '{"id": "D02005YFHI", "totalCharges": 1234567.89, "paidAmount": -0.10,'
        ' "currencyCode": "cny", "documentType": "Credit Note",'
        ' "invoiceDetails": [{"invoiceLineItemType": "BillingLineItems",'
        ' "billingProvider": "Office"}], "invoiceDate": "2026-03-01T00:00:00Z"}'
    )
    invoice = Invoice.model_validate(loads(text))
    assert invoice.total_charges == Decimal("1234567.89")
    assert invoice.paid_amount == Decimal("-0.10")
    assert invoice.currency_code == "CNY"
    assert invoice.document_type == "Credit Note"
    assert invoice.invoice_details[0].billing_provider == "office"
    assert invoice.invoice_date.date() == date(2026, 3, 1)
    # Even a float-parsed answer does not pick up binary noise.
    assert Invoice.model_validate(json.loads(text)).total_charges == Decimal("1234567.89")


def test_license_line_keeps_every_column_and_normalises_currency():
    raw = loads(
        '{"CustomerID": "c1", "ChargeType": "Cycle fee", "Amount": 0.1, "UnitPrice": 0.1,'
        ' "Quantity": 1, "Currency": "元", "ChargeStartDate": "2/1/2026",'
        ' "ChargeEndDate": "2026-02-28T23:59:59Z", "SyndicationPartnerSubscriptionNumber": "s1",'
        ' "SubscriptionID": "usCBMgAAAAAAAAIA", "ResellerMPNID": "123", "Weird": 1.50}'
    )
    line = LicenseLineItem.model_validate(raw)
    assert line.amount == Decimal("0.1")
    assert line.currency == "CNY"
    assert (line.charge_start_date, line.charge_end_date) == (date(2026, 2, 1), date(2026, 2, 28))
    assert line.syndication_partner_subscription_number == "s1"
    assert line.subscription_id == "usCBMgAAAAAAAAIA"
    assert line.reseller_mpn_id == "123"
    assert line.raw["Weird"] == Decimal("1.50")
    assert line_item_model("AZURE", "billinglineitems").__name__ == "UsageLineItem"


def test_customer_requires_a_company_name():
    with pytest.raises(ValidationError) as caught:
        Customer.model_validate({"id": "c", "companyProfile": {"domain": "x"}})
    assert caught.value.errors()[0]["loc"] == ("companyProfile", "companyName")
