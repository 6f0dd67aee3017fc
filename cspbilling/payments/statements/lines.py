"""A statement line as read from a file, before it is matched."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal


class StatementError(ValueError):
    """The statement cannot be imported; names the row (or entry) and the column."""


@dataclass(frozen=True)
class ReadLine:
    row: int
    booked_on: dt.date
    amount: Decimal  # positive: money in
    currency: str
    bank_reference: str
    payer_name: str = ""
    payer_account: str = ""
    remittance: str = ""


DATE = re.compile(r"^\s*(\d{4})[-/.]?(\d{1,2})[-/.]?(\d{1,2})(?:[ T].*)?$")


def parse_day(text: str, where: str) -> dt.date:
    """2026-11-20, 2026/11/20, 2026.11.20, 20261120 (a time after it is ignored)."""
    match = DATE.match(text or "")
    if not match:
        raise StatementError(f"{where}: {text!r} is not a date (YYYY-MM-DD)")
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise StatementError(f"{where}: {text!r} is not a day of the calendar") from None


def one_line(text: str | None, limit: int) -> str:
    return " ".join((text or "").split())[:limit]
