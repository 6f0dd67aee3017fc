"""Vectorised validation and normalisation of one Arrow batch of a reconciliation file."""

from __future__ import annotations

import hashlib
import struct
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from cspbilling.core.identifiers import invoice_number_problem
from cspbilling.core.money import CURRENCY_ALIASES
from cspbilling.upstream.amounts import parse_amounts
from cspbilling.upstream.arrow_text import (
    Distinct,
    column_array,
    has_any_byte,
    same_mask,
    source_json,
)
from cspbilling.upstream.columns import PLACES, header_key, source_fields
from cspbilling.upstream.dates import parse_dates

if TYPE_CHECKING:
    from cspbilling.upstream.parsing import Header, InvoiceAccumulator
    from cspbilling.upstream.reading import Reading

UUID = r"^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$"
HUNDRED = pa.scalar(100, pa.decimal128(3, 0))

# The columns the loaders write, in this order.
OUTPUT = (
    "invoice_key",
    "kind",
    "line_number",
    "customer_tenant_id",
    "customer_number",
    "customer_name",
    "subscription_id",
    "billing_subscription_id",
    "offer_id",
    "durable_offer_id",
    "offer_name",
    "charge_type",
    "charge_start",
    "charge_end",
    "unit_price",
    "quantity",
    "amount",
    "tax",
    "total",
    "currency",
    "amount_minor",
    "tax_minor",
    "total_minor",
    "source",
)
# The decimals as text for PostgreSQL (as written when valid), after the OUTPUT columns.
DECIMAL_TEXT = tuple(
    f"{name}_text" for name in ("unit_price", "quantity", "amount", "tax", "total")
)
# The columns each invoice's accumulator reads.
ACCUMULATED = ("total", "tax", "customer_tenant_id", "subscription_id", "charge_start")
TEXT_FIELDS = {
    "customer_number": 32,
    "customer_name": 255,
    "subscription_id": 64,
    "billing_subscription_id": 64,
    "offer_id": 128,
    "durable_offer_id": 128,
    "offer_name": 255,
    "charge_type": 100,
}


def _column(table: pa.Table, header: Header, name: str | None) -> tuple[pa.Array, str]:
    """The trimmed text of the column whose canonical name is `name` ('' when absent)."""
    if name and name in header.canonical:
        written = header.names[header.canonical.index(name)]
        values = column_array(table, written)
        # Trimming copies the column; most columns have nothing to trim, most have no space or
        # tab at all. Else one check: no value starts or ends with a space or tab when cutting
        # those off leaves every byte.
        if has_any_byte(values, b" \t"):
            edges = pc.sum(pc.binary_length(pc.utf8_trim(values, characters=" \t"))).as_py()
            if (edges or 0) != (pc.sum(pc.binary_length(values)).as_py() or 0):
                values = pc.utf8_trim_whitespace(values)
        return values, written
    return pa.repeat(pa.scalar("", pa.string()), table.num_rows), name or ""


def _places(raw: pa.Array) -> int:
    """The places of the column's first value, if a plain number with at most 6 (else -1)."""
    first = next((v for v in raw[:100].to_pylist() if v), "")
    whole, _, fraction = first.lstrip("-").partition(".")
    plain = whole.isascii() and whole.isdigit() and (not fraction or fraction.isdigit())
    return len(fraction) if plain and fraction.isascii() and len(fraction) <= 6 else -1


def _canonical_decimal(raw: pa.Array, exact: pa.Array, places: int) -> pa.Array | None:
    """Where the value written is the stored decimal rendered with `places` places.

    That is: an optional minus, no leading zero, exactly `places` places, and not a negative
    zero (the stored 0 has no sign). One regex is cheaper than rendering every value. At most
    15 characters: on SQLite the stored value comes back through a float, exact only to 15
    significant digits.
    """
    fraction = rf"\.[0-9]{{{places}}}" if places else ""
    equal = pc.match_substring_regex(raw, rf"^-?(0|[1-9][0-9]*){fraction}$")
    equal = pc.and_(equal, pc.less_equal(pc.binary_length(raw), 15))
    negative_zero = pc.and_(pc.starts_with(raw, "-"), pc.equal(exact, pa.scalar(0, exact.type)))
    equal = pc.and_not(equal, pc.fill_null(negative_zero, False))
    return None if pc.all(equal).as_py() else equal


def _minor(values: pa.Array) -> pa.Array:
    try:  # the usual case: no value has more than 2 places, so there is nothing to round
        return pc.cast(pc.multiply(values, HUNDRED), pa.int64())
    except pa.ArrowInvalid:
        cents = pc.round(values, 2, round_mode="half_towards_infinity")
        return pc.cast(pc.multiply(cents, HUNDRED), pa.int64())


