"""Files as real tools write them: encodings, delimiters, dates and decimal marks (issue 12),
and lines too long to be a reconciliation file (issue 13.9)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from cspbilling.upstream.models import ImportBatch, UpstreamInvoice, UpstreamLineItem
from cspbilling.upstream.services import ImportRejected, do_import_reconciliation_file
from cspbilling.upstream.tests.fixtures import (
    USAGE_HEADER,
    VIANET_HEADER,
    license_row,
    usage_row,
    write_csv,
)

pytestmark = pytest.mark.django_db(transaction=True)


def vianet_rows(count: int = 3, **dates) -> list[dict]:
    """Rows of the 21Vianet 2018 edition, with the dates as given (the documents' samples)."""
    rows = [license_row(i, invoice="") for i in range(1, count + 1)]
    for row in rows:
        row.update(dates)
    return rows


def imported(path, **kwargs) -> ImportBatch:
    return do_import_reconciliation_file(path=path, actor="test", invoice_id="D02005YFHI", **kwargs)


def rejected(path) -> str:
    with pytest.raises(ImportRejected) as caught:
        imported(path)
    assert UpstreamLineItem.objects.count() == 0
    return str(caught.value)


def charge_dates() -> list[tuple[str, str]]:
    lines = UpstreamLineItem.objects.order_by("line_number")
    return [(line.charge_start.isoformat(), line.charge_end.isoformat()) for line in lines]


# --- 1. Dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2/1/2015 0:00", "2/28/2015 23:59"),  # the 21Vianet page's own samples
        ("2/1/2015 0:00:00", "2/28/2015 23:59:59"),
        ("2/1/2015 12:00:00 AM", "2/28/2015 11:59:00 PM"),  # Excel en-US with seconds
        ("2015/2/1 0:00", "2015/2/28 23:59"),  # Excel zh-CN re-save
        ("2015/2/1", "2015/2/28"),
        ("2015-02-01T00:00:00Z", "2015-02-28T23:59:59Z"),
        ("2015-02-01T00:00:00.000+08:00", "2015-02-28 23:59:59"),
        ("2015年2月1日", "2015年2月28日"),
        ("01/02/2015", "28/02/2015"),  # Excel fr: the 28 proves day/month
    ],
)
def test_dates_as_the_documents_and_excel_write_them(tmp_path, start, end):
    rows = vianet_rows(ChargeStartDate=start, ChargeEndDate=end)
    batch = imported(write_csv(tmp_path / "dates.csv", VIANET_HEADER, rows))
    assert charge_dates() == [("2015-02-01", "2015-02-28")] * 3
    assert batch.summary["reading"]["date_order"].split(" ")[0] in {
        "month/day",
        "day/month",
        "year-month-day",
    }


def test_date_order_is_decided_for_the_whole_file_and_stated(tmp_path):
    rows = vianet_rows(3)
    rows[0]["ChargeStartDate"], rows[0]["ChargeEndDate"] = "3/4/2024", "4/3/2024"  # ambiguous
    rows[2]["ChargeStartDate"] = "15/03/2024"  # proves day/month, on a later row
    batch = imported(write_csv(tmp_path / "dm.csv", VIANET_HEADER, rows))
    assert charge_dates()[0] == ("2024-04-03", "2024-03-04")  # read day/month, like row 4
    assert batch.summary["reading"]["date_order"] == (
        "day/month (row 4, column ChargeStartDate ('15/03/2024') has a day over 12)"
    )


def test_ambiguous_dates_are_read_month_day_as_the_documents_write_them(tmp_path, capsys):
    rows = vianet_rows(2, ChargeStartDate="3/4/2024", ChargeEndDate="3/5/2024 23:59")
    path = write_csv(tmp_path / "md.csv", VIANET_HEADER, rows)
    call_command("upstream", "import", str(path), "--no-progress", "--invoice", "D02005YFHI")
    assert charge_dates() == [("2024-03-04", "2024-03-05")] * 2
    out = capsys.readouterr().out
    assert "dates month/day (the documents' order: no date has a day over 12)" in out


