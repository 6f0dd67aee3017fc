"""A `.values()` queryset compiled to SQL once, then run again and again.

Django compiles a queryset to SQL each time it runs it: 0.1-0.3 ms per query, against 30 µs to
run it on an indexed table. The hot API reads (a page of customers, one customer) compile the
selector's queryset once per thread and key (each thread has its own database connection), then
run that SQL with the request's values: paged (LIMIT/OFFSET), counted, or narrowed to one row by
a column. The rows come back as `.values()` would give them: Django's converters are applied.

The key must name everything the queryset depends on (the caller's user, say): the SQL is the
selector's answer for that key, reused without asking the selector again. Its parameters are
kept too, so a queryset whose values change by themselves (the time now, ids read into a list)
must not be compiled here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import Model, QuerySet

_MAX_ENTRIES = 1_000  # per thread: a few shapes per API user; cleared whole if ever reached
_per_thread = threading.local()


@dataclass(frozen=True)
class CompiledValues:
    """The SQL of a `.values()` queryset, with its parameters and the converters of its columns."""

    alias: str
    model: type[Model]
    sql: str
    unordered_sql: str
    params: tuple[Any, ...]
    unordered_params: tuple[Any, ...]
    names: tuple[str, ...]
    converters: tuple[tuple[int, list[Callable], Any], ...]

    def page(self, *, limit: int, offset: int) -> list[dict[str, Any]]:
        return self._rows(f"{self.sql} LIMIT %s OFFSET %s", (*self.params, limit, offset))

    def page_and_count(self, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        """A page and the count of every row. PostgreSQL answers both in one round trip (two
        statements in one execute, client-side binding); elsewhere the count is asked only when
        the page does not tell it (a page neither empty nor full is the last one)."""
        connection = connections[self.alias]
        if connection.vendor != "postgresql":
            rows = self.page(limit=limit, offset=offset)
            return rows, offset + len(rows) if 0 < len(rows) < limit else self.count()
        sql = f"{self._count_sql()}; {self.sql} LIMIT %s OFFSET %s"
        with connection.cursor() as cursor:
            cursor.execute(sql, (*self.unordered_params, *self.params, limit, offset))
            count = cursor.fetchone()[0]
            cursor.nextset()
            rows = cursor.fetchall()
        return self._convert(rows, connection), count

    def _count_sql(self) -> str:
        return f"SELECT COUNT(*) FROM ({self.unordered_sql}) counted"  # noqa: S608 (Django's SQL)

    def count(self) -> int:
        with connections[self.alias].cursor() as cursor:
            cursor.execute(self._count_sql(), self.unordered_params)
            return cursor.fetchone()[0]

    def where(self, field: str, value: Any) -> list[dict[str, Any]]:
        """The rows whose `field` (a selected field of the model) equals `value`."""
        connection = connections[self.alias]
        prepared = self.model._meta.get_field(field).get_db_prep_value(value, connection)
        column = connection.ops.quote_name(field)
        # Django's SQL, a model field's quoted column; the value is a parameter.
        sql = f"SELECT * FROM ({self.unordered_sql}) narrowed WHERE narrowed.{column} = %s"  # noqa: S608
        return self._rows(sql, (*self.unordered_params, prepared))

    def _rows(self, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        connection = connections[self.alias]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return self._convert(rows, connection)

    def _convert(self, rows: list[tuple], connection) -> list[dict[str, Any]]:
        names, converters = self.names, self.converters
        result = []
        for row in rows:
            if converters:
                row = list(row)
                for index, functions, expression in converters:
                    value = row[index]
                    for convert in functions:
                        value = convert(value, expression, connection)
                    row[index] = value
            result.append(dict(zip(names, row, strict=True)))
        return result


def compiled_values(key: Hashable, build: Callable[[], QuerySet]) -> CompiledValues:
    """`build()` (a `.values()` queryset, unsliced) compiled on its first use in this thread."""
    cache: dict[Hashable, CompiledValues] = _per_thread.__dict__.setdefault("cache", {})
    found = cache.get(key)
    if found is None:
        if len(cache) >= _MAX_ENTRIES:
            cache.clear()
        found = cache[key] = _compile(build())
    return found


def _compile(queryset: QuerySet) -> CompiledValues:
    query = queryset.query
    if query.low_mark or query.high_mark is not None:
        raise ValueError("compile the unsliced queryset: pages are cut when it runs")
    alias = queryset.db
    compiler = query.get_compiler(alias)
    sql, params = compiler.as_sql()
    unordered_sql, unordered_params = queryset.order_by().query.get_compiler(alias).as_sql()
    columns = [column for column, _, _ in compiler.select]
    converters = compiler.get_converters(columns)
    return CompiledValues(
        alias=alias,
        model=queryset.model,
        sql=sql,
        unordered_sql=unordered_sql,
        params=tuple(params),
        unordered_params=tuple(unordered_params),
        names=tuple([*query.extra_select, *query.values_select, *query.annotation_select]),
        converters=tuple(
            (index, functions, expression)
            for index, (functions, expression) in sorted(converters.items())
        ),
    )