def _invoice_keys(table, header, override, first_row, problems) -> pa.Array:
    if "InvoiceNumber" not in header.canonical:
        keys = pa.repeat(pa.scalar(override, pa.string()), table.num_rows)
        problems.add_mask(
            pc.equal(keys, ""),
            first_row=first_row,
            column="InvoiceNumber",
            reason="no invoice number in the file: give the invoice id",
        )
        _check_invoice_numbers(keys, column="InvoiceNumber", first_row=first_row, problems=problems)
        return keys
    values, written = _column(table, header, "InvoiceNumber")
    if override:
        other = pc.and_(pc.not_equal(values, ""), pc.not_equal(values, override))
        problems.add_mask(
            other,
            first_row=first_row,
            column=written,
            values=values,
            reason=lambda v: f"invoice {v!r} is not the invoice given ({override})",
        )
    keys = pc.if_else(pc.equal(values, ""), override, values)
    problems.add_mask(
        pc.equal(keys, ""),
        first_row=first_row,
        column=written,
        reason="no invoice number: give the invoice id",
    )
    _check_invoice_numbers(keys, column=written, first_row=first_row, problems=problems)
    return keys


def _check_invoice_numbers(keys, *, column, first_row, problems) -> None:
    # A file holds one or a few invoice numbers: check each distinct one once.
    bad = [key for key in pc.unique(keys).to_pylist() if key and invoice_number_problem(key)]
    if not bad:
        return
    problems.add_mask(
        pc.is_in(keys, value_set=pa.array(bad, pa.string())),
        first_row=first_row,
        column=column,
        values=keys,
        reason=invoice_number_problem,
    )


def _currency(values, *, column, first_row, problems) -> pa.Array:
    distinct = Distinct(values)  # a file writes one currency or a few: each is read once
    upper = pc.utf8_upper(distinct.values)
    for alias, code in CURRENCY_ALIASES.items():
        upper = pc.if_else(pc.equal(upper, alias), code, upper)
    bad = distinct.spread(pc.invert(pc.match_substring_regex(upper, r"^[A-Z]{3}$")))
    upper = distinct.spread(upper)
    problems.add_mask(
        bad,
        first_row=first_row,
        column=column,
        values=values,
        reason=lambda v: f"{v!r} is not a currency code",
    )
    return upper


