"""Every edition and file type partners download: the 21Vianet 2016 license edition (customer
numbers), the 21Vianet usage spellings, usage lines matched through learned billing ids, and
files we do not import said for what they are.

Files are built from the column lists of the documents (`columns.py`, which follows
`shared/partner-center.md` §4) with the documents' sample values.
"""

from __future__ import annotations

import csv
import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from cspbilling.audit.models import AuditEvent
from cspbilling.upstream import discrepancies
from cspbilling.upstream.columns import (
    DAILY_RATED_USAGE_COLUMNS,
    LICENSE_COLUMNS_VIANET_2016,
    LICENSE_COLUMNS_VIANET_2018,
    USAGE_COLUMNS_GLOBAL,
    USAGE_COLUMNS_VIANET_2016,
    USAGE_COLUMNS_VIANET_2018,
)
from cspbilling.upstream.models import (
    BillingSubscriptionMapping,
    CustomerNumberMapping,
    ImportBatch,
    UpstreamLineItem,
)
from cspbilling.upstream.services import ImportRejected, do_import_reconciliation_file
from cspbilling.upstream.services.matching import do_map_customer_number
from cspbilling.upstream.tests.fixtures import license_row, usage_row, write_csv

pytestmark = pytest.mark.django_db(transaction=True)

OPERATING_UNIT = "8ddd03642-test-test-test-46b58d356b4e"  # the page's sample value
NUMBER_A, NUMBER_B = "123456789", "987654321"
CHARGES_2016 = ("CYCLE_FEE", "PURCHASE_FEE", "CANCEL_INSTANCEPRORATE", "OFFSET_LINEITEM")


def read_rows(path):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def row_2016(i: int, *, number=NUMBER_A, charge="CYCLE_FEE", amount="100.00") -> dict:
    tax = (Decimal(amount) * Decimal("0.06")).quantize(Decimal("0.01"))
    return {
        "OperatingUnit": OPERATING_UNIT,
        "CustomerNumber": number,
        "OrderID": f"56689060483273{i:04d}",
        "SubscriptionID": f"usCBMgAAAAAAAA{i:02d}",
        "SyndicationPartnerSubscriptionNumber": f"a1b2c3d4-2016-0000-0000-{i:012d}",
        "OfferID": "MS-AZR-0001",
        "DurableOfferID": "CFQ7TTC0LF8Q",
        "OfferName": "Office 365 企业版 E3",
        "SubscriptionStartDate": "2/1/2015",
        "SubscriptionEndDate": "2/1/2016",
        "ChargeStartDate": "2/1/2015",
        "ChargeEndDate": "2/28/2015",
        "ChargeType": charge,
        "UnitPrice": "50.00",
        "Quantity": "2",
        "Amount": amount,
        "TotalOtherDiscount": "0",
        "Subtotal": amount,
        "Tax": str(tax),
        "TotalForCustomer": str(Decimal(amount) + tax),
        "Currency": "CNY",
        "CustomerName": "北京星辰科技有限公司",
        "MPNID": "4390934",
        "ResellerMPNID": "4390934",
    }


@pytest.fixture
def file_2016(tmp_path):
    rows = [
        row_2016(1, charge="CYCLE_FEE"),
        row_2016(2, charge="PURCHASE_FEE", amount="33.33"),
        row_2016(3, number=NUMBER_B, charge="CANCEL_INSTANCEPRORATE", amount="-12.50"),
        row_2016(4, number=NUMBER_B, charge="OFFSET_LINEITEM", amount="-0.01"),
    ]
    return write_csv(tmp_path / "recon-2016.csv", list(LICENSE_COLUMNS_VIANET_2016), rows)


def test_the_documented_editions_have_their_documented_columns():
    assert len(LICENSE_COLUMNS_VIANET_2018) == 27 and len(LICENSE_COLUMNS_VIANET_2016) == 24
    assert LICENSE_COLUMNS_VIANET_2016[:3] == ("OperatingUnit", "CustomerNumber", "OrderID")
    assert LICENSE_COLUMNS_VIANET_2016[-3:] == ("CustomerName", "MPNID", "ResellerMPNID")
    assert "CustomerID" not in LICENSE_COLUMNS_VIANET_2016
    assert "BillingCycleType" not in LICENSE_COLUMNS_VIANET_2018
    for usage in (USAGE_COLUMNS_VIANET_2018, USAGE_COLUMNS_VIANET_2016):
        assert "Resource Name" in usage and "ResourceGUID" in usage and "CustomerName" in usage
        assert "BillingCycleType" not in usage and "Unit" not in usage
        assert "CustomerCompanyName" not in usage
    assert USAGE_COLUMNS_VIANET_2018[-4:] == ("Project", "ServiceInfo", "CustomerID", "DomainName")
    assert USAGE_COLUMNS_VIANET_2016[-1] == "CustomerID"
    assert len(DAILY_RATED_USAGE_COLUMNS) == 52


