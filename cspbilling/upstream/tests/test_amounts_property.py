"""Property (issue 12.3): no amount is ever stored at another value than the file's text means.

Amounts are written the ways Excel and Partner Center write them (plain, thousands commas,
decimal comma with points or narrow spaces for thousands, accounting parentheses), one way per
file with the delimiter that locale uses, read in blocks as the import reads a long file.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from cspbilling.upstream.amounts import parse_amounts
from cspbilling.upstream.problems import Problems
from cspbilling.upstream.reading import ReadAgain, Reading

amounts = (
    st.decimals(
        min_value=Decimal("-9999999999.999999"),
        max_value=Decimal("9999999999.999999"),
        places=6,
        allow_nan=False,
        allow_infinity=False,
    )
    | st.decimals(min_value=Decimal("-1000"), max_value=Decimal("1000"), places=2)
    | st.integers(-10_000_000, 10_000_000).map(Decimal)
)


def grouped(amount: Decimal, thousands: str, mark: str) -> str:
    whole, _, fraction = f"{abs(amount):f}".partition(".")
    text = f"{int(whole):,}".replace(",", thousands) + (mark + fraction if fraction else "")
    return ("-" if amount < 0 else "") + text


STYLES = {  # name: (write, delimiter)
    "plain": (lambda a: f"{a:f}", ","),
    "thousands": (lambda a: grouped(a, ",", "."), ","),
    "parentheses": (
        lambda a: f"({grouped(-a, ',', '.')})" if a < 0 else grouped(a, ",", "."),
        ",",
    ),
    "comma": (lambda a: f"{a:f}".replace(".", ","), ";"),
    "comma with points": (lambda a: grouped(a, ".", ","), ";"),
    "comma with spaces": (lambda a: grouped(a, "\u202f", ","), ";"),
}


def read(texts: list[str], delimiter: str, block: int) -> tuple[list[Decimal] | None, Reading]:
    """The values as the import reads them: in blocks, again from the start on `ReadAgain`."""
    reading = Reading(delimiter=delimiter)
    while True:
        problems, stored = Problems(), []
        try:
            for start in range(0, len(texts), block):
                exact, _ = parse_amounts(
                    pa.array(texts[start : start + block], pa.string()),
                    column="Amount",
                    required=True,
                    first_row=2 + start,
                    problems=problems,
                    reading=reading,
                )
                stored.extend(exact.to_pylist())
        except ReadAgain:
            continue
        return (None if problems else stored), reading


def meaning(text: str, comma: bool) -> Decimal | None:
    """What the text means with that decimal mark (None: it cannot mean anything with it)."""
    text = re.sub(r"[\s\u00a0\u202f]", "", text)
    negative = text.startswith("(") and text.endswith(")")
    text = text.strip("()")
    mark, group = (",", ".") if comma else (".", ",")
    whole, _, fraction = text.partition(mark)
    sign = "-" if whole.startswith("-") else ""
    whole = whole.lstrip("+-")
    if group in whole and not re.fullmatch(rf"[0-9]{{1,3}}(\{group}[0-9]{{3}})+", whole):
        return None
    digits = whole.replace(group, "") + "." + (fraction or "0")
    if not re.fullmatch(r"[0-9]*\.[0-9]+", digits) or digits == ".":
        return None
    value = Decimal(sign + digits)
    return -value if negative else value


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(amounts, min_size=1, max_size=30),
    style=st.sampled_from(sorted(STYLES)),
    block=st.integers(1, 8),
)
def test_a_file_written_one_way_is_read_at_the_values_it_means(values, style, block):
    write, delimiter = STYLES[style]
    stored, reading = read([write(value) for value in values], delimiter, block)
    assert stored == values
    has_mark = any(mark in write(value) for value in values for mark in ".,")
    if has_mark:  # read with the mark the locale's delimiter goes with, as the summary says
        assert reading.reads_decimal_comma() == (delimiter == ";")


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(st.tuples(amounts, st.sampled_from(sorted(STYLES))), min_size=1, max_size=30),
    delimiter=st.sampled_from([",", ";"]),
    block=st.integers(1, 8),
)
def test_a_file_mixing_ways_is_refused_or_read_at_what_its_text_means(rows, delimiter, block):
    texts = [STYLES[style][0](value) for value, style in rows]
    stored, reading = read(texts, delimiter, block)
    if stored is None:
        return  # refused, nothing stored: always allowed
    comma = reading.reads_decimal_comma()
    assert stored == [meaning(text, comma) for text in texts]
    assert None not in stored  # every value means something with the file's one mark


def test_13_32_in_a_file_of_points_is_refused_naming_row_and_column():
    problems, reading = Problems(), Reading()
    parse_amounts(
        pa.array(["1.50", "13,32"]),
        column="Amount",
        required=True,
        first_row=2,
        problems=problems,
        reading=reading,
    )
    assert problems.items[0]["row"] == 3 and problems.items[0]["column"] == "Amount"