def normalise_batch(
    table,
    *,
    header,
    first_row,
    invoice_override,
    known_currencies,
    problems,
    invoices,
    defaults: dict[str, str] | None = None,
    reading: Reading,
    lengths: list[pa.Array] | None = None,
) -> pa.Table | None:
    """The batch's typed columns and `source`, or None when it has problems.

    `lengths`: each column's value lengths in bytes, when the caller has them.
    `defaults` (one dict for a whole import) collects each untyped column's first value, which
    `source` then does not repeat: keep it as the batch's `source_defaults`.
    """
    from cspbilling.upstream.parsing import InvoiceAccumulator

    fmt, n = header.fmt, table.num_rows
    check = {"first_row": first_row}
    checked = {"first_row": first_row, "problems": problems, "reading": reading}
    out: dict[str, pa.Array] = {}
    out["invoice_key"] = _invoice_keys(table, header, invoice_override, first_row, problems)
    out["kind"] = pa.repeat(pa.scalar(str(fmt.kind), pa.string()), n)
    ones = pa.repeat(pa.scalar(1, pa.int64()), n)
    out["line_number"] = pc.add(pc.cumulative_sum(ones), first_row - 1)

    tenant, written = _column(table, header, fmt.fields["customer_tenant_id"])
    tenant_written = written if fmt.fields["customer_tenant_id"] in header.canonical else ""
    tenant = pc.utf8_lower(tenant)
    if fmt.fields["customer_tenant_id"] is None:  # an edition without one (21Vianet 2016)
        out["customer_tenant_id"] = pa.nulls(n, pa.string())
    else:
        problems.add_mask(
            pc.invert(pc.match_substring_regex(tenant, UUID)),
            column=written,
            values=tenant,
            reason=lambda v: f"{v!r} is not a customer tenant id",
            **check,
        )
        out["customer_tenant_id"] = pc.replace_substring(tenant, "-", "")
    # The values `source` need not repeat: those its typed column gives back as written.
    elidable_list = source_fields(header.canonical, fmt)
    elidable = set(elidable_list)
    same: dict[str, pa.Array | None] = {}

    def keepsame_mask(field: str, written: str, rendered: pa.Array) -> None:
        if field in elidable:
            mask = same_mask(column_array(table, written), rendered)
            if mask is None or pc.any(mask).as_py():
                same[written] = mask

    if tenant_written:
        # A valid id of 36 characters has its 4 hyphens: lower case, it is the uuid's own text.
        keepsame_mask(
            "customer_tenant_id",
            written,
            pc.if_else(pc.equal(pc.binary_length(tenant), 36), tenant, ""),
        )
    for name, limit in TEXT_FIELDS.items():
        values, written = _column(table, header, fmt.fields[name])
        if name in ("subscription_id", "customer_number") and fmt.fields[name] in fmt.required:
            problems.add_mask(
                pc.equal(values, ""), column=written, reason="a value is required", **check
            )
        # Bytes ≥ characters: count characters only when some value has more bytes than allowed.
        too_long = pc.greater(pc.binary_length(values), limit)
        if pc.any(too_long).as_py():
            too_long = pc.greater(pc.utf8_length(values), limit)
        problems.add_mask(
            too_long, column=written, reason=f"longer than {limit} characters", **check
        )
        out[name] = values
        if fmt.fields[name] in header.canonical:
            keepsame_mask(name, written, values)
    for name in ("charge_start", "charge_end"):
        source = fmt.fields[name]
        values, written = _column(table, header, source)
        out[name], text = parse_dates(
            values, column=written, required=source in fmt.required, **checked
        )
        if source in header.canonical and not problems:
            keepsame_mask(name, written, text)
    for name in ("unit_price", "quantity", "amount", "tax", "total"):
        source = fmt.fields[name]
        values, written = _column(table, header, source)
        out[name], out[f"{name}_text"] = parse_amounts(
            values, column=written, required=source in fmt.required, **checked
        )
        if source in header.canonical and defaults is not None and not problems:
            raw = column_array(table, written)
            known = defaults.setdefault(PLACES, {})
            places = known[source] if source in known else known.setdefault(source, _places(raw))
            if places >= 0:
                mask = _canonical_decimal(raw, out[name], places)
                if mask is None or pc.any(mask).as_py():
                    same[written] = mask
    values, currency_column = _column(table, header, fmt.fields["currency"])
    out["currency"] = _currency(
        values, column=currency_column, first_row=first_row, problems=problems
    )
    for name in ("amount", "tax", "total"):
        out[f"{name}_minor"] = _minor(out[name])

    # Per invoice: one currency, the running sums, the fingerprint of the raw content.
    for key in pc.unique(out["invoice_key"]).to_pylist():
        if not key:
            continue
        mask = pc.equal(out["invoice_key"], key)
        currencies = pc.filter(out["currency"], mask)
        acc = invoices.get(key)
        if acc is None:
            expected = known_currencies.get(key) or currencies[0].as_py()
            acc = invoices[key] = InvoiceAccumulator(kind=str(fmt.kind), currency=expected)
        wrong = pc.and_(mask, pc.not_equal(out["currency"], acc.currency))
        problems.add_mask(
            wrong,
            column=currency_column,
            values=out["currency"],
            reason=lambda v, c=acc.currency: f"{v} is not the invoice's currency {c}",
            **check,
        )
        if problems:
            continue
        whole = len(currencies) == n  # the usual case: one invoice, nothing to filter
        lines = out if whole else {name: pc.filter(out[name], mask) for name in ACCUMULATED}
        acc.lines += len(currencies)
        # Exact sums (usage amounts have 4 or more places): rounded once, for the whole file.
        acc.total += pc.sum(lines["total"]).as_py() or 0
        acc.tax += pc.sum(lines["tax"]).as_py() or 0
        acc.tenant_id_values.add(lines["customer_tenant_id"])
        acc.subscription_id_values.add(lines["subscription_id"])
        if fmt.kind == "usage" or fmt.fields["customer_number"]:  # what their matching needs
            acc.subscription_refs.update(_subscription_refs(out, None if whole else mask))
        starts = pc.min(lines["charge_start"]).as_py()
        if starts and (acc.first_charge_start is None or starts < acc.first_charge_start):
            acc.first_charge_start = starts
        _fingerprint(
            acc, table if whole else table.filter(mask), header, lengths if whole else None
        )
    if problems:
        return None
    fields = source_fields(header.canonical, fmt, defaults)
    mapped = {name for name, f in zip(header.names, fields, strict=True) if f}
    out["source"] = source_json(table, header, same, defaults, mapped)
    names = [*OUTPUT, *DECIMAL_TEXT]
    return pa.table([out[name] for name in names], names=names)


def _subscription_refs(out: dict[str, pa.Array], mask: pa.Array | None) -> list[str]:
    """The distinct "subscription id, billing id, customer" of these lines, tab-separated: usage
    lines are matched with them, 2016-edition customer numbers listed."""
    parts = [out[name] for name in ("subscription_id", "billing_subscription_id")]
    # the tenant id, or (21Vianet 2016 edition, no tenant id) the customer number
    parts.append(pc.coalesce(out["customer_tenant_id"], out["customer_number"]))
    if mask is not None:
        parts = [pc.filter(part, mask) for part in parts]
    return pc.unique(pc.binary_join_element_wise(*parts, "\t")).to_pylist()


def _fingerprint(
    acc: InvoiceAccumulator, table: pa.Table, header: Header, known: list[pa.Array] | None
) -> None:
    """Hash each column's values (their lengths, then their bytes); `known`: the lengths, when
    the caller has them for this table."""
    for i, (name, canon) in enumerate(zip(header.names, header.canonical, strict=True)):
        key = canon or "x:" + header_key(name)
        hasher = acc.hashes.setdefault(key, hashlib.sha256())
        array = column_array(table, name)
        lengths = known[i] if known else pc.binary_length(array)
        hasher.update(memoryview(lengths.buffers()[1])[: 4 * len(lengths)])
        offsets, data = array.buffers()[1], array.buffers()[2]
        if data is None:
            continue
        start = struct.unpack_from("<i", offsets, 4 * array.offset)[0]
        end = struct.unpack_from("<i", offsets, 4 * (array.offset + len(array)))[0]
        hasher.update(memoryview(data)[start:end])
