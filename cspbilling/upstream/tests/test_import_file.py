"""Importing reconciliation files: formats, exactly once, all or nothing, sum check."""

from __future__ import annotations

import csv
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum

from cspbilling.audit.models import AuditEvent
from cspbilling.upstream.models import ImportBatch, UpstreamInvoice, UpstreamLineItem
from cspbilling.upstream.services import ImportRejected, do_import_reconciliation_file
from cspbilling.upstream.tests.fixtures import (
    LICENSE_HEADER,
    TENANT_A,
    USAGE_HEADER,
    VIANET_HEADER,
    license_row,
    usage_row,
    write_csv,
)

pytestmark = pytest.mark.django_db(transaction=True)


def read_rows(path):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def state() -> tuple:
    """Everything an import could change, to compare before and after."""
    lines = UpstreamLineItem.objects.aggregate(n=Sum("total_minor"), t=Sum("tax_minor"))
    return (
        UpstreamInvoice.objects.count(),
        UpstreamLineItem.objects.count(),
        lines["n"],
        lines["t"],
        list(UpstreamInvoice.objects.values_list("invoice_id", "lines_total_minor", "revision")),
        AuditEvent.objects.count(),
    )


def test_license_file_round_trips_with_every_column(license_file):
    batch = do_import_reconciliation_file(path=license_file, actor="test")
    assert batch.status == ImportBatch.Status.IMPORTED
    lines = list(UpstreamLineItem.objects.order_by("line_number"))
    assert [line.source_columns for line in lines] == read_rows(license_file)
    first = lines[0]
    assert first.line_number == 2
    assert str(first.customer_tenant_id) == TENANT_A
    assert first.subscription_id == "a1b2c3d4-0000-0000-0000-000000000001"
    assert first.billing_subscription_id == "usCBMgAAAAAAAA01"
    assert first.durable_offer_id == "CFQ7TTC0LF8Q"
    assert first.currency == "CNY"  # 元
    assert first.amount == Decimal("301.50") and first.quantity == Decimal("3")
    assert first.total_minor == 31959
    assert lines[1].customer_name == "广州汇达网络有限公司, 分公司"
    assert lines[2].source_columns["SubscriptionDescription"] == (
        'says "hello"\nsecond line, with comma'
    )
    invoice = UpstreamInvoice.objects.get()
    assert invoice.invoice_id == "D02005YFHI" and invoice.lines_count == 3
    assert invoice.lines_total_minor == 3 * 31959


def test_21vianet_spelling_without_invoice_column_needs_the_invoice_id(tmp_path):
    rows = [license_row(i) for i in range(1, 3)]
    path = write_csv(tmp_path / "cn.csv", list(reversed(VIANET_HEADER)) + ["Extra列"], rows)
    with pytest.raises(ImportRejected, match="row 2, column InvoiceNumber"):
        do_import_reconciliation_file(path=path, actor="test")
    batch = do_import_reconciliation_file(path=path, actor="test", invoice_id="D0200CN001")
    assert batch.status == ImportBatch.Status.IMPORTED
    line = UpstreamLineItem.objects.order_by("line_number").first()
    assert line.invoice.invoice_id == "D0200CN001"
    assert line.subscription_id == "a1b2c3d4-0000-0000-0000-000000000001"
    assert line.source_columns["CustomerID"] == TENANT_A
    assert "Extra列" in line.source_columns


def test_usage_file_round_trips(tmp_path):
    path = write_csv(tmp_path / "usage.csv", USAGE_HEADER, [usage_row(i) for i in range(3)])
    do_import_reconciliation_file(path=path, actor="test")
    lines = list(UpstreamLineItem.objects.order_by("line_number"))
    assert [line.source_columns for line in lines] == read_rows(path)
    assert lines[0].kind == "usage"
    assert lines[0].customer_name == "上海云海数据有限公司"
    assert lines[0].quantity == Decimal("10") and lines[0].unit_price == Decimal("1.234567")
    assert lines[0].charge_start.isoformat() == "2024-02-01"
    assert UpstreamInvoice.objects.get().lines_total_minor == 3 * 1309


def test_reimporting_the_same_file_changes_nothing(license_file):
    do_import_reconciliation_file(path=license_file, actor="test")
    before = state()
    again = do_import_reconciliation_file(path=license_file, actor="test")
    assert again.status == ImportBatch.Status.UNCHANGED
    assert state() == before
    # Same content, other spelling and line endings: still the same invoice content.
    rows = read_rows(license_file)
    lf = write_csv(license_file.with_name("lf.csv"), LICENSE_HEADER, rows, bom=False, crlf=False)
    assert do_import_reconciliation_file(path=lf, actor="t").status == ImportBatch.Status.UNCHANGED
    assert state() == before


