"""Reading 21Vianet invoices from the Partner Center API, with no transaction open: the invoice,
then each kind of its line items page by page, spooled to a temporary JSON-lines file (bounded
memory). The spooled lines become Arrow tables and go through the same normalisation and loader
as a downloaded file (`services.fetch` writes them), so both ways in make the same rows.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa

from cspbilling.upstream.columns import LICENSE, ONETIME, USAGE, Format, canonical
from cspbilling.upstream.normalise import normalise_batch
from cspbilling.upstream.parsing import Header
from cspbilling.upstream.reading import Reading

FORMATS = {
    ("office", "billing_line_items"): LICENSE,
    ("azure", "billing_line_items"): USAGE,
    ("one_time", "billing_line_items"): ONETIME,
}
PAGE_ROWS = 20000


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _day(value) -> dt.date | None:
    if value is None:
        return None
    return value.date() if isinstance(value, dt.datetime) else value


def _tables(
    items: Iterable[dict], fmt: Format, *, invoice_id, problems, invoices, columns: list, defaults
):
    """Group raw line items into Arrow tables and normalise them like file rows."""
    rows: list[dict] = []
    first_row = 1
    # JSON: ISO dates and numbers with a decimal point, whatever they look like.
    reading = Reading(day_first=False, decimal_comma=False)

    def flush():
        nonlocal first_row, rows
        names = list(dict.fromkeys(k for row in rows for k in row))
        if not columns:
            columns.extend(names)
        table = pa.table({n: pa.array([_text(r.get(n)) for r in rows], pa.string()) for n in names})
        header = Header(names=names, canonical=[canonical(n) for n in names], fmt=fmt)
        missing = [c for c in fmt.required if c not in header.canonical]
        for col in missing:
            problems.add(None, col, "required field missing from the line items")
        out = (
            None
            if missing
            else normalise_batch(
                table,
                header=header,
                first_row=first_row,
                invoice_override=invoice_id,
                known_currencies={},
                problems=problems,
                invoices=invoices,
                defaults=defaults,
                reading=reading,
            )
        )
        first_row += len(rows)
        rows = []
        return out

    for item in items:
        rows.append(item)
        if len(rows) >= PAGE_ROWS:
            out = flush()
            if out is not None and not problems:
                yield out
    if rows:
        out = flush()
        if out is not None and not problems:
            yield out


@dataclass
class FetchedLines:
    """One kind of an invoice's line items, spooled to a JSON-lines file."""

    provider: str
    line_item_type: str
    fmt: Format
    path: Path
    count: int = 0

    def raw_items(self) -> Iterator[dict]:
        with open(self.path, encoding="utf-8") as spool:
            for line in spool:
                yield json.loads(line)

    def make_tables(self, *, invoice_id: str):
        """The `make_tables` of `services.imports.import_lines` for these lines."""

        def tables(problems, invoices, columns, defaults):
            return _tables(
                self.raw_items(),
                self.fmt,
                invoice_id=invoice_id,
                problems=problems,
                invoices=invoices,
                columns=columns,
                defaults=defaults,
            )

        return tables


@dataclass
class FetchedInvoice:
    invoice: Any  # partnercenter.resources.Invoice
    parts: list[FetchedLines] = field(default_factory=list)


@contextmanager
def fetch_invoice(*, client, invoice, page_size: int = 2000) -> Iterator[FetchedInvoice]:
    """Every page of every kind of line items we read of this invoice, retries included, in
    temporary files removed on leaving. Raises the client's error if any page fails."""
    fetched = FetchedInvoice(invoice=invoice)
    with tempfile.TemporaryDirectory(prefix="cspbilling-fetch-") as folder:
        for detail in invoice.invoice_details:
            pair = (str(detail.billing_provider.value), str(detail.invoice_line_item_type.value))
            if pair not in FORMATS:
                continue
            part = FetchedLines(
                provider=pair[0],
                line_item_type=pair[1],
                fmt=FORMATS[pair],
                path=Path(folder) / f"{len(fetched.parts)}-{pair[0]}-{pair[1]}.jsonl",
            )
            items = client.iter_invoice_line_items(
                invoice.id, provider=pair[0], line_item_type=pair[1], page_size=page_size
            )
            with open(part.path, "w", encoding="utf-8") as spool:
                for item in items:
                    spool.write(json.dumps(item.raw, ensure_ascii=False, default=str))
                    spool.write("\n")
                    part.count += 1
            fetched.parts.append(part)
        yield fetched


def invoice_header_fields(invoice, *, payment_terms_days: int) -> dict:
    """An invoice header's fields as Partner Center sends them."""
    fields = {
        "invoice_date": _day(invoice.invoice_date),
        "billing_period_start": _day(invoice.billing_period_start_date),
        "billing_period_end": _day(invoice.billing_period_end_date),
        "currency": invoice.currency_code,
        "total_charges": Decimal(invoice.total_charges),
        "paid_amount": Decimal(invoice.paid_amount or 0),
        "document_type": invoice.document_type or "",
        "invoice_type": str(getattr(invoice.invoice_type, "value", invoice.invoice_type) or ""),
    }
    if fields["invoice_date"]:
        fields["due_date"] = fields["invoice_date"] + dt.timedelta(days=payment_terms_days)
    return fields
