"""Amounts as written: `1234.56`, `1,234.56` (thousands commas), or, in a file re-saved by
European-locale Excel, `1234,56` and `1.234,56`.

A comma is a thousands separator only where it cannot be anything else in the file: the decimal
mark is decided per FILE (`reading.Reading`): by the first value only one mark explains, else
by the delimiter (Excel writes `;` where the decimal mark is a comma). A value that only a
decimal comma explains (`13,32`) in a file that writes decimal points, or the other way round,
refuses the file naming row and column: no amount is ever stored at another value than its
text means.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from cspbilling.upstream.problems import Problems
from cspbilling.upstream.reading import Proof, ReadAgain, Reading

DECIMAL = pa.decimal128(20, 6)
WIDE = pa.decimal128(38, 12)
# After removing spaces (thousands in fr: U+00A0, U+202F) and turning (12.50) into -12.50.
POINT = r"^[+-]?(([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\.[0-9]*)?|\.[0-9]+)$"
COMMA = r"^[+-]?(([0-9]{1,3}(\.[0-9]{3})+|[0-9]+)(,[0-9]*)?|,[0-9]+)$"
# What both readings accept with different values: one separator before exactly 3 digits.
AMBIGUOUS = r"^[+-]?[0-9]{1,3}[.,][0-9]{3}$"
SPACES = "[\\s\u00a0\u202f]"


def parse_amounts(
    values: pa.Array,
    *,
    column: str,
    required: bool,
    first_row: int,
    problems: Problems,
    reading: Reading,
) -> tuple[pa.Array, pa.Array]:
    """The values as decimal(20, 6), and as the text to give PostgreSQL's numeric input."""
    if not reading.reads_decimal_comma():
        # The usual case: every value is a plain number, and one cast checks them all (a cast
        # that would lose a digit fails: then round half away from zero, as PostgreSQL does).
        # PostgreSQL reads the numbers as written: no cast back to text, fewer digits to send.
        try:
            exact = pc.cast(values, DECIMAL)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            exact = None
        if exact is None:
            try:
                wide = pc.cast(values, WIDE)
                exact = pc.cast(pc.round(wide, 6, round_mode="half_towards_infinity"), DECIMAL)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                pass  # commas, spaces, or not numbers: below
        if exact is not None:
            if "point" not in reading.mark_proofs and reading.decimal_comma is None:
                _note_plain(values, column, first_row, problems, reading)
            return exact, values
    return _parse_written(values, column, required, first_row, problems, reading)


def _note_plain(values, column, first_row, problems, reading) -> None:
    """Plain numbers: note the first with a decimal point that a comma file could not mean."""
    ambiguous = pc.match_substring_regex(values, AMBIGUOUS)
    point = pc.and_not(pc.match_substring(values, "."), ambiguous)
    _prove_marks(
        {"point": point}, ambiguous, values, column, first_row, problems, reading, was_comma=False
    )


def _prove_marks(masks, ambiguous, values, column, first_row, problems, reading, *, was_comma):
    """Record the first value only one mark explains; a file with both is refused (once, naming
    both); values read before the mark was known are read again if it is not the one assumed."""
    new = False
    for mark, mask in masks.items():
        if mark not in reading.mark_proofs and pc.any(mask).as_py():
            index = pc.index(mask, True).as_py()
            reading.mark_proofs[mark] = Proof(first_row + index, column, values[index].as_py())
            new = True
    comma = reading.reads_decimal_comma()
    if comma != was_comma and reading.ambiguous_amounts_read and reading.decimal_comma is None:
        reading.decimal_comma = comma  # earlier 1,234 were read the other way: read again
        raise ReadAgain
    if new and len(reading.mark_proofs) == 2:
        point, comma_proof = reading.mark_proofs["point"], reading.mark_proofs["comma"]
        later = max(point, comma_proof, key=lambda proof: proof.row)
        problems.add(
            later.row,
            later.column,
            f"the file writes amounts both with a decimal point ({point.where()}) and with a "
            f"decimal comma ({comma_proof.where()}): save every amount with one decimal mark",
        )
    if not reading.mark_proofs and reading.decimal_comma is None:
        reading.ambiguous_amounts_read |= bool(pc.any(ambiguous).as_py())


def _parse_written(values, column, required, first_row, problems, reading):
    cleaned = pc.replace_substring_regex(values, SPACES, "")
    cleaned = pc.replace_substring_regex(cleaned, r"^\((.*)\)$", r"-\1")
    empty = pc.equal(cleaned, "")
    point_ok = pc.match_substring_regex(cleaned, POINT)
    comma_ok = pc.match_substring_regex(cleaned, COMMA)
    ambiguous = pc.match_substring_regex(cleaned, AMBIGUOUS)
    bad = pc.and_(pc.invert(empty), pc.invert(pc.or_(point_ok, comma_ok)))
    problems.add_mask(
        bad,
        first_row=first_row,
        column=column,
        values=values,
        reason=lambda v: f"{v!r} is not a number",
    )
    only_point, only_comma = pc.and_not(point_ok, comma_ok), pc.and_not(comma_ok, point_ok)
    was_comma = reading.reads_decimal_comma()
    masks = {"point": only_point, "comma": only_comma}
    _prove_marks(
        masks, ambiguous, values, column, first_row, problems, reading, was_comma=was_comma
    )
    comma = reading.reads_decimal_comma()
    _refuse_other_mark(
        only_point if comma else only_comma, values, column, first_row, problems, reading, comma
    )
    if comma:
        number = pc.replace_substring(pc.replace_substring(cleaned, ".", ""), ",", ".")
    else:
        number = pc.replace_substring(cleaned, ",", "")
    if required:
        problems.add_mask(empty, first_row=first_row, column=column, reason="a value is required")
    return _exact(
        number,
        pc.or_(empty, pc.invert(comma_ok if comma else point_ok)),
        column,
        first_row,
        problems,
    )


def _refuse_other_mark(mask, values, column, first_row, problems, reading, comma) -> None:
    own = reading.mark_proofs.get("comma" if comma else "point")
    file_writes = "decimal commas" if comma else "decimal points"
    example = f", e.g. {own.where()}" if own else ""
    meaning = "a decimal point" if comma else "a decimal comma"
    problems.add_mask(
        mask,
        first_row=first_row,
        column=column,
        values=values,
        reason=lambda v: (
            f"{v!r} has {meaning} but the file writes {file_writes}{example}: the amount "
            "would be ambiguous; save every amount with one decimal mark"
        ),
    )


def _exact(number, unusable, column, first_row, problems) -> tuple[pa.Array, pa.Array]:
    too_precise = pc.fill_null(pc.match_substring_regex(number, r"\.[0-9]{13,}$"), False)
    problems.add_mask(
        too_precise, first_row=first_row, column=column, reason="more than 12 decimal places"
    )
    usable = pc.if_else(pc.or_(unusable, too_precise), None, number)
    big = pc.fill_null(pc.match_substring_regex(usable, r"^[+-]?0*[0-9]{15,}"), False)
    problems.add_mask(big, first_row=first_row, column=column, reason="too large")
    usable = pc.if_else(big, None, usable)
    wide = pc.cast(usable, WIDE)
    exact = pc.cast(pc.round(wide, 6, round_mode="half_towards_infinity"), DECIMAL)
    return exact, pc.cast(exact, pa.string())