def test_corrected_reissue_replaces_lines_and_audits_the_difference(tmp_path, license_file):
    do_import_reconciliation_file(path=license_file, actor="test")
    rows = read_rows(license_file)
    rows[0]["Quantity"], rows[0]["Amount"], rows[0]["TotalForCustomer"] = "4", "402.00", "420.09"
    rows.append(license_row(9))
    path = write_csv(tmp_path / "fixed.csv", LICENSE_HEADER, rows)
    batch = do_import_reconciliation_file(path=path, actor="finance")
    assert batch.summary["invoices"][0]["outcome"] == "replaced"
    invoice = UpstreamInvoice.objects.get()
    assert invoice.revision == 1 and invoice.lines_count == 4
    assert UpstreamLineItem.objects.count() == 4
    assert invoice.lines_total_minor == 42009 + 3 * 31959
    event = AuditEvent.objects.get(action="upstream.invoice.reissued")
    diff = event.context["diff"]
    assert diff["lines_before"] == 3 and diff["lines_after"] == 4
    assert diff["line_groups_added"] == 1 and diff["line_groups_changed"] == 1
    assert diff["total_after_minor"] - diff["total_before_minor"] == 42009 - 31959 + 31959


def _bad_extra_column(rows, path):
    text = path.read_bytes().split(b"\r\n")
    text[2] = text[2] + b",surplus"
    path.write_bytes(b"\r\n".join(text))


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        ("amount", "row 3, column Amount: '12,3x' is not a number"),
        ("currency", "row 3, column Currency: USD is not the invoice's currency CNY"),
        ("missing", "row 1, column TotalForCustomer: required column is missing"),
        ("columns", "has 30 columns, the header has 29"),
        ("date", "row 3, column ChargeStartDate: '2024-13-45' is not a date"),
        ("tenant", "row 3, column CustomerId: 'not-a-guid' is not a customer tenant id"),
    ],
)
def test_a_bad_row_rejects_the_whole_file_and_changes_nothing(tmp_path, breakage, expected):
    do_import_reconciliation_file(
        path=write_csv(tmp_path / "ok.csv", LICENSE_HEADER, [license_row(i) for i in (1, 2)]),
        actor="test",
    )
    before = state()
    rows = [license_row(i, invoice="D0200NEW01") for i in range(1, 5)]
    header = list(LICENSE_HEADER)
    if breakage == "amount":
        rows[1]["Amount"] = "12,3x"
    elif breakage == "currency":
        rows[1]["Currency"] = "USD"
    elif breakage == "missing":
        header.remove("TotalForCustomer")
    elif breakage == "date":
        rows[1]["ChargeStartDate"] = "2024-13-45"
    elif breakage == "tenant":
        rows[1]["CustomerId"] = "not-a-guid"
    path = write_csv(tmp_path / "bad.csv", header, rows)
    if breakage == "columns":
        _bad_extra_column(rows, path)
    with pytest.raises(ImportRejected) as caught:
        do_import_reconciliation_file(path=path, actor="test")
    assert expected in str(caught.value)
    assert state() == before
    batch = ImportBatch.objects.order_by("-id").first()
    assert batch.status == ImportBatch.Status.REJECTED and batch.error_count >= 1


def test_many_problems_are_counted_and_the_first_twenty_shown(tmp_path):
    rows = [license_row(i) for i in range(1, 31)]
    for row in rows:
        row["Amount"] = "lots"
    path = write_csv(tmp_path / "bad.csv", LICENSE_HEADER, rows)
    with pytest.raises(ImportRejected) as caught:
        do_import_reconciliation_file(path=path, actor="test")
    assert caught.value.problems.count == 30
    assert len(caught.value.problems.items) == 20
    assert "… and 10 more" in str(caught.value)
    assert caught.value.problems.items[0]["row"] == 2


def test_sum_check_flags_a_total_that_the_lines_do_not_make(license_file):
    batch = do_import_reconciliation_file(
        path=license_file, actor="test", invoice_total=Decimal("958.76")
    )
    assert batch.summary["invoices"][0]["sum_check"] == "mismatch"
    assert UpstreamInvoice.objects.get().sum_check == "mismatch"


def test_sum_check_passes_to_the_cent(license_file):
    do_import_reconciliation_file(path=license_file, actor="test", invoice_total=Decimal("958.77"))
    assert UpstreamInvoice.objects.get().sum_check == "ok"


