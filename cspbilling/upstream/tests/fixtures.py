"""Fixtures for upstream tests: reconciliation files written the way Partner Center writes them."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from cspbilling.upstream.columns import LICENSE_COLUMNS_GLOBAL

LICENSE_HEADER = list(LICENSE_COLUMNS_GLOBAL)
# The 21Vianet edition: other spelling, other order, no BillingCycleType, currency 元.
VIANET_HEADER = [
    "PartnerID",
    "CustomerID",
    "CustomerName",
    "MPNID",
    "ResellerMPNID",
    "OrderID",
    "SubscriptionID",
    "SyndicationPartnerSubscriptionNumber",
    "OfferID",
    "DurableOfferID",
    "OfferName",
    "SubscriptionStartDate",
    "SubscriptionEndDate",
    "ChargeStartDate",
    "ChargeEndDate",
    "ChargeType",
    "UnitPrice",
    "Quantity",
    "Amount",
    "TotalOtherDiscount",
    "Subtotal",
    "Tax",
    "TotalForCustomer",
    "Currency",
    "DomainName",
    "SubscriptionName",
    "SubscriptionDescription",
]
USAGE_HEADER = [
    "PartnerId",
    "PartnerName",
    "PartnerBillableAccountId",
    "CustomerCompanyName",
    "MpnId",
    "ResellerMpnId",
    "InvoiceNumber",
    "ChargeStartDate",
    "ChargeEndDate",
    "SubscriptionId",
    "SubscriptionName",
    "SubscriptionDescription",
    "OrderId",
    "ServiceName",
    "ServiceType",
    "ResourceGuid",
    "ResourceName",
    "Region",
    "SKU",
    "DetailLineItemId",
    "ConsumedQuantity",
    "IncludedQuantity",
    "OverageQuantity",
    "ListPrice",
    "PretaxCharges",
    "TaxAmount",
    "PostTaxTotal",
    "Currency",
    "PretaxEffectiveRate",
    "PostTaxEffectiveRate",
    "ChargeType",
    "CustomerId",
    "DomainName",
    "BillingCycleType",
    "Unit",
    "CustomerBillableAccount",
]

TENANT_A = "3c6f1b2e-8e0b-4f7b-9a57-6f1e2d3c4b5a"
TENANT_B = "7d2a9c41-1f3e-4c5b-8a6d-0e9f8a7b6c5d"


def license_row(
    i: int,
    *,
    tenant=TENANT_A,
    name="北京星辰科技有限公司",
    qty=3,
    price="100.50",
    tax="18.09",
    currency="元",
    invoice="D02005YFHI",
    charge="Cycle fee",
) -> dict:
    amount = f"{qty * float(price):.2f}"
    total = f"{float(amount) + float(tax):.2f}"
    return {
        "PartnerId": "9f3e8d7c-0000-4000-8000-000000000001",
        "CustomerId": tenant,
        "CustomerName": name,
        "MpnId": "6011234",
        "ResellerMpnId": "",
        "OrderId": f"ord{i}",
        "SubscriptionId": f"usCBMgAAAAAAAA{i:02d}",
        "SyndicationPartnerSubscriptionNumber": f"a1b2c3d4-0000-0000-0000-{i:012d}",
        "OfferId": "MS-AZR-0001",
        "DurableOfferId": "CFQ7TTC0LF8Q",
        "OfferName": "Office 365 E3",
        "SubscriptionStartDate": "2024-01-01",
        "SubscriptionEndDate": "2025-01-01",
        "ChargeStartDate": "2024-02-01",
        "ChargeEndDate": "2024-02-29",
        "ChargeType": charge,
        "UnitPrice": price,
        "Quantity": str(qty),
        "Amount": amount,
        "TotalOtherDiscount": "0",
        "Subtotal": amount,
        "Tax": tax,
        "TotalForCustomer": total,
        "Currency": currency,
        "DomainName": "xc.partner.onmschina.cn",
        "SubscriptionName": "E3",
        "SubscriptionDescription": "",
        "BillingCycleType": "Monthly",
        "InvoiceNumber": invoice,
    }


def usage_row(i: int, *, tenant=TENANT_B, invoice="D02005USG1") -> dict:
    return {
        "PartnerId": "p",
        "PartnerName": "合作伙伴",
        "PartnerBillableAccountId": "b1",
        "CustomerCompanyName": "上海云海数据有限公司",
        "MpnId": "1",
        "ResellerMpnId": "",
        "InvoiceNumber": invoice,
        "ChargeStartDate": "2/1/2024",
        "ChargeEndDate": "2/29/2024",
        "SubscriptionId": f"5e6f7a8b-0000-0000-0000-{i:012d}",
        "SubscriptionName": "Azure",
        "SubscriptionDescription": "",
        "OrderId": "o",
        "ServiceName": "Virtual Machines",
        "ServiceType": "D2 v3",
        "ResourceGuid": "r",
        "ResourceName": "vm",
        "Region": "China East 2",
        "SKU": "D2v3",
        "DetailLineItemId": str(i),
        "ConsumedQuantity": "10.5",
        "IncludedQuantity": "0.5",
        "OverageQuantity": "10",
        "ListPrice": "1.234567",
        "PretaxCharges": "12.35",
        "TaxAmount": "0.74",
        "PostTaxTotal": "13.09",
        "Currency": "CNY",
        "PretaxEffectiveRate": "1.235",
        "PostTaxEffectiveRate": "1.309",
        "ChargeType": "Assess usage fee for current cycle",
        "CustomerId": tenant,
        "DomainName": "yh.partner.onmschina.cn",
        "BillingCycleType": "Monthly",
        "Unit": "Hours",
        "CustomerBillableAccount": "cba",
    }


def write_csv(
    path: Path,
    header: list[str],
    rows: list[dict],
    *,
    bom=True,
    crlf=True,
    encoding="utf-8",
    delimiter=",",
) -> Path:
    """The rows as CSV; `encoding` and `delimiter` as Excel writes them in other locales."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n" if crlf else "\n", delimiter=delimiter)
    writer.writerow(header)
    for row in rows:
        lower = {k.lower(): v for k, v in row.items()}
        writer.writerow([lower.get(h.lower(), "") for h in header])
    text = ("\ufeff" if bom else "") + buffer.getvalue()
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def license_file(tmp_path) -> Path:
    rows = [license_row(i) for i in range(1, 4)]
    rows[1]["CustomerName"] = "广州汇达网络有限公司, 分公司"
    rows[1]["CustomerId"] = TENANT_B
    rows[2]["SubscriptionDescription"] = 'says "hello"\nsecond line, with comma'
    return write_csv(tmp_path / "license.csv", LICENSE_HEADER, rows)


def use_upload_dir(settings, folder: Path) -> None:
    """Keep uploaded files in `folder` (the `uploads` storage's location) for this test."""
    settings.STORAGES = {
        **settings.STORAGES,
        "uploads": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(folder)},
        },
    }
