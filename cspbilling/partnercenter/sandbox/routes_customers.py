"""Customers and subscriptions."""

from __future__ import annotations

from typing import Any

from cspbilling.partnercenter.sandbox import subscriptions
from cspbilling.partnercenter.sandbox.http_util import Reply, Request, collection, link, ok
from cspbilling.partnercenter.sandbox.state import SandboxError, SandboxState

_FILTER_FIELDS = {
    "companyname": lambda c: c["companyProfile"]["companyName"],
    "domain": lambda c: c["companyProfile"]["domain"],
    "indirectreseller": lambda c: c.get("associatedPartnerId") or "",
}


def _listed(customer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in customer.items() if k != "allowDelegatedAccess"}


def _matching(state: SandboxState, flt: dict[str, Any] | None) -> list[dict[str, Any]]:
    customers = list(state.world.customers.values())
    if not flt:
        return customers
    field = str(flt.get("field", "")).lower()
    operator = str(flt.get("operator", "")).lower().replace("_", "")
    if field not in _FILTER_FIELDS or operator != "startswith":
        raise SandboxError(
            400,
            None,
            "filter supports Field CompanyName, Domain or "
            "IndirectReseller with Operator starts_with",
        )
    value = str(flt.get("value", "")).lower()
    get = _FILTER_FIELDS[field]
    return [c for c in customers if str(get(c)).lower().startswith(value)]


def list_customers(state: SandboxState, req: Request) -> Reply:
    if req.query.get("seekoperation", "").lower() == "next":
        offset, (size, flt) = state.take_continuation(
            "customers", req.headers.get("MS-ContinuationToken")
        )
    else:
        size, flt = req.int_param("size", 40, maximum=500), req.filter()
        offset = 0
    matching = _matching(state, flt)
    page = [_listed(c) for c in matching[offset : offset + size]]
    nxt = None
    if offset + size < len(matching):
        token = state.new_continuation("customers", offset + size, (size, flt))
        nxt = link(
            f"/customers?size={size}&seekOperation=Next",
            [{"key": "MS-ContinuationToken", "value": token}],
        )
    return ok(collection(page, req.self_uri, nxt))


def get_customer(state: SandboxState, req: Request) -> Reply:
    return ok(state.customer(req.params["cid"]))


def list_subscriptions(state: SandboxState, req: Request) -> Reply:
    cid = req.params["cid"]
    state.customer(cid)
    subs = list(state.world.subscriptions[cid.lower()].values())
    return ok(collection(subs, req.self_uri))


def get_subscription(state: SandboxState, req: Request) -> Reply:
    return ok(state.subscription(req.params["cid"], req.params["sid"]))


def patch_subscription(state: SandboxState, req: Request) -> Reply:
    sub = subscriptions.patch(
        state, req.params["cid"], req.params["sid"], req.json(), req.headers.get("If-Match")
    )
    return ok(sub)


ROUTES = [
    ("GET", r"/v1/customers", list_customers),
    ("GET", r"/v1/customers/(?P<cid>[^/]+)", get_customer),
    ("GET", r"/v1/customers/(?P<cid>[^/]+)/subscriptions", list_subscriptions),
    ("GET", r"/v1/customers/(?P<cid>[^/]+)/subscriptions/(?P<sid>[^/]+)", get_subscription),
    ("PATCH", r"/v1/customers/(?P<cid>[^/]+)/subscriptions/(?P<sid>[^/]+)", patch_subscription),
]