def test_a_file_with_both_date_orders_is_refused_naming_the_rows(tmp_path):
    rows = vianet_rows(3)
    rows[0]["ChargeStartDate"] = "2/13/2024"  # month/day
    rows[2]["ChargeEndDate"] = "13/02/2024"  # day/month
    message = rejected(write_csv(tmp_path / "both.csv", VIANET_HEADER, rows))
    assert "row 4, column ChargeEndDate: the file writes dates both day/month" in message
    assert "row 2, column ChargeStartDate ('2/13/2024')" in message


def test_a_day_month_proof_after_the_first_block_reads_the_whole_file_again(tmp_path):
    """Blocks of 8 MB are read one after the other: a proof in the last row still decides."""
    rows = vianet_rows(30000, ChargeStartDate="1/2/2024", ChargeEndDate="2/3/2024")
    rows[-1]["ChargeEndDate"] = "28/02/2024"
    path = write_csv(tmp_path / "long.csv", VIANET_HEADER, rows)
    assert path.stat().st_size > 9 << 20
    batch = imported(path)
    assert batch.lines == 30000
    first = UpstreamLineItem.objects.order_by("line_number").first()
    assert (first.charge_start, first.charge_end) == (dt.date(2024, 2, 1), dt.date(2024, 3, 2))
    assert batch.summary["reading"]["date_order"].startswith("day/month (row 30001")


def test_an_impossible_date_is_refused_with_row_and_column(tmp_path):
    rows = vianet_rows(2, ChargeStartDate="2/30/2024")
    message = rejected(write_csv(tmp_path / "feb30.csv", VIANET_HEADER, rows))
    assert "row 2, column ChargeStartDate: '2/30/2024' is not a date" in message


# --- 2. Encodings ----------------------------------------------------------------------------


def test_an_excel_zh_cn_resave_imports_gb18030_with_slash_dates_and_crlf(tmp_path):
    rows = vianet_rows(3, ChargeStartDate="2019/7/15 0:00", ChargeEndDate="2019/8/14 23:59")
    rows[1]["CustomerName"] = "广州汇达网络有限公司"
    path = write_csv(tmp_path / "gb.csv", VIANET_HEADER, rows, bom=False, encoding="gb18030")
    batch = imported(path)
    assert batch.summary["reading"]["encoding"] == "GB18030"
    names = list(UpstreamLineItem.objects.order_by("line_number").values_list("customer_name"))
    assert names == [
        ("北京星辰科技有限公司",),
        ("广州汇达网络有限公司",),
        ("北京星辰科技有限公司",),
    ]
    assert charge_dates()[0] == ("2019-07-15", "2019-08-14")
    assert UpstreamInvoice.objects.get().currency == "CNY"  # 元, read from GB18030


def test_gb18030_text_after_the_first_megabyte_is_still_read_as_gb18030(tmp_path):
    rows = vianet_rows(4000)
    for row in rows[:-1]:
        row["CustomerName"] = "Contoso"
    rows[-1]["CustomerName"] = "深圳鼎盛物流有限公司"
    for row in rows:
        row["Currency"] = "CNY"
    path = write_csv(tmp_path / "late.csv", VIANET_HEADER, rows, bom=False, encoding="gb18030")
    assert path.stat().st_size > 1 << 20
    batch = imported(path)
    assert batch.summary["reading"]["encoding"] == "GB18030"
    last = UpstreamLineItem.objects.order_by("line_number").last()
    assert last.customer_name == "深圳鼎盛物流有限公司"


@pytest.mark.parametrize(
    ("encoding", "bom", "delimiter", "said"),
    [
        ("utf-8", True, ",", "UTF-8 with BOM"),
        ("utf-8", False, ",", "UTF-8"),
        ("utf-16-le", True, "\t", "UTF-16 LE"),  # Excel's "Unicode text": tab-separated
        ("utf-16-be", True, ",", "UTF-16 BE"),
    ],
)
def test_unicode_encodings_are_detected_and_stated(tmp_path, encoding, bom, delimiter, said):
    rows = vianet_rows(2)
    path = write_csv(
        tmp_path / "u.csv", VIANET_HEADER, rows, bom=bom, encoding=encoding, delimiter=delimiter
    )
    batch = imported(path)
    assert batch.summary["reading"]["encoding"] == said
    line = UpstreamLineItem.objects.order_by("line_number").first()
    assert line.customer_name == "北京星辰科技有限公司" and line.amount == Decimal("301.50")


