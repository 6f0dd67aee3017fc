"""Writing normalised batches into the line table: COPY on PostgreSQL, executemany on SQLite.

`load_tables` runs parsing and encoding in a worker thread (Arrow releases the GIL), while the
caller's thread, which owns the database connection and its transaction, writes the previous
batch. A rollback of that transaction removes every row written here.

On PostgreSQL the rows go as COPY's text format (tab-separated, backslash escapes), built for a
whole batch by one Arrow join: no quoting of every value as CSV needs, so fewer bytes for the
server to parse, and one `copy.write` of one buffer per batch.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator

import pyarrow as pa
import pyarrow.compute as pc
from django.db import connection, connections

from cspbilling.upstream.arrow_text import has_any_byte, join_parts
from cspbilling.upstream.models import UpstreamLineItem
from cspbilling.upstream.normalise import DECIMAL_TEXT, OUTPUT

TABLE = UpstreamLineItem._meta.db_table
COLUMNS = ("invoice_id", "batch_id", *OUTPUT[1:])
# The columns most often the same on every row of a batch (one invoice and currency, one
# billing period, no customer number outside the 2016 edition) go last and together: then they
# are one literal in the row's join, whose cost is per argument and row, literal or not.
# batch_id last: always the same, so its text carries each row's line end.
OFTEN_CONSTANT = (
    "charge_start",
    "charge_end",
    "customer_number",
    "invoice_id",
    "kind",
    "currency",
    "batch_id",
)
PG_COLUMNS = (*(name for name in COLUMNS if name not in OFTEN_CONSTANT), *OFTEN_CONSTANT)
COPY_SQL = f"COPY {TABLE} ({', '.join(PG_COLUMNS)}) FROM STDIN"  # text format
# Bytes COPY's text format escapes (the rest go as they are).
ESCAPES = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"))
# Values that cannot hold a tab, line end or backslash: validated ids, codes, numbers, dates.
UNESCAPED = {
    "invoice_id",
    "batch_id",
    "kind",
    "line_number",
    "customer_tenant_id",
    "currency",
    *(name.removesuffix("_text") for name in DECIMAL_TEXT),
}
NULL = pc.JoinOptions(null_handling="replace", null_replacement="\\N")


def _with_keys(table: pa.Table, invoice_pks: dict[str, int], batch_id: int) -> pa.Table:
    keys = table.column("invoice_key")
    names = pa.array(list(invoice_pks), pa.string())
    pks = pa.array(list(invoice_pks.values()), pa.int64())
    invoice_id = pc.take(pks, pc.index_in(keys, value_set=names))
    batch = pa.repeat(pa.scalar(batch_id, pa.int64()), table.num_rows)
    rest = table.drop_columns(["invoice_key"])
    return pa.table(
        [invoice_id, batch, *rest.columns], names=["invoice_id", "batch_id", *rest.column_names]
    )


def _copy_text(values: pa.Array) -> pa.Array:
    """Text values escaped for COPY's text format (a byte search per escape usually finds none
    to do)."""
    for old, new in ESCAPES:
        if has_any_byte(values, old.encode()):
            values = pc.replace_substring(values, old, new)
    return values


def _escaped(text: str) -> str:
    for old, new in ESCAPES:
        text = text.replace(old, new)
    return text


def _constant_text(array: pa.Array) -> str | None:
    """The COPY text of the value every row holds, if one does (None: they differ)."""
    if array.null_count == len(array):
        return "\\N"
    if array.null_count:
        return None
    if pa.types.is_string(array.type):
        first = array[0].as_py()
        return _escaped(first) if pc.all(pc.equal(array, first)).as_py() else None
    low, high = pc.min_max(array).values()  # integers, dates
    return str(low) if low == high else None


def _encode_postgres(table: pa.Table) -> memoryview:
    """The batch as COPY text-format rows, in PG_COLUMNS order: one buffer, no per-row Python.

    A view of Arrow's own buffer, not a copy: psycopg sends it in slices of the view.
    """
    if not table.num_rows:
        return memoryview(b"")
    parts: list = []
    for name in PG_COLUMNS:
        column = table.column(f"{name}_text" if f"{name}_text" in DECIMAL_TEXT else name)
        array = column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
        if name in OFTEN_CONSTANT and (text := _constant_text(array)) is not None:
            parts.append(text)
            continue
        if not pa.types.is_string(array.type):
            array = pc.cast(array, pa.string())
        elif name not in UNESCAPED:
            array = _copy_text(array)
        parts.append(array)
    if not isinstance(parts[-1], str):  # never: batch_id is one value per batch
        raise ValueError("batch_id must be the same on every row")
    parts[-1] += "\n"
    lines = join_parts(parts, table.num_rows, NULL, separator="\t")
    offsets, data = lines.buffers()[1], lines.buffers()[2]
    start, end = (
        int.from_bytes(offsets[4 * i : 4 * i + 4], "little", signed=True)
        for i in (lines.offset, lines.offset + len(lines))
    )
    return memoryview(data)[start:end]


# Columns that are the same on every row of a batch of one invoice: SQLite gets them as
# literals in the statement instead of 1M bound parameters each (validated values only:
# integers, a LineKind value, a currency code checked against ^[A-Z]{3}$).
CONSTANT = ("invoice_id", "batch_id", "kind", "currency")


def _encode_sqlite(table: pa.Table) -> tuple[str, list]:
    constants = {}
    if pc.count_distinct(table.column("invoice_id")).as_py() == 1:
        constants = {name: table.column(name)[0].as_py() for name in CONSTANT}
    names = [name for name in COLUMNS if name not in constants]
    columns = []
    for name in names:
        array = table.column(name)
        if pa.types.is_decimal(array.type) or pa.types.is_date(array.type):
            array = pc.cast(array, pa.string())
        columns.append(array.to_pylist())
    literals = [f"'{v}'" if isinstance(v, str) else str(int(v)) for v in constants.values()]
    sql = (
        f"INSERT INTO {TABLE} ({', '.join([*constants, *names])}) "  # noqa: S608
        f"VALUES ({', '.join([*literals, *('?' * len(names))])})"
    )
    return sql, list(zip(*columns, strict=True))


class _NeedKeys:
    def __init__(self, keys: list[str]):
        self.keys, self.answered = keys, threading.Event()


def load_tables(
    tables: Iterator[pa.Table],
    *,
    resolve_keys: Callable[[list[str]], dict[str, int]],
    batch_id: int,
) -> int:
    """Write every table; `resolve_keys` (run on this thread) gives invoice pks for new keys."""
    postgres = connection.vendor == "postgresql"
    encode = _encode_postgres if postgres else _encode_sqlite
    items: queue.Queue = queue.Queue(maxsize=2)
    stop, done = threading.Event(), object()
    pks: dict[str, int] = {}

    def put(item) -> None:
        while not stop.is_set():
            try:
                items.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def produce() -> None:
        try:
            for table in tables:
                keys = [k for k in pc.unique(table.column("invoice_key")).to_pylist()]
                missing = [k for k in keys if k not in pks]
                if missing:
                    request = _NeedKeys(missing)
                    put(request)
                    while not request.answered.wait(0.1):
                        if stop.is_set():
                            return
                put((table.num_rows, encode(_with_keys(table, pks, batch_id))))
                if stop.is_set():
                    return
            put(done)
        except BaseException as exc:  # raised again on the caller's thread
            put(exc)
        finally:
            connections.close_all()  # this thread's own connections, if parsing opened any

    thread = threading.Thread(target=produce, name="upstream-encode", daemon=True)
    thread.start()
    rows = 0
    try:
        with connection.cursor() as cursor:
            raw = cursor.cursor
            while (item := items.get()) is not done:
                if isinstance(item, BaseException):
                    raise item
                if isinstance(item, _NeedKeys):
                    pks.update(resolve_keys(item.keys))
                    item.answered.set()
                    continue
                count, payload = item
                if postgres:
                    with raw.copy(COPY_SQL) as copy:
                        copy.write(payload)
                else:
                    raw.executemany(*payload)
                rows += count
    finally:
        stop.set()
        thread.join()
    return rows
