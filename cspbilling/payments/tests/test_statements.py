"""Bank statements as banks export them (a GB18030 CSV with Chinese columns, ISO 20022 camt.053):
matched, partial, over-paid, unmatched and duplicate lines; a bad file changes nothing; a
person's assignment teaches the payer for the next statement."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from cspbilling.core.tests.progress import RecordedProgress
from cspbilling.payments import balances
from cspbilling.payments.models import (
    BankAccount,
    PayerRule,
    Payment,
    StatementLine,
)
from cspbilling.payments.services import (
    do_assign_statement_line,
    do_bank_account_named,
    do_import_statement,
)
from cspbilling.payments.statements.lines import StatementError

ICBC_HEADER = ["交易日期", "交易流水号", "对方户名", "对方账号", "借方发生额", "贷方发生额", "摘要"]


def _icbc_csv(path: Path, rows: list[list[str]]) -> Path:
    """As a Chinese bank's online banking exports it: GB18030, CRLF."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(ICBC_HEADER)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode("gb18030"))
    return path


def _camt(path: Path, entries: list[dict]) -> Path:
    """An ISO 20022 camt.053.001.08 statement with these booked entries."""
    items = "".join(
        f"""
      <Ntry>
        <Amt Ccy="{e["currency"]}">{e["amount"]}</Amt>
        <CdtDbtInd>{e.get("sign", "CRDT")}</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>{e["day"]}</Dt></BookgDt>
        <AcctSvcrRef>{e["reference"]}</AcctSvcrRef>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls><TxDtls>
          <RltdPties><Dbtr><Pty><Nm>{e["payer"]}</Nm></Pty></Dbtr>
            <DbtrAcct><Id><Othr><Id>{e.get("account", "")}</Id></Othr></Id></DbtrAcct></RltdPties>
          <RmtInf><Ustrd>{e.get("remittance", "")}</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>"""
        for e in entries
    )
    path.write_text(
        f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>STMT-1</MsgId><CreDtTm>2026-11-21T08:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>STMT-1</Id>
      <Acct><Id><Othr><Id>0200000000000001</Id></Othr></Id><Ccy>CNY</Ccy></Acct>{items}
    </Stmt>
  </BkToCstmrStmt>
</Document>""",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def account(db) -> BankAccount:
    return do_bank_account_named(name="工行 基本户", currency="CNY", actor="t")


@pytest.mark.django_db
def test_a_chinese_bank_csv_matches_pays_and_queues_and_a_second_import_adds_nothing(
    issued_invoice, account, tmp_path
):
    first = issued_invoice(("100",), company_name="北京星辰科技有限公司")  # 106.00
    second = issued_invoice(("200",))  # 212.00
    third = issued_invoice(("50",))  # 53.00
    rows = [
        [
            "2026-11-20",
            "ICBC0001",
            "北京星辰科技有限公司",
            "6222000000000001",
            "",
            "106.00",
            f"支付{first.number}服务费",
        ],
        [
            "2026-11-20",
            "ICBC0002",
            "上海某公司",
            "6222000000000002",
            "",
            "100.00",
            f"货款 {second.number}",
        ],  # partial
        [
            "2026/11/21",
            "ICBC0003",
            "深圳某某",
            "6222000000000003",
            "",
            "60.00",
            f"{third.number.replace('-', '')}",
        ],  # over-paid, number without dashes
        ["20261121", "ICBC0004", "不认识的公司", "6222000000000009", "", "999.00", "货款"],
        ["2026-11-21", "ICBC0005", "手续费", "", "15.00", "", "手续费"],  # money out
    ]
    path = _icbc_csv(tmp_path / "工行流水.csv", rows)
    statement = do_import_statement(path=path, filename=path.name, account=account, actor="f")
    assert statement.encoding == "GB18030"
    assert (
        statement.summary
        | {"lines": 5, "matched": 3, "unmatched": 1, "ignored": 1, "already_imported": 0}
        == statement.summary
    )
    assert balances.open_minor(first) == 0
    assert balances.open_minor(second) == 11200
    assert balances.open_minor(third) == 0
    assert balances.credit_minor(third.customer, "CNY") == 700  # 60.00 - 53.00
    waiting = StatementLine.objects.get(status="unmatched")
    assert (waiting.payer_name, waiting.amount) == ("不认识的公司", Decimal("999.00"))
    account.refresh_from_db()
    assert account.csv_columns["credit"] == "贷方发生额"  # the mapping is kept for the account

    again = do_import_statement(path=path, filename=path.name, account=account, actor="f")
    assert again.summary["already_imported"] == 5 and again.summary["matched"] == 0
    assert Payment.objects.count() == 3


@pytest.mark.django_db
def test_assigning_a_line_pays_and_teaches_the_payer_for_the_next_statement(
    issued_invoice, account, tmp_path
):
    invoice = issued_invoice(("100",))
    path = _icbc_csv(
        tmp_path / "a.csv",
        [
            ["2026-11-20", "R1", "星辰 科技", "6222000000000007", "", "50.00", "货款"],
        ],
    )
    do_import_statement(path=path, filename="a.csv", account=account, actor="f")
    line = StatementLine.objects.get()
    assert line.status == "unmatched"
    do_assign_statement_line(line=line, customer=invoice.customer, actor="finance1")
    line.refresh_from_db()
    assert line.status == "assigned" and balances.open_minor(invoice) == 5600
    assert PayerRule.objects.get().payer_account == "6222000000000007"
    with pytest.raises(ValueError, match="is assigned"):
        do_assign_statement_line(line=line, customer=invoice.customer, actor="finance1")

    later = _icbc_csv(
        tmp_path / "b.csv",
        [
            ["2026-11-25", "R2", "星辰科技", "6222000000000007", "", "56.00", "余款"],  # exact rest
            ["2026-11-26", "R3", "星辰科技", "6222000000000007", "", "10.00", "?"],  # payer only
        ],
    )
    statement = do_import_statement(path=later, filename="b.csv", account=account, actor="f")
    assert statement.summary["matched"] == 1 and statement.summary["suggested"] == 1
    assert balances.open_minor(invoice) == 0
    suggested = StatementLine.objects.get(status="suggested")
    assert suggested.suggested_customer == invoice.customer and suggested.payment is None


@pytest.mark.django_db
def test_a_statement_records_what_one_by_one_recording_would(issued_invoice, account, tmp_path):
    """Lines see what the lines before them paid: a known payer's second line matches the rest
    its first line left; payments, ledger, allocations and audit are as record_payment makes."""
    from cspbilling.audit.models import AuditEvent
    from cspbilling.payments.models import Allocation, LedgerEntry

    older = issued_invoice(("100",), company_name="星辰科技")  # 106.00
    newer = issued_invoice(("50",), customer=older.customer)  # 53.00
    PayerRule.objects.create(customer=older.customer, payer_name="星辰科技", created_by="t")
    path = _icbc_csv(
        tmp_path / "s.csv",
        [
            ["2026-11-20", "S1", "星辰科技", "", "", "100.00", f"{newer.number}"],  # named first
            ["2026-11-20", "S2", "星辰科技", "", "", "59.00", "余款"],  # exactly what is left
            ["2026-11-21", "S3", "星辰科技", "", "", "59.00", "again"],  # nothing left: suggestion
        ],
    )
    statement = do_import_statement(path=path, filename="s.csv", account=account, actor="f")
    assert (statement.summary["matched"], statement.summary["suggested"]) == (2, 1)
    assert balances.open_minor(older) == 0 and balances.open_minor(newer) == 0
    assert balances.credit_minor(older.customer, "CNY") == 0
    assert balances.balance_minor(older.customer, "CNY") == 0
    first, second = Payment.objects.order_by("id")
    assert [(a.invoice_id, a.amount_minor) for a in first.allocations.order_by("id")] == [
        (newer.pk, 5300),
        (older.pk, 4700),
    ]
    assert [(a.invoice_id, a.amount_minor) for a in second.allocations.all()] == [(older.pk, 5900)]
    assert LedgerEntry.objects.filter(payment__isnull=False).count() == 2
    assert Allocation.objects.count() == 3
    events = AuditEvent.objects.filter(object_type="payment").order_by("id")
    assert [e.action for e in events] == [
        "payment.recorded",
        "payment.allocated",
        "payment.allocated",
        "payment.recorded",
        "payment.allocated",
    ]
    assert events[2].after["invoice_open_after"] == "59.00"
    assert StatementLine.objects.get(bank_reference="S1").payment == first


@pytest.mark.django_db
def test_an_amount_alone_is_only_a_suggestion(issued_invoice, account, tmp_path):
    invoice = issued_invoice(("100",))
    path = _icbc_csv(tmp_path / "a.csv", [["2026-11-20", "R9", "谁", "1", "", "106.00", ""]])
    do_import_statement(path=path, filename="a.csv", account=account, actor="f")
    line = StatementLine.objects.get()
    assert (line.status, line.suggested_invoice) == ("suggested", invoice)
    assert not Payment.objects.exists() and balances.open_minor(invoice) == 10600


@pytest.mark.django_db
def test_a_camt_053_statement_is_read_and_matched(issued_invoice, account, tmp_path):
    invoice = issued_invoice(("100",))
    path = _camt(
        tmp_path / "camt.xml",
        [
            {
                "amount": "106.00",
                "currency": "CNY",
                "day": "2026-11-20",
                "reference": "CAMT-1",
                "payer": "Contoso China Ltd.",
                "remittance": f"Invoice {invoice.number}",
            },
            {
                "amount": "12.50",
                "currency": "CNY",
                "day": "2026-11-20",
                "reference": "CAMT-2",
                "payer": "Bank fee",
                "sign": "DBIT",
            },
        ],
    )
    statement = do_import_statement(path=path, filename="camt.xml", account=account, actor="f")
    assert statement.file_format == "camt.053"
    assert statement.summary["matched"] == 1 and statement.summary["ignored"] == 1
    assert balances.open_minor(invoice) == 0
    paid = Payment.objects.get()
    assert paid.reference == f"Invoice {invoice.number}"


@pytest.mark.django_db
def test_a_bad_statement_is_refused_whole_naming_row_and_column(issued_invoice, account, tmp_path):
    issued_invoice(("100",))
    path = _icbc_csv(
        tmp_path / "bad.csv",
        [
            ["2026-11-20", "R1", "A", "1", "", "106.00", "ok"],
            ["2026-13-40", "R2", "B", "2", "", "5.00", "bad day"],
        ],
    )
    with pytest.raises(StatementError, match=r"row 3, 交易日期: '2026-13-40' is not a day"):
        do_import_statement(path=path, filename="bad.csv", account=account, actor="f")
    amount = _icbc_csv(tmp_path / "amount.csv", [["2026-11-20", "R1", "A", "1", "", "1O6.00", ""]])
    with pytest.raises(StatementError, match="row 2, amount"):
        do_import_statement(path=amount, filename="amount.csv", account=account, actor="f")
    (tmp_path / "x.xml").write_text(
        "<Document><BkToCstmrStmt><Stmt><Ntry><Amt Ccy='CNY'>abc</Amt>"
        "</Ntry></Stmt></BkToCstmrStmt></Document>"
    )
    with pytest.raises(StatementError, match="entry 1, Amt"):
        do_import_statement(path=tmp_path / "x.xml", filename="x.xml", account=account, actor="f")
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]>'
        "<Document>&b;</Document>"
    )
    with pytest.raises(StatementError, match="not a readable camt.053"):
        do_import_statement(path=bomb, filename="bomb.xml", account=account, actor="f")
    assert not StatementLine.objects.exists() and not Payment.objects.exists()
    with pytest.raises(CommandError, match="nothing imported"):
        call_command("payments", "import-statement", str(path), "--account", account.name)


@pytest.mark.django_db
def test_the_console_imports_a_statement_and_a_person_assigns_the_rest(
    client_for, staff_users, issued_invoice, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    invoice = issued_invoice(("100",))
    path = _icbc_csv(
        tmp_path / "s.csv",
        [
            ["2026-11-20", "R1", "某公司", "62220001", "", "30.00", "货款"],
            ["2026-11-20", "R2", "某公司", "62220001", "", "106.00", f"{invoice.number}"],
        ],
    )
    finance = client_for(staff_users["finance"])
    upload = SimpleUploadedFile("流水.csv", path.read_bytes(), content_type="text/csv")
    done = finance.post(
        "/console/payments/bank-statements/", {"account": "工行", "file": upload}, follow=True
    )
    text = done.content.decode()
    assert "2 lines, 1 matched and paid" in text and "某公司" in text
    line = StatementLine.objects.get(status="unmatched")
    reader = client_for(staff_users["readonly"])
    assert (
        reader.post(
            f"/console/payments/bank-statements/lines/{line.pk}/assign/",
            {"customer": str(invoice.customer.tenant_id)},
        ).status_code
        == 403
    )
    assigned = finance.post(
        f"/console/payments/bank-statements/lines/{line.pk}/assign/",
        {"customer": str(invoice.customer.tenant_id)},
        follow=True,
    )
    assert "payer details are remembered" in assigned.content.decode()
    assert balances.credit_minor(invoice.customer, "CNY") == 3000
    bad = SimpleUploadedFile("bad.csv", "日期,金额\n2026-11-20,5\n".encode("gb18030"))
    refused = finance.post("/console/payments/bank-statements/", {"account": "工行", "file": bad})
    assert refused.status_code == 400 and "nothing was imported" in refused.content.decode()


@pytest.mark.django_db
def test_a_statement_excel_re_saved_is_read_and_a_shortened_account_is_never_trusted(
    issued_invoice, account, tmp_path
):
    """As Excel on a Chinese Windows saves a bank's CSV again: GBK without BOM, CRLF, amounts
    reformatted (no decimals, thousands separators, a currency symbol), dates with single-digit
    months, and long account numbers shortened to 6.222E+15."""
    first = issued_invoice(("100",))  # 106.00
    second = issued_invoice(("1000",))  # 1,060.00
    other = issued_invoice(("50",))  # 53.00
    PayerRule.objects.create(
        customer=other.customer, payer_name="", payer_account="6.222E+15", created_by="old"
    )
    text = (
        "交易日期,交易流水号,对方户名,对方账号,借方发生额,贷方发生额,摘要\r\n"
        f"2026/11/2,ICBC0101,北京星辰,6.222E+15,,106,{first.number}\r\n"
        f'2026/11/20,ICBC0102,上海某公司,6.222E+15,,"1,060.00",{second.number}\r\n'
        "2026/11/20,ICBC0103,不认识,6.222E+15,,￥53.00,货款\r\n"
    )
    path = tmp_path / "流水（Excel另存）.csv"
    path.write_bytes(text.encode("gbk"))
    statement = do_import_statement(path=path, filename=path.name, account=account, actor="f")
    assert statement.summary["matched"] == 2
    assert balances.open_minor(first) == 0 and balances.open_minor(second) == 0
    line = StatementLine.objects.get(bank_reference="ICBC0103")
    # The shortened account would match every 6222… account: it names no one, and the rule
    # learnt from one is never used; the amount alone is only a suggestion.
    assert line.payer_account == "" and line.amount == Decimal("53.00")
    assert (line.status, line.match_rule) == (
        "suggested",
        "amount alone: the open amount of one invoice",
    )
    assert balances.open_minor(other) == 5300 and line.payment is None


@pytest.mark.django_db
def test_a_shortened_bank_reference_refuses_the_statement(issued_invoice, account, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(
        (
            "交易日期,交易流水号,对方户名,对方账号,借方发生额,贷方发生额,摘要\r\n"
            "2026/11/20,2.02611E+17,某公司,,,100,货款\r\n"
        ).encode("gbk")
    )
    with pytest.raises(StatementError, match=r"row 2, 交易流水号: '2.02611E\+17' is a number"):
        do_import_statement(path=path, filename="bad.csv", account=account, actor="f")
    assert not StatementLine.objects.exists()


@pytest.mark.django_db
def test_a_statement_import_reports_its_stages_to_the_progress_bar(
    issued_invoice, account, tmp_path
):
    issued_invoice(("100",))
    rows = [["2026-11-20", f"R{n}", "谁", "1", "", f"{n}.00", ""] for n in range(1, 2501)]
    path = _icbc_csv(tmp_path / "big.csv", rows)
    stages = RecordedProgress()
    do_import_statement(path=path, filename="big.csv", account=account, actor="f", progress=stages)
    assert stages.stages == [
        ["reading big.csv", None, 2500],
        ["matching lines to customers and invoices", 2500, 2500],
        ["recording the payments and the lines", 2500, 2500],
    ]
