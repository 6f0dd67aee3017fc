"""Bank statements exported as CSV. Every bank names its columns its own way: the columns are
found by the names banks use (Chinese and English) or taken from the account's saved mapping;
encodings as the reconciliation import detects them (Chinese banks often export GB18030)."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

from cspbilling.core.encoding import EncodingError, detect_encoding, first_bad_row
from cspbilling.core.money import MoneyError, parse_amount
from cspbilling.payments.statements.lines import ReadLine, StatementError, one_line, parse_day

# Our field: the column names banks give it (matched without case and spaces).
ALIASES = {
    "booked_on": (
        "交易日期",
        "记账日期",
        "入账日期",
        "交易时间",
        "date",
        "bookingdate",
        "valuedate",
    ),
    "credit": ("贷方发生额", "贷方金额", "收入金额", "收入", "credit", "creditamount"),
    "debit": ("借方发生额", "借方金额", "支出金额", "支出", "debit", "debitamount"),
    "amount": ("金额", "交易金额", "发生额", "amount"),
    "payer_name": (
        "对方户名",
        "对方账户名称",
        "对方单位",
        "付款人名称",
        "付款人",
        "counterparty",
        "payer",
        "payername",
    ),
    "payer_account": ("对方账号", "对方账户", "付款人账号", "counterpartyaccount", "payeraccount"),
    "remittance": ("摘要", "附言", "用途", "备注", "remittance", "description", "details"),
    "bank_reference": (
        "交易流水号",
        "流水号",
        "银行流水号",
        "交易参考号",
        "凭证号",
        "reference",
        "bankreference",
        "transactionid",
    ),
    "currency": ("币种", "货币", "currency"),
}
REQUIRED = ("booked_on", "bank_reference")


def _key(name: str) -> str:
    return "".join(name.split()).lower().strip("\ufeff")


def find_columns(header: list[str], saved: dict[str, str]) -> dict[str, int]:
    """Our field → the column's index, from the saved mapping or the names banks use."""
    positions = {_key(name): n for n, name in enumerate(header)}
    found: dict[str, int] = {}
    for field, aliases in ALIASES.items():
        wanted = [saved[field]] if saved.get(field) else list(aliases)
        for name in wanted:
            if _key(name) in positions:
                found[field] = positions[_key(name)]
                break
    missing = [field for field in REQUIRED if field not in found]
    if "amount" not in found and "credit" not in found:
        missing.append("amount (or credit)")
    if missing:
        raise StatementError(
            f"row 1: no column for {', '.join(missing)} (the header has: {', '.join(header)}); "
            "map the columns for this bank account"
        )
    return found


# What a spreadsheet writes for a long number it shortened (6222000000000001 → 6.222E+15): the
# digits are gone, so two different references or accounts would read the same.
SHORTENED = re.compile(r"^\s*\d(?:\.\d+)?E\+\d+\s*$", re.IGNORECASE)


def _reference(row: list[str], columns: dict[str, int], header: list[str], where: str) -> str:
    column = header[columns["bank_reference"]]
    reference = row[columns["bank_reference"]].strip()
    if not reference:
        raise StatementError(f"{where}, {column}: no bank reference")
    if SHORTENED.match(reference):
        raise StatementError(
            f"{where}, {column}: {reference!r} is a number a spreadsheet shortened (its digits "
            "are lost): export the statement from the bank again, or keep that column as text"
        )
    return one_line(reference, 140)


def _payer_account(row: list[str], columns: dict[str, int]) -> str:
    """The payer's account, or nothing when a spreadsheet shortened it (never guess a payer
    from a shortened number: two customers' accounts would look alike)."""
    if "payer_account" not in columns:
        return ""
    account = one_line(row[columns["payer_account"]], 64)
    return "" if SHORTENED.match(account) else account


def _amount(row: list[str], columns: dict[str, int], where: str) -> Decimal:
    def cell(field: str) -> str:
        return row[columns[field]].strip() if field in columns else ""

    try:
        if cell("credit") or cell("debit"):
            credit = parse_amount(cell("credit") or "0")
            debit = parse_amount(cell("debit") or "0")
            return credit - debit
        return parse_amount(cell("amount"))
    except MoneyError as exc:
        raise StatementError(f"{where}, amount: {exc}") from None


def read_csv(
    path: Path, *, saved: dict[str, str], currency: str
) -> tuple[list[ReadLine], str, dict]:
    """The lines, the encoding's name, and the column mapping used (to save for the account).
    Any bad row refuses the whole file."""
    try:
        encoding = detect_encoding(path)
        bad = first_bad_row(path, encoding)
    except EncodingError as exc:
        raise StatementError(str(exc)) from None
    if bad is not None:
        raise StatementError(str(bad))
    text = path.read_bytes()[encoding.bom :].decode(encoding.codec)
    sample = text[:4096]
    delimiter = max(",;\t", key=sample.split("\n", 1)[0].count)
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if not rows:
        raise StatementError("the file is empty")
    header = [cell.strip() for cell in rows[0]]
    columns = find_columns(header, saved)
    lines = []
    for n, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise StatementError(f"row {n}: {len(row)} columns where the header has {len(header)}")
        where = f"row {n}"
        lines.append(
            ReadLine(
                row=n,
                booked_on=parse_day(
                    row[columns["booked_on"]], f"{where}, {header[columns['booked_on']]}"
                ),
                amount=_amount(row, columns, where),
                currency=(row[columns["currency"]].strip() if "currency" in columns else "")
                or currency,
                bank_reference=_reference(row, columns, header, where),
                payer_name=one_line(row[columns["payer_name"]], 255)
                if "payer_name" in columns
                else "",
                payer_account=_payer_account(row, columns),
                remittance=one_line(row[columns["remittance"]], 500)
                if "remittance" in columns
                else "",
            )
        )
    mapping = {field: header[index] for field, index in columns.items()}
    return lines, encoding.name, mapping
