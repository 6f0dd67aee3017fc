"""The REST API, version 1: one router per domain word; endpoints are thin (selectors to read,
services to write)."""

from __future__ import annotations

from ninja import NinjaAPI

from cspbilling.api.auth import ApiTokenAuth
from cspbilling.api.docs import LocalSwagger
from cspbilling.api.problems import PROBLEM_CONTENT_TYPE, install_problem_handlers
from cspbilling.api.routers import (
    cases,
    collections,
    credit_notes,
    customers,
    escalations,
    imports,
    invoices,
    payments,
    price_rules,
    suspensions,
    upstream,
)


class ProblemNinjaAPI(NinjaAPI):
    """Documents every error response as application/problem+json."""

    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for code, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if int(code) >= 400 and "application/json" in content:
                        content[PROBLEM_CONTENT_TYPE] = content.pop("application/json")
        return schema


api = ProblemNinjaAPI(
    title="cspbilling API",
    version="1",
    description=(
        "Customers, subscriptions and suspensions mirrored from Partner Center operated by "
        "21Vianet, and what 21Vianet bills the partner (staff only). "
        "Authenticate with `Authorization: Bearer <token>`. Errors are RFC 9457 problem details. "
        'Money is always a string ("1234.50"), never a JSON number.'
    ),
    urls_namespace="api",
    auth=ApiTokenAuth(),
    docs=LocalSwagger(),
)
install_problem_handlers(api)
api.add_router("", customers.router)
api.add_router("", upstream.router)
api.add_router("", imports.router)
api.add_router("", suspensions.router)
api.add_router("", price_rules.router)
api.add_router("", invoices.router)
api.add_router("", credit_notes.router)
api.add_router("", payments.router)
api.add_router("", cases.router)
api.add_router("", collections.router)
api.add_router("", escalations.router)
