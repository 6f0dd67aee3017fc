"""The REST API, version 1: read customers and subscriptions. Thin: selectors only."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest
from ninja import NinjaAPI, Path, Query

from cspbilling.api.auth import ApiTokenAuth
from cspbilling.api.docs import LocalSwagger
from cspbilling.api.problems import PROBLEM_CONTENT_TYPE, Problem, install_problem_handlers
from cspbilling.api.schemas import CustomerOut, CustomerPage, SubscriptionOut
from cspbilling.customers import selectors as customer_selectors
from cspbilling.subscriptions import selectors as subscription_selectors

NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL; refuse it as a 422, not a 500
ERRORS = {401: Problem, 403: Problem, 404: Problem, 422: Problem, 500: Problem}


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
        "Customers and subscriptions mirrored from Partner Center operated by 21Vianet. "
        "Authenticate with `Authorization: Bearer <token>`. Errors are RFC 9457 problem details."
    ),
    urls_namespace="api",
    auth=ApiTokenAuth(),
    docs=LocalSwagger(),
)
install_problem_handlers(api)


def _visible_customer(request: HttpRequest, tenant_id: UUID):
    customer = customer_selectors.get_customer(tenant_id=tenant_id)
    if not customer_selectors.customers_for_user(user=request.auth).filter(pk=customer.pk).exists():
        raise customer_selectors.Http404("no such customer")
    return customer


@api.get("/customers", response={200: CustomerPage, **ERRORS}, tags=["customers"])
def list_customers(
    request: HttpRequest,
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=1_000_000),
    search: str = Query("", max_length=200, pattern=NO_NUL),
):
    """Customers, ordered by company name; `search` matches name, domain or tenant id."""
    qs = customer_selectors.search_customers(query=search).filter(
        pk__in=customer_selectors.customers_for_user(user=request.auth).values("pk")
    )
    return {
        "count": qs.count(),
        "limit": limit,
        "offset": offset,
        "items": list(qs[offset : offset + limit]),
    }


@api.get("/customers/{tenant_id}", response={200: CustomerOut, **ERRORS}, tags=["customers"])
def get_customer(request: HttpRequest, tenant_id: UUID):
    """One customer by its Partner Center tenant id."""
    return _visible_customer(request, tenant_id)


@api.get(
    "/customers/{tenant_id}/subscriptions",
    response={200: list[SubscriptionOut], **ERRORS},
    tags=["subscriptions"],
)
def list_customer_subscriptions(request: HttpRequest, tenant_id: UUID):
    """Every subscription of one customer."""
    customer = _visible_customer(request, tenant_id)
    return subscription_selectors.subscriptions_for_customer(customer=customer).select_related(
        "customer"
    )


@api.get(
    "/subscriptions/{subscription_id}",
    response={200: SubscriptionOut, **ERRORS},
    tags=["subscriptions"],
)
def get_subscription(
    request: HttpRequest,
    subscription_id: str = Path(..., max_length=64, pattern=NO_NUL),
):
    """One subscription by its Partner Center subscription id."""
    qs = subscription_selectors.subscriptions_for_user(user=request.auth)
    subscription = qs.filter(subscription_id=subscription_id).first()
    if subscription is None:
        raise customer_selectors.Http404("no such subscription")
    return subscription