def test_a_file_in_no_accepted_encoding_is_refused_naming_the_first_bad_row(tmp_path):
    path = write_csv(tmp_path / "ok.csv", VIANET_HEADER, vianet_rows(3), bom=False)
    data = path.read_bytes().split(b"\r\n")
    data[2] = data[2].replace("北京星辰科技有限公司".encode(), b"Caf\xe9 \xff\xfe")  # row 3
    path.write_bytes(b"\r\n".join(data))
    message = rejected(path)
    assert "row 3: the file is not text in UTF-8, UTF-16 or GB18030" in message
    assert 'save it from Excel as "CSV UTF-8"' in message


def test_a_bad_byte_in_row_2_is_reported_in_row_2(tmp_path):
    path = write_csv(tmp_path / "ok.csv", VIANET_HEADER, vianet_rows(2), bom=True)
    data = path.read_bytes().split(b"\r\n")
    data[1] = data[1].replace("北京".encode(), b"\xff")
    path.write_bytes(b"\r\n".join(data))
    assert "row 2: the file is not valid UTF-8 with BOM text (byte 0xFF)" in rejected(path)


# --- 3. Decimal marks and delimiters ---------------------------------------------------------


def comma_rows() -> list[dict]:
    rows = vianet_rows(3)
    for row in rows:
        for column in ("UnitPrice", "Amount", "Subtotal", "Tax", "TotalForCustomer"):
            row[column] = row[column].replace(".", ",")
    rows[0]["UnitPrice"], rows[0]["Amount"] = "1.234,56", "3.703,68"
    rows[0]["Subtotal"], rows[0]["TotalForCustomer"] = "3.703,68", "3.721,77"
    return rows


def test_an_excel_fr_resave_with_semicolons_and_decimal_commas(tmp_path):
    path = write_csv(tmp_path / "fr.csv", VIANET_HEADER, comma_rows(), delimiter=";")
    batch = imported(path)
    assert batch.summary["reading"] == {
        "encoding": "UTF-8 with BOM",
        "delimiter": "semicolon",
        "date_order": "year-month-day",
        "decimal_mark": "comma (1.234,56)",
    }
    lines = UpstreamLineItem.objects.order_by("line_number")
    assert [line.amount for line in lines] == [
        Decimal("3703.68"),
        Decimal("301.50"),
        Decimal("301.50"),
    ]
    assert lines[0].unit_price == Decimal("1234.56") and lines[1].tax == Decimal("18.09")
    assert UpstreamInvoice.objects.get().lines_total_minor == 372177 + 2 * 31959


def test_a_decimal_comma_in_a_file_of_decimal_points_is_refused_with_row_and_column(tmp_path):
    rows = vianet_rows(3)
    rows[2]["Amount"] = "13,32"
    message = rejected(write_csv(tmp_path / "mixed.csv", VIANET_HEADER, rows))
    assert (
        "row 4, column Amount: '13,32' has a decimal comma but the file writes decimal points"
        in (message)
    )


def test_a_decimal_point_in_a_file_of_decimal_commas_is_refused(tmp_path):
    rows = comma_rows()
    rows[2]["Tax"] = "18.09"
    message = rejected(write_csv(tmp_path / "mixed.csv", VIANET_HEADER, rows, delimiter=";"))
    assert "row 4, column Tax: '18.09' has a decimal point but the file writes decimal commas" in (
        message
    )


def test_thousands_commas_are_read_as_thousands(tmp_path):
    rows = vianet_rows(3)
    rows[0]["Amount"], rows[1]["Amount"], rows[2]["Amount"] = "1,234.56", "12,345", "1,234,567"
    batch = imported(write_csv(tmp_path / "thousands.csv", VIANET_HEADER, rows))
    amounts = UpstreamLineItem.objects.order_by("line_number").values_list("amount", flat=True)
    assert list(amounts) == [Decimal("1234.56"), Decimal("12345"), Decimal("1234567")]
    assert batch.summary["reading"]["decimal_mark"] == "point (1,234.56)"


# --- 4. Usage amounts are summed exactly -----------------------------------------------------


