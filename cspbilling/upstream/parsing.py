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
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from cspbilling.upstream.columns import (
    Format,
    canonical,
    detect_format,
    not_imported,
    unrecognised_header,
)
from cspbilling.upstream.normalise import normalise_batch
from cspbilling.upstream.problems import MAX_PROBLEMS, Problems

BLOCK_SIZE = 8 << 20


class FileFormatError(ValueError):
    """The file cannot be read at all (no header, unknown format, not UTF-8)."""


@dataclass
class InvoiceAccumulator:
    kind: str
    currency: str
    lines: int = 0
    total_minor: int = 0
    tax_minor: int = 0
    first_charge_start: object = None
    tenant_ids: set[str] = field(default_factory=set)  # 32 hex digits
    subscription_ids: set[str] = field(default_factory=set)
    # "subscription id\tbilling id\ttenant id or customer number" of its lines
    # (normalise._subscription_refs)
    subscription_refs: set[str] = field(default_factory=set)
    hashes: dict[str, hashlib._Hash] = field(default_factory=dict)

    def fingerprint(self) -> str:
        outer = hashlib.sha256()
        for key in sorted(self.hashes):
            outer.update(key.encode() + b"\x00" + self.hashes[key].digest())
        return outer.hexdigest()


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


def read_header(path: Path) -> Header:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        try:
            row = next(csv.reader(handle), None)
        except UnicodeDecodeError as exc:
            raise FileFormatError(f"row 1: the file is not UTF-8 text ({exc.reason})") from None
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


def read_batches(
    path: Path,
    *,
    header: Header,
    invoice_override: str = "",
    known_currencies: dict[str, str] | None = None,
    problems: Problems,
    invoices: dict[str, InvoiceAccumulator],
    defaults: dict[str, str] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> Iterator[pa.Table]:
    """Yield normalised tables; collect problems and per-invoice sums along the way."""
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

    with open(path, "rb") as raw:
        if raw.read(3) != b"\xef\xbb\xbf":
            raw.seek(0)
        stream = io.BufferedReader(CountingReader(raw, on_progress), buffer_size=1 << 20)
        reader = pacsv.open_csv(
            stream,
            read_options=pacsv.ReadOptions(
                column_names=header.names, skip_rows=1, block_size=BLOCK_SIZE, use_threads=True
            ),
            parse_options=pacsv.ParseOptions(
                newlines_in_values=True, invalid_row_handler=on_invalid
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in header.names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        first_row = 2
        while True:
            try:
                record_batch = reader.read_next_batch()
            except StopIteration:
                break
            except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
                problems.add(first_row, "", f"the file cannot be read as CSV: {exc}")
                break
            if record_batch.num_rows == 0:
                continue
            out = normalise_batch(
                pa.Table.from_batches([record_batch]),
                header=header,
                first_row=first_row,
                invoice_override=invoice_override,
                known_currencies=known_currencies or {},
                problems=problems,
                invoices=invoices,
                defaults=defaults,
            )
            first_row += record_batch.num_rows
            if out is not None and not problems:
                yield out


__all__ = [
    "MAX_PROBLEMS",
    "FileFormatError",
    "Header",
    "InvoiceAccumulator",
    "read_batches",
    "read_header",
]
