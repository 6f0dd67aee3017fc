"""CSV exports never carry a formula; numbers stay numbers."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from cspbilling.core.csv_export import PLAIN_NUMBER, SafeCsvWriter, safe_cell


def written(row: list) -> list[str]:
    out = io.StringIO()
    SafeCsvWriter(out).writerow(row)
    return next(csv.reader(io.StringIO(out.getvalue())))


def test_formulas_from_partner_center_become_text():
    hostile = [
        '=HYPERLINK("http://evil.example","pay here")',
        "+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1:A9)",
        "\tTab Co",
        "\rCR Co",
    ]
    assert written(hostile) == ["'" + value for value in hostile]


def test_numbers_and_ordinary_names_are_unchanged():
    row = [Decimal("-12.30"), "-12.30", "-1e3", 42, "Contoso China", "上海康托索科技有限公司", ""]
    assert written(row) == [
        "-12.30",
        "-12.30",
        "-1e3",
        "42",
        "Contoso China",
        "上海康托索科技有限公司",
        "",
    ]


@given(st.text() | st.from_regex(r"[=+\-@\t\r][0-9A-Za-z(). ]*", fullmatch=True))
def test_a_cell_that_would_start_a_formula_is_a_plain_number_or_quoted(text):
    cell = str(safe_cell(text))
    if text.startswith(("=", "+", "-", "@", "\t", "\r")):
        assert cell == "'" + text or PLAIN_NUMBER.fullmatch(text)
    else:
        assert cell == text