def test_usage_lines_are_summed_exactly_and_the_total_rounded_once(tmp_path):
    rows = [usage_row(i) for i in range(3)]
    for row, total in zip(rows, ("63.9731", "63.9730", "63.9730"), strict=True):
        row["PostTaxTotal"] = total  # 191.9191: per-line cents made 191.93
    path = write_csv(tmp_path / "usage.csv", USAGE_HEADER, rows)
    do_import_reconciliation_file(path=path, actor="test", invoice_total=Decimal("191.92"))
    invoice = UpstreamInvoice.objects.get()
    assert invoice.lines_total_minor == 19192 and invoice.sum_check == "ok"
    stored = UpstreamLineItem.objects.values_list("total", flat=True)
    assert sum(Decimal(str(value)) for value in stored) == Decimal("191.9191")


# --- 13.9 Lines too long ---------------------------------------------------------------------


def test_a_line_over_the_maximum_is_refused_naming_its_row(tmp_path, settings):
    settings.UPLOAD_MAX_LINE_KB = 4
    rows = vianet_rows(3)
    rows[1]["SubscriptionDescription"] = "x" * 5000
    message = rejected(write_csv(tmp_path / "long.csv", VIANET_HEADER, rows))
    assert "row 3: the line is longer than the maximum line length (4 KB" in message


def test_a_50_mb_cell_is_refused_with_the_line_length_message(tmp_path):
    path = write_csv(tmp_path / "cell.csv", VIANET_HEADER, vianet_rows(2))
    with open(path, "ab") as handle:
        handle.write(b"x" * (50 << 20) + b"\r\n")
    message = rejected(path)
    assert "row 4: the line is longer than the maximum line length (64 KB" in message


def test_a_file_without_line_ends_is_refused_at_row_1(tmp_path):
    path = tmp_path / "one-line.csv"
    path.write_bytes(b"PartnerId," * 100_000)
    assert "row 1: the line is longer than the maximum line length" in rejected(path)


MEMORY_PROBE = """
import os, resource, sys
from pathlib import Path
import django
django.setup()
from cspbilling.upstream.parsing import read_batches, read_header
from cspbilling.upstream.problems import Problems
from cspbilling.upstream.reading import Reading
path, reading, problems = Path(sys.argv[1]), Reading(), Problems()
header = read_header(path, reading)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
list(read_batches(path, header=header, reading=reading, invoice_override="X", problems=problems,
                  invoices={}))
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(grown // 1024, problems.message())
"""


def test_a_200_mb_line_is_refused_in_bounded_memory(tmp_path):
    """Streamed: the line is never held whole (it was: 4.3 GB for a 2 GB file)."""
    path = write_csv(tmp_path / "huge.csv", VIANET_HEADER, vianet_rows(1))
    with open(path, "ab") as handle:
        for _ in range(200):
            handle.write(b"y" * (1 << 20))
    probe = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(path)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "cspbilling.settings"},
    )
    grown_mib, message = probe.stdout.split(" ", 1)
    assert "row 3: the line is longer than the maximum line length" in message
    assert int(grown_mib) < 64, f"reading grew the process by {grown_mib} MiB"


def test_the_console_page_states_how_the_file_was_read(tmp_path, client, make_user):
    rows = comma_rows()
    for row in rows:
        row["ChargeStartDate"], row["ChargeEndDate"] = "01/02/2024", "29/02/2024"
    batch = imported(write_csv(tmp_path / "fr.csv", VIANET_HEADER, rows, delimiter=";"))
    client.force_login(make_user("finance"))
    page = client.get(reverse("upstream:batch", args=[batch.pk])).content.decode()
    assert (
        "Read as UTF-8 with BOM, semicolon-separated; dates day/month (row 2, column "
        "ChargeEndDate (&#x27;29/02/2024&#x27;) has a day over 12); decimal mark comma (1.234,56)."
    ) in page


def test_a_bad_byte_after_the_first_megabyte_is_reported_at_its_row(tmp_path):
    rows = vianet_rows(4000)
    path = write_csv(tmp_path / "late-bad.csv", VIANET_HEADER, rows, bom=False)
    data = path.read_bytes().split(b"\r\n")
    data[3900] = data[3900].replace("北京".encode(), b"\xff")  # row 3901, past the first MB
    path.write_bytes(b"\r\n".join(data))
    assert len(b"\r\n".join(data[:3900])) > 1 << 20
    message = rejected(path)
    assert "row 3901: the file is not text in UTF-8, UTF-16 or GB18030 (byte 0xFF)" in message