def test_2016_edition_imports_keeping_every_column_and_lists_unmapped_numbers(file_2016):
    batch = do_import_reconciliation_file(path=file_2016, actor="test", invoice_id="D02005YFHI")
    assert batch.status == ImportBatch.Status.IMPORTED
    lines = list(UpstreamLineItem.objects.order_by("line_number"))
    assert [line.source_columns for line in lines] == read_rows(file_2016)
    assert [line.customer_number for line in lines] == [NUMBER_A, NUMBER_A, NUMBER_B, NUMBER_B]
    assert all(line.customer_tenant_id is None for line in lines)
    assert [line.charge_type for line in lines] == list(CHARGES_2016)
    assert sum(line.amount for line in lines) == Decimal("120.82")
    assert lines[0].subscription_id == "a1b2c3d4-2016-0000-0000-000000000001"
    assert lines[0].billing_subscription_id == "usCBMgAAAAAAAA01"
    (item,) = batch.summary["invoices"]
    assert item["unmapped_customer_numbers"] == [NUMBER_A, NUMBER_B]
    assert item["unknown_customers_count"] == 0  # no tenant id: nothing to call unknown


def test_mapping_a_number_later_attributes_its_lines_without_reimport(file_2016, make_customer):
    do_import_reconciliation_file(path=file_2016, actor="test", invoice_id="D02005YFHI")
    period = dt.date(2015, 2, 1)
    rows = discrepancies.unbilled_upstream_charges(period=period)
    assert {r["customer_number"] for r in rows} == {NUMBER_A, NUMBER_B}
    assert all(r["customer_tenant_id"] is None for r in rows)
    assert all(f"customer number {r['customer_number']} is not mapped" in r["reason"] for r in rows)

    customer = make_customer("北京星辰科技有限公司")
    do_map_customer_number(customer=customer, customer_number=NUMBER_A, actor="fin")

    rows = discrepancies.unbilled_upstream_charges(period=period)
    mapped = [r for r in rows if r["customer_number"] == NUMBER_A]
    other = [r for r in rows if r["customer_number"] == NUMBER_B]
    assert mapped and all(
        uuid.UUID(str(r["customer_tenant_id"])) == customer.tenant_id for r in mapped
    )
    assert all(r["reason"].startswith("not billed yet") for r in mapped)
    assert all("not mapped" in r["reason"] for r in other)
    assert sum(r["amount"] for r in mapped) == Decimal("141.33")  # 100 + 6 + 33.33 + 2


def test_a_number_belongs_to_one_customer_and_every_change_is_audited(make_customer):
    first, second = make_customer("A"), make_customer("B")
    do_map_customer_number(customer=first, customer_number=" 123456789 ", actor="fin")
    events = AuditEvent.objects.filter(action="upstream.customer_number.mapped")
    assert events.count() == 1 and events.get().after == {"customer_number": NUMBER_A}
    with pytest.raises(ValidationError, match="already mapped to A"):
        do_map_customer_number(customer=second, customer_number=NUMBER_A, actor="fin")
    with pytest.raises(ValidationError, match="not a customer number"):
        do_map_customer_number(customer=second, customer_number="12a", actor="fin")
    assert list(CustomerNumberMapping.objects.values_list("customer_number", "customer")) == [
        (NUMBER_A, first.pk)
    ]
    assert events.count() == 1


def test_finance_maps_a_number_on_the_customer_page_support_cannot(
    client_for, staff_users, customer_a
):
    page = reverse("web:customer_detail", args=[customer_a.tenant_id])
    url = reverse("upstream:customer_numbers", args=[customer_a.tenant_id])
    support = client_for(staff_users["support"])
    assert b'id="customer-number-form"' not in support.get(page).content
    assert support.post(url, {"customer_number": NUMBER_A}).status_code == 403
    assert not CustomerNumberMapping.objects.exists()

    finance = client_for(staff_users["finance"])
    assert b'id="customer-number-form"' in finance.get(page).content
    shown = finance.post(url, {"customer_number": NUMBER_A}, follow=True).content.decode()
    assert NUMBER_A in shown
    assert CustomerNumberMapping.objects.get().customer == customer_a
    finance.post(url, {"customer_number": NUMBER_A, "remove": "1"})
    assert not CustomerNumberMapping.objects.exists()
    assert AuditEvent.objects.filter(action="upstream.customer_number.unmapped").count() == 1


