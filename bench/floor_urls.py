"""Bare Django views returning the rows the customers API returns: one raw query, json."""

from __future__ import annotations

import json

from django.db import connection
from django.http import HttpResponse
from django.urls import path

COLUMNS = (
    "tenant_id, company_name, legal_name, domain, status, country, tax_id, language, currency, "
    "payment_terms_days, last_synced_at"
)


def _rows(sql: str, params: list) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _json(data) -> HttpResponse:
    return HttpResponse(json.dumps(data, default=str), content_type="application/json")


def customer_list(request):
    limit = int(request.GET.get("limit", 50))
    sql = f"SELECT {COLUMNS} FROM customers_customer ORDER BY company_name, id LIMIT %s"
    return _json({"items": _rows(sql, [limit])})


def one_customer(request, tenant_id: str):
    value = tenant_id if connection.vendor == "postgresql" else tenant_id.replace("-", "")
    sql = f"SELECT {COLUMNS} FROM customers_customer WHERE tenant_id = %s"
    return _json(_rows(sql, [value])[0])


urlpatterns = [
    path("api/v1/customers", customer_list),
    path("api/v1/customers/<str:tenant_id>", one_customer),
]
