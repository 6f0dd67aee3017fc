"""What one file's writing turned out to be: encoding, delimiter, date order, decimal mark.

Decided per FILE, never per row, and stated in the import summary. The file is read in a
stream, so a decision can come late: when a row proves what earlier rows were read without
(a day/month date after ambiguous ones read month/day), the import raises `ReadAgain` and reads
the file once more with the decision made from the start (all or nothing: nothing was kept).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cspbilling.core.encoding import Encoding

DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


class ReadAgain(Exception):  # noqa: N818 (a signal, not an error)
    """A late row decided how the whole file reads: read it again from the start."""


@dataclass
class Proof:
    """The first cell that can only be read one way."""

    row: int
    column: str
    value: str

    def where(self) -> str:
        return f"row {self.row}, column {self.column} ({self.value!r})"


@dataclass
class Reading:
    encoding: Encoding | None = None  # decided from the file's first bytes (see `encoding`)
    delimiter: str = ","
    # Dates written day and month first or last (7/15/2019, 15/07/2019).
    day_first: bool | None = None  # set when a re-read starts with the decision made
    date_proofs: dict[str, Proof] = field(default_factory=dict)  # "day/month", "month/day"
    year_last_dates: bool = False
    ambiguous_dates_read: bool = False  # read month/day before anything proved the order
    # Amounts written 1,234.56 or 1.234,56.
    decimal_comma: bool | None = None
    mark_proofs: dict[str, Proof] = field(default_factory=dict)  # "point", "comma"
    ambiguous_amounts_read: bool = False  # 1,234 or 1.234 read before the mark was known

    def reads_day_first(self) -> bool:
        if self.day_first is not None:
            return self.day_first
        return "day/month" in self.date_proofs

    def date_order(self) -> str:
        if self.reads_day_first():
            proof = self.date_proofs.get("day/month")
            return "day/month" + (f" ({proof.where()} has a day over 12)" if proof else "")
        if proof := self.date_proofs.get("month/day"):
            return f"month/day ({proof.where()} has a day over 12)"
        if self.year_last_dates:
            return "month/day (the documents' order: no date has a day over 12)"
        return "year-month-day"

    def reads_decimal_comma(self) -> bool:
        if self.decimal_comma is not None:
            return self.decimal_comma
        if not self.mark_proofs:  # Excel separates with `;` where the decimal mark is a comma
            return self.delimiter == ";"
        # The first proof (in row order) decides; a proof of the other mark is then refused.
        first = min(self.mark_proofs, key=lambda mark: self.mark_proofs[mark].row)
        return first == "comma"

    def decimal_mark(self) -> str:
        unproven = (
            ""
            if self.mark_proofs or self.decimal_comma is not None
            else "; no amount shows which: by the delimiter"
        )
        if self.reads_decimal_comma():
            return f"comma (1.234,56{unproven})"
        return f"point (1,234.56{unproven})"

    def summary(self) -> dict[str, str]:
        return {
            "encoding": self.encoding.name if self.encoding else "UTF-8",
            "delimiter": DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter)),
            "date_order": self.date_order(),
            "decimal_mark": self.decimal_mark(),
        }