def test_a_number_of_another_customer_is_refused_on_the_page(
    client_for, staff_users, customer_a, customer_b
):
    do_map_customer_number(customer=customer_b, customer_number=NUMBER_A, actor="fin")
    url = reverse("upstream:customer_numbers", args=[customer_a.tenant_id])
    shown = client_for(staff_users["admin"]).post(url, {"customer_number": NUMBER_A}, follow=True)
    assert "already mapped to Fabrikam Shenzhen" in shown.content.decode()
    assert CustomerNumberMapping.objects.get().customer == customer_b


def _usage_file(tmp_path, header, rows, name="usage.csv"):
    return write_csv(tmp_path / name, list(header), rows)


def _vianet_usage_row(i, *, tenant, billing_id, invoice="D02005USG1"):
    row = usage_row(i, tenant=tenant, invoice=invoice)
    row["SubscriptionId"] = billing_id
    row["CustomerName"] = row.pop("CustomerCompanyName")
    row["ResourceGUID"] = row.pop("ResourceGuid")
    row["Resource Name"] = row.pop("ResourceName")
    row.update(UsageDate="2/3/2024", MeteredRegion="China East 2", Project="p", ServiceInfo="")
    return row


@pytest.mark.parametrize("header", [USAGE_COLUMNS_VIANET_2018, USAGE_COLUMNS_VIANET_2016])
def test_vianet_usage_spellings_import_with_every_column(tmp_path, header):
    tenant = str(uuid.uuid4())
    rows = [_vianet_usage_row(i, tenant=tenant, billing_id=f"cnCBMg{i:010d}") for i in (1, 2)]
    path = _usage_file(tmp_path, header, rows)
    batch = do_import_reconciliation_file(path=path, actor="test")
    assert batch.status == ImportBatch.Status.IMPORTED and batch.kind == "usage"
    lines = list(UpstreamLineItem.objects.order_by("line_number"))
    assert [line.source_columns for line in lines] == read_rows(path)
    assert lines[0].source_columns["Resource Name"] == "vm"
    assert lines[0].customer_name == "上海云海数据有限公司"
    assert str(lines[0].customer_tenant_id) == tenant


def test_usage_lines_match_through_billing_ids_learned_from_license_files(
    tmp_path, make_customer, make_subscription
):
    customer = make_customer("Yunhai")
    tenant = str(customer.tenant_id)
    subs = [make_subscription(customer, f"Office {i}") for i in (1, 2)]
    license_rows = [license_row(i, tenant=tenant) for i in (1, 2)]
    for row, sub in zip(license_rows, subs, strict=True):
        row["SyndicationPartnerSubscriptionNumber"] = sub.subscription_id
    usage_rows = [
        usage_row(i, tenant=tenant) | {"SubscriptionId": f"usCBMgAAAAAAAA{i:02d}"} for i in (1, 2)
    ]
    usage = _usage_file(tmp_path, USAGE_COLUMNS_GLOBAL, usage_rows)

    before = do_import_reconciliation_file(path=usage, actor="test")
    (item,) = before.summary["invoices"]
    assert item["unknown_subscriptions_count"] == 2  # nothing learned yet, no usage subscription

    lic = write_csv(tmp_path / "license.csv", list(license_rows[0]), license_rows)
    do_import_reconciliation_file(path=lic, actor="test")

    usage_rows[0]["PretaxCharges"] = "12.36"  # another issue of the usage file
    usage_rows[0]["PostTaxTotal"] = "13.10"
    usage = _usage_file(tmp_path, USAGE_COLUMNS_GLOBAL, usage_rows, name="usage-2.csv")
    after = do_import_reconciliation_file(path=usage, actor="test")
    (item,) = after.summary["invoices"]
    assert item["unknown_subscriptions_count"] == 0
    assert item["subscriptions_matched"]["billing id learned from a license-based file"] == 2
    assert dict(
        BillingSubscriptionMapping.objects.values_list("billing_subscription_id", "subscription_id")
    ) == {"usCBMgAAAAAAAA01": subs[0].subscription_id, "usCBMgAAAAAAAA02": subs[1].subscription_id}


