"""Customers and their subscriptions, mirrored from Partner Center. Read only: selectors."""

from __future__ import annotations

from uuid import UUID

from django.http import Http404, HttpRequest
from ninja import Path, Query, Router

from cspbilling.api.common import ERRORS, NO_NUL
from cspbilling.api.compiled import CompiledValues, compiled_values
from cspbilling.api.rendering import json_ready, json_response
from cspbilling.api.schemas.customers import CustomerOut, CustomerPage, SubscriptionOut
from cspbilling.customers import selectors as customer_selectors
from cspbilling.subscriptions import selectors as subscription_selectors

router = Router()


# The page's rows are read as exactly these columns: no model instances to build.
CUSTOMER_FIELDS = tuple(CustomerOut.model_fields)


def _visible_customers(user) -> CompiledValues:
    """The customers this user may see (the selector decides), as the schema's columns, in the
    list's order; compiled once per user (and role and customer, should either change)."""
    return compiled_values(
        ("customers", user.pk, user.role, user.customer_id),
        lambda: customer_selectors.customers_for_user(user=user).values(*CUSTOMER_FIELDS),
    )


def _visible_customer(request: HttpRequest, tenant_id: UUID):
    return customer_selectors.get_customer_for_user(user=request.auth, tenant_id=tenant_id)


@router.get("/customers", response={200: CustomerPage, **ERRORS}, tags=["customers"])
def list_customers(
    request: HttpRequest,
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=1_000_000),
    search: str = Query("", max_length=200, pattern=NO_NUL),
):
    """Customers, ordered by company name; `search` matches name, domain or tenant id."""
    if search:
        qs = customer_selectors.customers_for_user(user=request.auth, query=search)
        rows = list(qs.values(*CUSTOMER_FIELDS)[offset : offset + limit])
        # A page that is neither empty nor full is the last one: it tells the count.
        count = offset + len(rows) if 0 < len(rows) < limit else qs.count()
    else:
        rows, count = _visible_customers(request.auth).page_and_count(limit=limit, offset=offset)
    # Written as the CustomerPage schema would write it (checked byte for byte in the tests):
    # no pydantic models to build for 50 rows, no encoder callback for each id and date.
    page = {"count": count, "limit": limit, "offset": offset, "items": list(map(json_ready, rows))}
    return json_response(page)


@router.get("/customers/{tenant_id}", response={200: CustomerOut, **ERRORS}, tags=["customers"])
def get_customer(request: HttpRequest, tenant_id: UUID):
    """One customer by its Partner Center tenant id."""
    rows = _visible_customers(request.auth).where("tenant_id", tenant_id)
    if not rows:
        raise Http404("no such customer")
    return json_response(json_ready(rows[0]))


@router.get(
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


@router.get(
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
