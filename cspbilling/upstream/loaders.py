"""Writing normalised batches into the line table: COPY on PostgreSQL, executemany on SQLite.

`load_tables` runs parsing and encoding in a worker thread (Arrow and the CSV writer release the
GIL), while the caller's thread, which owns the database connection and its transaction, writes
the previous batch. A rollback of that transaction removes every row written here.
"""

from __future__ import annotations

import io
import queue
import threading
from collections.abc import Callable, Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from django.db import connection, connections

from cspbilling.upstream.models import UpstreamLineItem
from cspbilling.upstream.normalise import OUTPUT

TABLE = UpstreamLineItem._meta.db_table
COLUMNS = ("invoice_id", "batch_id", *OUTPUT[1:])
COPY_SQL = f"COPY {TABLE} ({', '.join(COLUMNS)}) FROM STDIN WITH (FORMAT csv)"


def _with_keys(table: pa.Table, invoice_pks: dict[str, int], batch_id: int) -> pa.Table:
    keys = table.column("invoice_key").combine_chunks()
    names = pa.array(list(invoice_pks), pa.string())
    pks = pa.array(list(invoice_pks.values()), pa.int64())
    invoice_id = pc.take(pks, pc.index_in(keys, value_set=names))
    batch = pa.array([batch_id] * table.num_rows, pa.int64())
    return pa.table([invoice_id, batch, *table.columns[1:]], names=list(COLUMNS))


def _encode_postgres(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pacsv.write_csv(table, buffer, write_options=pacsv.WriteOptions(include_header=False))
    return buffer.getvalue()


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
