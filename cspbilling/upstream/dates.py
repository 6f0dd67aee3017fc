"""Dates as Partner Center, its documents and Excel (en-US, zh-CN, fr) write them.

`2019-07-15`, `2019-07-15T00:00:00Z`, `2019/7/15 0:00` (Excel zh-CN), `2019年7月15日`,
`7/15/2019 0:00` and `2/28/2015 23:59` (the 21Vianet documents' samples, Excel en-US),
`7/15/2019 12:00:00 AM`, `15/07/2019` (Excel fr), `15.07.2019`; with or without seconds. Only
the date counts (charge end is 23:59 of its day). Day/month order is decided per file (see
`reading.Reading`): month/day, the documents' order, unless a date has a day over 12.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from cspbilling.upstream.arrow_text import Distinct
from cspbilling.upstream.problems import Problems
from cspbilling.upstream.reading import Proof, ReadAgain, Reading

TIME = (
    r"(?:(?:T| +)[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?"
    r"(?: ?[AaPp]\.?[Mm]\.?)?(?: ?Z|[+-][0-9]{2}:?[0-9]{2})?)?"
)
YEAR_FIRST = rf"^(?P<y>[0-9]{{4}})[-/.年](?P<a>[0-9]{{1,2}})[-/.月](?P<b>[0-9]{{1,2}})日?{TIME}$"
YEAR_LAST = rf"^(?P<a>[0-9]{{1,2}})[-/.](?P<b>[0-9]{{1,2}})[-/.](?P<y>[0-9]{{4}}){TIME}$"
TWELVE = pa.scalar(12, pa.int32())


def parse_dates(
    values: pa.Array,
    *,
    column: str,
    required: bool,
    first_row: int,
    problems: Problems,
    reading: Reading,
) -> tuple[pa.Array, pa.Array]:
    """The values as date32, and as YYYY-MM-DD text; bad ones are problems (row, column)."""
    # The usual case: every value is YYYY-MM-DD, and a file has few distinct dates.
    distinct = Distinct(values)
    dates, text = _iso_dates(distinct.values)
    if pc.all(pc.fill_null(pc.equal(text, distinct.values), False)).as_py():
        return distinct.spread(dates), values
    empty = pc.equal(values, "")
    year_first = pc.extract_regex(values, YEAR_FIRST)
    iso = _iso_text(year_first, "a", "b")
    year_last = pc.extract_regex(values, YEAR_LAST)
    if pc.any(pc.is_valid(year_last)).as_py():
        reading.year_last_dates = True
        first = pc.cast(pc.struct_field(year_last, "a"), pa.int32())
        second = pc.cast(pc.struct_field(year_last, "b"), pa.int32())
        _prove_order(values, first, second, column, first_row, problems, reading)
        day_first = reading.reads_day_first()
        if reading.day_first is None and not reading.date_proofs:
            ambiguous = pc.and_(pc.less_equal(second, TWELVE), pc.not_equal(first, second))
            reading.ambiguous_dates_read |= bool(pc.any(ambiguous).as_py())
        month, day = ("b", "a") if day_first else ("a", "b")
        iso = pc.coalesce(iso, _iso_text(year_last, month, day))
    dates, text = _iso_dates(iso)
    bad = pc.and_(pc.invert(empty), pc.fill_null(pc.not_equal(text, iso), True))
    problems.add_mask(
        bad,
        first_row=first_row,
        column=column,
        values=values,
        reason=lambda v: f"{v!r} is not a date",
    )
    if required:
        problems.add_mask(empty, first_row=first_row, column=column, reason="a value is required")
    return dates, text


def _iso_dates(iso: pa.Array) -> tuple[pa.Array, pa.Array]:
    """YYYY-MM-DD text as dates, and the dates as text: they differ where the text is no date
    (strptime takes 2024-02-30 for March 1st)."""
    dates = pc.cast(pc.strptime(iso, format="%Y-%m-%d", unit="s", error_is_null=True), pa.date32())
    return dates, pc.cast(dates, pa.string())


def _iso_text(parts: pa.Array, month: str, day: str) -> pa.Array:
    """YYYY-MM-DD from the regex's groups (null where it did not match)."""
    return pc.binary_join_element_wise(
        pc.struct_field(parts, "y"),
        pc.utf8_lpad(pc.struct_field(parts, month), 2, "0"),
        pc.utf8_lpad(pc.struct_field(parts, day), 2, "0"),
        "-",
    )


def _prove_order(values, first, second, column, first_row, problems, reading) -> None:
    """Record the first date that can only be day/month or month/day; both in a file: refused."""
    new = False
    for order, over_twelve in (("day/month", first), ("month/day", second)):
        proof_mask = pc.fill_null(pc.greater(over_twelve, TWELVE), False)
        if order in reading.date_proofs or not pc.any(proof_mask).as_py():
            continue
        index = pc.index(proof_mask, True).as_py()
        reading.date_proofs[order] = Proof(first_row + index, column, values[index].as_py())
        new = True
        if order == "day/month" and reading.day_first is None and reading.ambiguous_dates_read:
            reading.day_first = True  # earlier rows were read month/day: read again
            raise ReadAgain
    if new and len(reading.date_proofs) == 2:
        day_month, month_day = reading.date_proofs["day/month"], reading.date_proofs["month/day"]
        later = max(day_month, month_day, key=lambda proof: proof.row)
        problems.add(
            later.row,
            later.column,
            f"the file writes dates both day/month ({day_month.where()}) and month/day "
            f"({month_day.where()}): save every date in one order",
        )