def test_usage_line_matches_the_customers_one_usage_subscription(
    tmp_path, make_customer, make_subscription
):
    azure, late = make_customer("Azure user"), make_customer("Azure since 2025")
    since = dt.datetime(2023, 6, 1, tzinfo=dt.UTC)
    make_subscription(azure, "Microsoft Azure", billing_type="usage", effective_start_date=since)
    make_subscription(azure, "Office 365 E3", billing_type="license", effective_start_date=since)
    make_subscription(  # not live in February 2024, the file's period
        late,
        "Microsoft Azure",
        billing_type="usage",
        effective_start_date=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
    )
    stranger = str(uuid.uuid4())
    rows = [
        usage_row(1, tenant=str(azure.tenant_id)) | {"SubscriptionId": "cnCBMg0000000001"},
        usage_row(2, tenant=stranger) | {"SubscriptionId": "cnCBMg0000000002"},
        usage_row(3, tenant=str(late.tenant_id)) | {"SubscriptionId": "cnCBMg0000000003"},
    ]
    batch = do_import_reconciliation_file(
        path=_usage_file(tmp_path, USAGE_COLUMNS_GLOBAL, rows), actor="test"
    )
    (item,) = batch.summary["invoices"]
    rule = "the customer's one usage-based subscription in the period"
    assert item["subscriptions_matched"][rule] == 1
    assert item["unknown_subscriptions"] == ["cnCBMg0000000002", "cnCBMg0000000003"]
    assert item["unknown_customers"] == [stranger]


def test_a_daily_rated_usage_file_is_named_and_refused(tmp_path):
    row = {name: "" for name in DAILY_RATED_USAGE_COLUMNS} | {
        "CustomerId": str(uuid.uuid4()),
        "ProductId": "DZH318Z0BQ3Q",
        "SkuId": "0001",
        "AvailabilityId": "DZH318Z0BQ3Q",
        "UsageDate": "2/3/2024",
        "MeterId": "5c2b5e7a-0000-0000-0000-000000000001",
        "Quantity": "24",
        "BillingPreTaxTotal": "1.2345",
        "BillingCurrency": "CNY",
    }
    path = write_csv(tmp_path / "daily.csv", list(DAILY_RATED_USAGE_COLUMNS), [row])
    with pytest.raises(ImportRejected) as refused:
        do_import_reconciliation_file(path=path, actor="test", invoice_id="D02005YFHI")
    message = str(refused.value)
    assert "daily-rated usage files are not imported" in message
    assert "one-time / new commerce reconciliation file" in message
    assert "missing" not in message and not UpstreamLineItem.objects.exists()


def test_an_unknown_header_names_the_closest_edition_and_what_it_misses(tmp_path):
    header = [c for c in LICENSE_COLUMNS_VIANET_2018 if c != "SyndicationPartnerSubscriptionNumber"]
    row = {name: "x" for name in header}
    path = write_csv(tmp_path / "cut.csv", header, [row])
    with pytest.raises(ImportRejected) as refused:
        do_import_reconciliation_file(path=path, actor="test", invoice_id="D02005YFHI")
    assert (
        "closest is the license-based (21Vianet 2018) file, which also has "
        "SyndicationPartnerSubscriptionNumber"
    ) in str(refused.value)


def test_a_2016_line_without_customer_number_is_refused_naming_row_and_column(tmp_path):
    rows = [row_2016(1), row_2016(2, number="")]
    path = write_csv(tmp_path / "recon-2016.csv", list(LICENSE_COLUMNS_VIANET_2016), rows)
    with pytest.raises(ImportRejected) as refused:
        do_import_reconciliation_file(path=path, actor="test", invoice_id="D02005YFHI")
    assert refused.value.problems.items[0]["row"] == 3
    assert refused.value.problems.items[0]["column"] == "CustomerNumber"
    assert "a value is required" in str(refused.value)
    assert not UpstreamLineItem.objects.exists()


def test_2016_cycle_fees_count_as_recurring_in_the_quantity_check(
    file_2016, make_customer, make_subscription
):
    customer = make_customer("北京星辰科技有限公司")
    make_subscription(
        customer, "Office 365 E3", subscription_id="a1b2c3d4-2016-0000-0000-000000000001"
    )  # 10 seats in the mirror, 2 billed by the CYCLE_FEE line
    do_import_reconciliation_file(path=file_2016, actor="test", invoice_id="D02005YFHI")
    (row,) = discrepancies.quantity_differences(period=dt.date(2015, 2, 1))
    assert (row["billed_quantity"], row["mirror_quantity"]) == (2, 10)


def test_the_command_says_which_customer_numbers_to_map(file_2016, capsys):
    call_command("upstream", "import", str(file_2016), "--invoice", "D02005YFHI", "--no-progress")
    out = capsys.readouterr().out
    assert f"2 customer numbers not mapped to a customer yet (e.g. {NUMBER_A}, {NUMBER_B})" in out
