"""Inserting many rows without the ORM's per-object cost.

Django's bulk_create compiles every value of every object (most of a 45,000-row sync's time went
there). `insert_rows` writes plain dicts with one executemany, converting each value exactly as
the field would (`get_db_prep_save`), so what lands is what bulk_create would have written.
`copy_rows` goes further for hundreds of thousands of rows: tuples already in the column's type,
through COPY on PostgreSQL. Both run inside the caller's transaction.

(`upstream/loaders.py` has its own COPY of Arrow batches, encoded without a Python loop per row.)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import batched
from typing import Any

from django.db import connection, models
from django.utils import timezone


def _value_for_missing(field: models.Field, now) -> Any:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now
    return field.get_default()


def insert_rows(
    model: type[models.Model], rows: Sequence[dict[str, Any]], *, batch_size: int = 2000
) -> int:
    """INSERT the rows (dicts keyed by field name or attname, e.g. `customer_id`); fields left
    out get their default. The primary key is left to the database."""
    if not rows:
        return 0
    now = timezone.now()
    auto = ("AutoField", "BigAutoField", "SmallAutoField")
    fields = [
        f
        for f in model._meta.concrete_fields
        if not (f.primary_key and f.get_internal_type() in auto)
    ]
    quote = connection.ops.quote_name
    # Only quoted table and column names from the model go into the text; values are parameters.
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
    prepared = []
    for row in rows:
        values = []
        for field in fields:
            if field.attname in row:
                value = row[field.attname]
            elif field.name in row:
                value = row[field.name]
            else:
                value = _value_for_missing(field, now)
            values.append(field.get_db_prep_save(value, connection))
        prepared.append(values)
    with connection.cursor() as cursor:
        for start in range(0, len(prepared), batch_size):
            cursor.executemany(sql, prepared[start : start + batch_size])
    return len(prepared)


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
