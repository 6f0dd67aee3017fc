"""Inserting many rows without the ORM's per-object cost.

Django's bulk_create compiles every value of every object (most of a 45,000-row sync's time went
there). `insert_rows` writes plain dicts with one executemany, converting each value exactly as
the field would (`get_db_prep_save`), so what lands is what bulk_create would have written.
`copy_rows` goes further for hundreds of thousands of rows: tuples already in the column's type,
through COPY on PostgreSQL. Both run inside the caller's transaction.

(`upstream/loaders.py` has its own COPY of Arrow batches, encoded without a Python loop per row.)
"""

from __future__ import annotations

import datetime as dt
import gc
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import batched
from typing import Any

import orjson
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.utils import timezone

# Fields whose database value is the Python value itself (the drivers take int, str and bool as
# they are): converting them through get_db_prep_save cost most of a 100,000-line statement's
# import for nothing.
_AS_IS = {
    "AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField",
    "SmallIntegerField", "PositiveIntegerField", "PositiveBigIntegerField",
    "PositiveSmallIntegerField", "BooleanField", "CharField", "TextField",
}  # fmt: skip
_SAME_TYPE = {"CharField": str, "TextField": str, "BooleanField": bool}  # the others: int


def _converter(field: models.Field, wrapper) -> Callable[[Any], Any]:
    """The function that turns a Python value into what `field` stores, exactly as
    `field.get_db_prep_save` does, with a shortcut for the values that need nothing."""
    target = field.target_field if field.is_relation else field
    kind = target.get_internal_type()

    def prepare(value: Any) -> Any:
        return field.get_db_prep_save(value, wrapper)

    if kind == "DateField" and not field.is_relation:
        adapt = wrapper.ops.adapt_datefield_value

        def day(value: Any) -> Any:
            return adapt(value) if type(value) is dt.date else prepare(value)

        return day
    if kind not in _AS_IS:
        return prepare
    exact = _SAME_TYPE.get(kind, int)

    def as_is(value: Any) -> Any:
        return value if value is None or type(value) is exact else prepare(value)

    return as_is


COPY_FROM_ROWS = 100  # fewer rows go in one executemany: COPY's own set-up is not worth it


def _value_for_missing(field: models.Field, now) -> Any:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now
    return field.get_default()


def insert_rows(
    model: type[models.Model], rows: Sequence[dict[str, Any]], *, batch_size: int = 2000
) -> int:
    """INSERT the rows (dicts keyed by field name or attname, e.g. `customer_id`); fields left
    out get their default. The primary key is left to the database, unless the rows give it
    (ids from `reserve_ids`)."""
    if not rows:
        return 0
    now = timezone.now()
    auto = ("AutoField", "BigAutoField", "SmallAutoField")
    pk_given = model._meta.pk.attname in rows[0]
    fields = [
        f
        for f in model._meta.concrete_fields
        if pk_given or not (f.primary_key and f.get_internal_type() in auto)
    ]
    wrapper = connections[DEFAULT_DB_ALIAS]
    converters = [_converter(field, wrapper) for field in fields]
    plans: dict[frozenset, list] = {}  # per set of keys given: (key or None, default, converter)

    def plan_for(keys: frozenset) -> list:
        plan = []
        for field, convert in zip(fields, converters, strict=True):
            key = (
                field.attname
                if field.attname in keys
                else field.name
                if field.name in keys
                else None
            )
            default = (
                None if key else field.get_db_prep_save(_value_for_missing(field, now), wrapper)
            )
            plan.append((key, default, convert))
        return plan

    prepared = []
    for row in rows:
        keys = frozenset(row)
        plan = plans.get(keys) or plans.setdefault(keys, plan_for(keys))
        prepared.append([convert(row[key]) if key else default for key, default, convert in plan])
    return _write_prepared(model, fields, prepared, batch_size=batch_size)


def _write_prepared(
    model: type[models.Model], fields: list, prepared: list[list[Any]], *, batch_size: int = 2000
) -> int:
    """INSERT rows already converted for their columns (`fields` order)."""
    wrapper = connections[DEFAULT_DB_ALIAS]
    quote = wrapper.ops.quote_name
    # Only quoted table and column names from the model go into the text; values are parameters.
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
    with connection.cursor() as cursor:
        if wrapper.vendor == "postgresql" and len(prepared) >= COPY_FROM_ROWS:
            # COPY takes the same values (psycopg dumps them alike), without a round of the
            # protocol per row: a statement's 100,000 lines in a second instead of ten.
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for values in prepared:
                    copy.write_row(values)
            return len(prepared)
        for start in range(0, len(prepared), batch_size):
            cursor.executemany(sql, prepared[start : start + batch_size])
    return len(prepared)


