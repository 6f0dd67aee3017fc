"""Streaming a reconciliation file in Arrow batches, validated and normalised vectorised.

Nothing here touches the database: `read_batches` yields `ParsedBatch`es (the normalised columns
ready to load, plus the problems found) and keeps the per-invoice fingerprints and sums.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from cspbilling.core.encoding import (
    GB18030,
    EncodingError,
    Utf8Stream,
    decodes_whole,
    detect_encoding,
    first_bad_row,
    not_text,
)
from cspbilling.core.money import MINOR_UNITS
from cspbilling.upstream.arrow_text import column_array
from cspbilling.upstream.columns import (
    Format,
    canonical,
    detect_format,
    not_imported,
    unrecognised_header,
)
from cspbilling.upstream.normalise import normalise_batch
from cspbilling.upstream.problems import MAX_PROBLEMS, Problems
from cspbilling.upstream.reading import ReadAgain, Reading

BLOCK_SIZE = 8 << 20
DELIMITERS = (",", ";", "\t")


class FileFormatError(ValueError):
    """The file cannot be read at all (no header, unknown format, not text)."""


class DistinctText:
    """The distinct values of a text column across a file's batches, deduplicated in Arrow: a
    1M-line file names ~70k subscriptions, so no Python string is made per line."""

    COMPACT_AT = 1 << 20  # values kept (~40 MB of ids) before deduplicating them together

    def __init__(self) -> None:
        self.parts: list[pa.Array] = []
        self.kept = 0

    def add(self, values: pa.Array) -> None:
        values = pc.unique(values)
        self.parts.append(values)
        self.kept += len(values)
        if self.kept > self.COMPACT_AT:
            self.parts = [self._distinct()]
            self.kept = len(self.parts[0])

    def _distinct(self) -> pa.Array:
        if not self.parts:
            return pa.array([], pa.string())
        return pc.unique(pa.chunked_array(self.parts, pa.string()))

    def values(self) -> set[str]:
        return set(self._distinct().to_pylist())


@dataclass
class InvoiceAccumulator:
    kind: str
    currency: str
    lines: int = 0
    total: Decimal = Decimal(0)  # exact: rounded once, in `total_minor`
    tax: Decimal = Decimal(0)
    first_charge_start: object = None
    tenant_id_values: DistinctText = field(default_factory=DistinctText)  # 32 hex digits
    subscription_id_values: DistinctText = field(default_factory=DistinctText)
    # "subscription id\tbilling id\ttenant id or customer number" of its lines
    # (normalise._subscription_refs)
    subscription_refs: set[str] = field(default_factory=set)
    hashes: dict[str, hashlib._Hash] = field(default_factory=dict)

    @property
    def tenant_ids(self) -> set[str]:
        return self.tenant_id_values.values()

    @property
    def subscription_ids(self) -> set[str]:
        return self.subscription_id_values.values()

    @property
    def total_minor(self) -> int:
        return _minor_units(self.total, self.currency)

    @property
    def tax_minor(self) -> int:
        return _minor_units(self.tax, self.currency)

    def fingerprint(self) -> str:
        outer = hashlib.sha256()
        for key in sorted(self.hashes):
            outer.update(key.encode() + b"\x00" + self.hashes[key].digest())
        return outer.hexdigest()


def _minor_units(amount: Decimal, currency: str) -> int:
    places = MINOR_UNITS.get(currency, 2)
    return int(Decimal(amount).scaleb(places).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass
class Header:
    names: list[str]  # as written (deduplicated)
    canonical: list[str | None]
    fmt: Format


class CountingReader(io.RawIOBase):
    """A binary file that reports how many bytes were read, for progress bars."""

    def __init__(self, raw, on_progress: Callable[[int], None] | None):
        self.raw, self.on_progress, self.done = raw, on_progress, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self.raw.readinto(buffer)
        self.done += n or 0
        if self.on_progress:
            self.on_progress(self.done)
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()


def max_line_bytes() -> int:
    from django.conf import settings

    return settings.UPLOAD_MAX_LINE_KB * 1024


def long_line_message(limit: int) -> str:
    return (
        f"the line is longer than the maximum line length ({limit // 1024} KB, setting "
        "CSPBILLING_UPLOAD_MAX_LINE_KB): is this a reconciliation file?"
    )


def open_text(path: Path, reading: Reading, on_progress=None) -> io.BufferedReader | pa.OSFile:
    """The file's text as UTF-8 bytes, after any BOM, transcoded in a stream when needed.

    A UTF-8 file is read by Arrow itself, with no Python in the way (Arrow's reader thread would
    otherwise wait for the GIL at each read); its progress is reported per batch.
    """
    if reading.encoding.codec == "utf-8":
        native = pa.OSFile(str(path))
        native.seek(reading.encoding.bom)
        return native
    raw = open(path, "rb")  # noqa: SIM115 (closed with the stream returned)
    raw.seek(reading.encoding.bom)
    stream = Utf8Stream(CountingReader(raw, on_progress), reading.encoding)
    return io.BufferedReader(stream, buffer_size=1 << 20)


def read_header(path: Path, reading: Reading, *, max_line: int | None = None) -> Header:
    """The header row, after deciding the file's encoding and delimiter (kept in `reading`)."""
    limit = max_line or max_line_bytes()
    if reading.encoding is None:
        try:
            reading.encoding = detect_encoding(path)
        except EncodingError as exc:
            raise FileFormatError(str(exc)) from None
    try:
        with open_text(path, reading) as stream:
            start = stream.read(limit + 1)
    except EncodingError as exc:
        raise FileFormatError(str(exc)) from None
    end = start.find(b"\n")
    if end < 0 and len(start) > limit:
        raise FileFormatError(f"row 1: {long_line_message(limit)}")
    try:
        line = start[: end if end >= 0 else len(start)].decode("utf-8").rstrip("\r")
    except UnicodeDecodeError:
        raise FileFormatError(str(not_text(start, reading.encoding))) from None
    reading.delimiter, row = _delimited(line)
    if not row or not any(cell.strip() for cell in row):
        raise FileFormatError("row 1: the file has no header row")
    names, seen = [], {}
    for raw_name in row:
        name = raw_name.strip() or "column"
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    canon = [canonical(name) for name in names]
    fmt = None if not_imported(names) else detect_format({c for c in canon if c})
    if fmt is None:
        raise FileFormatError(unrecognised_header(names))
    return Header(names=names, canonical=canon, fmt=fmt)


