"""Every CSV the product writes goes through here, so no cell can run as a spreadsheet formula.

OWASP's rule for CSV injection: a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
return is prefixed with a single quote, so Excel and WPS show it as text. Numbers stay numbers:
a negative amount (`-12.30`) is written as it is.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def safe_cell(value: Any) -> Any:
    """The value as it may go into a CSV cell."""
    if value is None:
        return ""
    if isinstance(value, bool | int | Decimal | date | datetime):
        return value
    if isinstance(value, float):
        return repr(value)
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


class SafeCsvWriter:
    """csv.writer with every cell neutralised."""

    def __init__(self, out: _Writable, **options: Any) -> None:
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([safe_cell(value) for value in row])


def csv_response(filename: str, header: Iterable[str], rows: Iterable[Iterable[Any]]) -> Any:
    """A download of these rows as UTF-8 CSV with a BOM (so Excel in a Chinese locale reads it
    as UTF-8, not GB18030), every cell neutralised."""
    from django.http import HttpResponse

    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = SafeCsvWriter(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
    return response