@contextmanager
def fewer_collections(first_generation: int = 50_000) -> Iterator[None]:
    """Python's cyclic garbage collector, run less often while a bulk job builds hundreds of
    thousands of objects: with the default threshold (700 allocations) its full collections,
    each walking every live object, cost a collections run of 100,000 customers 8 of its 47
    seconds. Reference counting still frees what is not in a cycle; cycles wait a little."""
    before = gc.get_threshold()
    gc.set_threshold(first_generation, before[1], before[2])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` new primary keys of `model` that no other insert will take, for rows the caller
    inserts with them (so it knows each row's id without the ORM's per-object bulk_create).
    PostgreSQL: from the column's sequence. SQLite: after the highest id ever given; safe because
    every transaction there holds the write lock from its start (IMMEDIATE, see settings)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("reserve_ids must run inside the transaction that inserts the rows")
    if count <= 0:
        return []
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [connection.ops.quote_name(table), column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        quote = connection.ops.quote_name
        cursor.execute(f"SELECT COALESCE(MAX({quote(column)}), 0) FROM {quote(table)}")  # noqa: S608
        highest = cursor.fetchone()[0]
        cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_sequence'")
        if cursor.fetchone():
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            found = cursor.fetchone()
            highest = max(highest, found[0] if found else 0)
    return list(range(highest + 1, highest + 1 + count))


def copy_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    batch_size: int = 5000,
) -> int:
    """Write rows (tuples in `columns` order, by column name) as fast as the database takes them:
    COPY on PostgreSQL, executemany on SQLite; the model's other fields get their default (the
    same for every row). Unlike `insert_rows`, the values are not converted by their fields: give
    each one already as its column stores it (int, str, Decimal, date, None). `rows` may be a
    generator. Runs inside the caller's transaction."""
    now = timezone.now()
    auto = ("AutoField", "BigAutoField", "SmallAutoField")
    given = set(columns)
    rest = [
        f
        for f in model._meta.concrete_fields
        if f.column not in given and not (f.primary_key and f.get_internal_type() in auto)
    ]
    defaults = tuple(f.get_db_prep_save(_value_for_missing(f, now), connection) for f in rest)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(column) for column in (*columns, *(f.column for f in rest)))
    written = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row((*row, *defaults) if defaults else row)
                    written += 1
            return written
        placeholders = ", ".join(["%s"] * (len(columns) + len(rest)))
        sql = f"INSERT INTO {table} ({names}) VALUES ({placeholders})"  # noqa: S608
        for batch in batched(rows, batch_size):
            cursor.executemany(sql, [(*row, *defaults) for row in batch] if defaults else batch)
            written += len(batch)
    return written


def update_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    batch_size: int = 2000,
) -> int:
    """UPDATE rows by primary key: each row is its new values in `columns` order (by column
    name, each already as its column stores it, as for `copy_rows`) followed by its primary key.
    PostgreSQL: COPY into a scratch table of those columns, then one UPDATE … FROM; SQLite: one
    statement, executemany. (Django's bulk_update builds a CASE per field per row: compiling
    those took 35 s for 9,000 rows of a collections run.) Runs inside the caller's transaction."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk = quote(model._meta.pk.column)
    written = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            scratch = f"update_{model._meta.db_table}"
            written = fill_scratch_table(scratch, model, (*columns, model._meta.pk.column), rows)
            assignments = ", ".join(f"{quote(c)} = u.{quote(c)}" for c in columns)
            cursor.execute(
                f"UPDATE {table} t SET {assignments} FROM {quote(scratch)} u "  # noqa: S608
                f"WHERE t.{pk} = u.{pk}"
            )
            cursor.execute(f"DROP TABLE {quote(scratch)}")
            return written
        assignments = ", ".join(f"{quote(column)} = %s" for column in columns)
        sql = f"UPDATE {table} SET {assignments} WHERE {pk} = %s"  # noqa: S608
        for batch in batched(rows, batch_size):
            cursor.executemany(sql, batch)
            written += len(batch)
    return written


def fill_scratch_table(
    name: str,
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    batch_size: int = 5000,
) -> int:
    """A temporary table `name` of `columns`, each typed as `model`'s column of that name,
    filled with `rows` (values as the columns store them, as for `copy_rows`): COPY on
    PostgreSQL, executemany on SQLite. One left by an earlier statement of this connection is
    replaced. Runs inside the caller's transaction; the caller drops it when done."""
    quote = connection.ops.quote_name
    table, scratch = quote(model._meta.db_table), quote(name)
    names = ", ".join(quote(column) for column in columns)
    written = 0
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {scratch}")
        cursor.execute(
            f"CREATE TEMP TABLE {scratch} AS SELECT {names} FROM {table} WHERE 1 = 0"  # noqa: S608
        )
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {scratch} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    written += 1
            return written
        placeholders = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {scratch} ({names}) VALUES ({placeholders})"  # noqa: S608
        for batch in batched(rows, batch_size):
            cursor.executemany(sql, batch)
            written += len(batch)
    return written


def json_text(value: Any) -> str:
    """A JSON column's text for a bulk write, by orjson (a tenth of the standard encoder's
    time; non-ASCII kept as it is); what orjson refuses (an int beyond 64 bits, a lone
    surrogate) by the standard encoder. Not for texts that are hashed: see
    `audit.hashing.json_ready_text`."""
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value, ensure_ascii=False)