def test_command_imports_and_reports(license_file, capsys):
    call_command(
        "upstream",
        "import",
        str(license_file),
        "--no-progress",
        "--total",
        "958.77",
        "--invoice-date",
        "2024-03-01",
    )
    out = capsys.readouterr().out
    assert "imported 3 lines, total 958.77 CNY" in out
    assert "sum check: lines equal the invoice total" in out
    assert "2 customers not known locally" in out
    invoice = UpstreamInvoice.objects.get()
    assert invoice.due_date.isoformat() == "2024-03-31"
    call_command("upstream", "import", str(license_file), "--no-progress")
    assert "already imported, nothing changed" in capsys.readouterr().out


def test_command_rejects_with_row_column_and_reason(tmp_path):
    rows = [license_row(1), license_row(2)]
    rows[1]["Quantity"] = "three"
    path = write_csv(tmp_path / "bad.csv", LICENSE_HEADER, rows)
    with pytest.raises(CommandError, match="row 3, column Quantity: 'three' is not a number"):
        call_command("upstream", "import", str(path), "--no-progress")
    assert UpstreamLineItem.objects.count() == 0


def test_number_formats_and_several_invoices_in_one_file(tmp_path, make_customer):
    make_customer("星辰", tenant_id=TENANT_A)
    rows = [license_row(1, invoice="INV-A"), license_row(2, invoice="INV-B", currency="USD")]
    rows[0]["Amount"], rows[0]["TotalForCustomer"] = "1,234.50", "1,252.59"
    rows[1]["TotalForCustomer"], rows[1]["UnitPrice"] = "(10.005)", ""
    batch = do_import_reconciliation_file(
        path=write_csv(tmp_path / "two.csv", LICENSE_HEADER, rows), actor="t"
    )
    outcomes = {item["invoice_id"]: item for item in batch.summary["invoices"]}
    assert outcomes["INV-A"]["total"] == "1252.59" and outcomes["INV-A"]["currency"] == "CNY"
    assert outcomes["INV-A"]["unknown_customers_count"] == 0
    assert outcomes["INV-B"]["total"] == "-10.01" and outcomes["INV-B"]["currency"] == "USD"
    line = UpstreamLineItem.objects.get(invoice__invoice_id="INV-B")
    assert line.total == Decimal("-10.005") and line.total_minor == -1001
    assert line.unit_price is None


def test_a_too_large_amount_is_rejected(tmp_path):
    rows = [license_row(1)]
    rows[0]["Amount"] = "123456789012345678.00"
    with pytest.raises(ImportRejected, match="row 2, column Amount: too large"):
        do_import_reconciliation_file(
            path=write_csv(tmp_path / "big.csv", LICENSE_HEADER, rows), actor="t"
        )


def test_source_keeps_what_the_typed_columns_cannot_give_back(tmp_path):
    """`source` leaves out values stored elsewhere, yet every column comes back as written."""
    rows = [license_row(i) for i in range(1, 7)]
    rows[1]["CustomerName"] = " 北京星辰科技有限公司 "  # trimmed in customer_name
    rows[2]["CustomerId"] = rows[2]["CustomerId"].upper()  # lower-cased in the uuid
    rows[3]["ChargeStartDate"] = "2024/02/01"  # not the date's own text
    rows[4]["MpnId"] = ""  # the first line's value is the default: a real "" stays ""
    rows[5]["MpnId"] = "0"  # text "0", not the marker 0
    rows[5]["PartnerId"] = "another partner"
    rows[4]["OfferName"] = "Office\t365 \\ E3\r\n"  # escaped for COPY
    rows[2]["UnitPrice"] = "100.5000000"  # more places than stored
    rows[2]["Amount"] = "301.50"
    # Decimals: "" in `source` only where the value is the stored one with the first's places.
    rows[1]["Amount"], rows[3]["Quantity"], rows[4]["Tax"] = "1,234.50", "-3", "(12.00)"
    rows[5]["UnitPrice"], rows[5]["Amount"], rows[4]["Amount"] = "0.10", "100.500000", "-0.00"
    path = write_csv(tmp_path / "mixed.csv", LICENSE_HEADER, rows)
    do_import_reconciliation_file(path=path, actor="test")
    lines = list(UpstreamLineItem.objects.order_by("line_number"))
    assert [line.source_columns for line in lines] == read_rows(path)
    assert lines[1].customer_name == "北京星辰科技有限公司"
    assert lines[3].charge_start.isoformat() == "2024-02-01"
    assert lines[4].offer_name == "Office\t365 \\ E3\r\n"
    assert len(lines[0].source) < len(",".join(rows[0].values()))
    fields = lines[0].batch.source_fields
    assert "amount:2" in fields and "quantity:0" in fields