def _delimited(line: str) -> tuple[str, list[str]]:
    """The delimiter that makes the most known column names of the header (Excel in fr and de
    locales writes `;`, "Unicode text" tabs), and the header's cells."""
    best: tuple[tuple[int, int], str, list[str]] | None = None
    for delimiter in DELIMITERS:
        row = next(csv.reader([line], delimiter=delimiter), [])
        score = (sum(1 for cell in row if canonical(cell.strip())), len(row))
        if best is None or score > best[0]:
            best = (score, delimiter, row)
    return best[1], best[2]


def read_batches(
    path: Path,
    *,
    header: Header,
    reading: Reading,
    invoice_override: str = "",
    known_currencies: dict[str, str] | None = None,
    problems: Problems,
    invoices: dict[str, InvoiceAccumulator],
    defaults: dict[str, str] | None = None,
    on_progress: Callable[[int], None] | None = None,
    max_line: int | None = None,
) -> Iterator[pa.Table]:
    """Yield normalised tables; collect problems and per-invoice sums along the way.

    Raises ReadAgain when a late row decides how the file reads (see `reading`).
    """
    limit = max_line or max_line_bytes()
    missing = [col for col in header.fmt.required if col not in header.canonical]
    for col in missing:
        problems.add(1, col, "required column is missing from the header")
    if missing:
        return

    def on_invalid(row) -> str:
        where = f"line {row.number}" if row.number is not None else "a row"
        problems.add(
            None,
            "",
            f"{where}: has {row.actual_columns} columns, the header has {row.expected_columns}",
        )
        return "skip"

    first_row = 2

    def cannot_read(exc: Exception) -> None:
        if isinstance(exc, EncodingError):
            problems.add(exc.row, "", str(exc))
        elif "straddl" in str(exc):
            problems.add(first_row, "", long_line_message(limit))
        elif "UTF8" in str(exc) and reading.encoding.codec == "utf-8":
            if reading.encoding.guessed and decodes_whole(path, GB18030):
                reading.encoding = GB18030  # Chinese text after the first megabyte
                raise ReadAgain from None
            bad = first_bad_row(path, reading.encoding)
            problems.add(bad.row if bad else None, "", str(bad or exc))
        else:
            problems.add(first_row, "", f"the file cannot be read as CSV: {exc}")

    with open_text(path, reading, on_progress) as stream:
        try:
            reader = pacsv.open_csv(
                stream,
                read_options=pacsv.ReadOptions(
                    column_names=header.names,
                    skip_rows=1,
                    block_size=max(BLOCK_SIZE, 2 * limit),
                    use_threads=True,
                ),
                parse_options=pacsv.ParseOptions(
                    delimiter=reading.delimiter,
                    newlines_in_values=True,
                    invalid_row_handler=on_invalid,
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types={name: pa.string() for name in header.names},
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
        except (pa.ArrowInvalid, EncodingError) as exc:
            cannot_read(exc)
            return
        while True:
            try:
                record_batch = reader.read_next_batch()
            except StopIteration:
                break
            except (pa.ArrowInvalid, UnicodeDecodeError, EncodingError) as exc:
                cannot_read(exc)
                break
            if record_batch.num_rows == 0:
                continue
            table = pa.Table.from_batches([record_batch])
            lengths = [pc.binary_length(column_array(table, name)) for name in header.names]
            _check_line_lengths(lengths, limit, first_row, problems)
            out = normalise_batch(
                table,
                header=header,
                first_row=first_row,
                invoice_override=invoice_override,
                known_currencies=known_currencies or {},
                problems=problems,
                invoices=invoices,
                defaults=defaults,
                reading=reading,
                lengths=lengths,
            )
            first_row += record_batch.num_rows
            if on_progress and isinstance(stream, pa.NativeFile):
                on_progress(stream.tell())
            if out is not None and not problems:
                yield out


def _check_line_lengths(lengths: list, limit: int, first_row: int, problems: Problems) -> None:
    """Rows longer than the limit (the bound of each column's longest value, then per row)."""
    if sum(pc.max(length).as_py() or 0 for length in lengths) + len(lengths) <= limit:
        return
    total = lengths[0]
    for length in lengths[1:]:
        total = pc.add(total, length)
    problems.add_mask(
        pc.greater(pc.add(total, len(lengths) - 1), limit),
        first_row=first_row,
        column="",
        reason=long_line_message(limit),
    )


__all__ = [
    "MAX_PROBLEMS",
    "FileFormatError",
    "Header",
    "InvoiceAccumulator",
    "read_batches",
    "read_header",
    "ReadAgain",
    "Reading",
]
