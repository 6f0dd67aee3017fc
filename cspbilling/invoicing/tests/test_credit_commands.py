"""The command line for credit notes and fapiaos, as scripts and operators use it."""

from __future__ import annotations

import csv
import json

import pytest
from django.core.management import CommandError, call_command

NUMBER = "26332000000012345678"


@pytest.mark.django_db
def test_credit_a_line_list_as_json_and_write_the_pdf(issued_invoice, capsys, tmp_path):
    invoice = issued_invoice(("100", "50.05"))
    line = invoice.lines.get(subscription_id="sub-0")
    call_command(
        "credit-notes", "create", invoice.number, "--reason", "unused", "--line", f"{line.pk}=40"
    )
    assert "CN-2026-000001: 42.40 CNY" in capsys.readouterr().out
    with pytest.raises(CommandError, match="more than the 60.00 left"):
        call_command(
            "credit-notes", "create", invoice.number, "--reason", "x", "--line", f"{line.pk}=61"
        )
    with pytest.raises(CommandError, match="LINE_ID=AMOUNT"):
        call_command("credit-notes", "create", invoice.number, "--reason", "x", "--line", "40")
    call_command("credit-notes", "list", "--json")
    [row] = json.loads(capsys.readouterr().out)
    assert (
        row | {"number": "CN-2026-000001", "total": "42.40", "invoice_number": invoice.number}
        == row
    )
    out = tmp_path / "cn.pdf"
    call_command("credit-notes", "pdf", "CN-2026-000001", "-o", str(out))
    assert out.read_bytes().startswith(b"%PDF")


@pytest.mark.django_db
def test_export_pending_fapiaos_and_record_a_number(issued_invoice, capsys, tmp_path):
    invoice = issued_invoice(("100",), fapiao_kind="general", bank_account="0200")
    out = tmp_path / "fapiao.csv"
    call_command("fapiao", "export", "-o", str(out))
    [row] = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert (row["invoice_number"], row["total"], row["buyer_bank_account"]) == (
        invoice.number,
        "106.00",
        "0200",
    )
    call_command("fapiao", "record", row["id"], "--number", NUMBER, "--date", "2026-11-05")
    assert f"fapiao {NUMBER} recorded for {invoice.number}" in capsys.readouterr().out
    with pytest.raises(CommandError, match="requested; it cannot become issued|is issued"):
        call_command("fapiao", "record", row["id"], "--number", NUMBER, "--date", "2026-11-05")
    call_command("fapiao", "export", "-o", str(out))
    assert list(csv.DictReader(out.open(encoding="utf-8-sig"))) == []
