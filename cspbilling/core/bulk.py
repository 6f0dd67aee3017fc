"""Inserting many rows without the ORM's per-object cost.

Django's bulk_create compiles every value of every object (most of a 45,000-row sync's time went
there). This writes plain dicts with one executemany, converting each value exactly as the field
would (`get_db_prep_save`), so what lands is what bulk_create would have written. Runs inside
the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
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
