"""Service requests and support topics (read, list, add a note; create is decommissioned)."""

from __future__ import annotations

from cspbilling.partnercenter.sandbox import catalog
from cspbilling.partnercenter.sandbox.http_util import (
    Reply,
    Request,
    collection,
    offset_page,
    ok,
)
from cspbilling.partnercenter.sandbox.state import SandboxError, SandboxState

PARTNER_AGENT = "Sandbox CSP Partner"


def list_service_requests(state: SandboxState, req: Request) -> Reply:
    items = list(state.world.service_requests.values())
    flt = req.filter()
    if flt:
        if str(flt.get("field", "")).lower() != "status":
            raise SandboxError(400, 400001, "filter supports Field Status only")
        wanted = str(flt.get("value", "")).lower().replace("_", "")
        items = [sr for sr in items if sr["status"].replace("_", "") == wanted]
    return ok(offset_page(req, items, "/servicerequests", default_size=100, maximum=500))


def customer_service_requests(state: SandboxState, req: Request) -> Reply:
    cid = req.params["cid"]
    state.customer(cid)
    items = [
        sr
        for sid, sr in state.world.service_requests.items()
        if state.world.sr_customer.get(sid) == cid.lower()
    ]
    return ok(collection(items, f"/customers/{cid}/servicerequests"))


def get_service_request(state: SandboxState, req: Request) -> Reply:
    return ok(state.service_request(req.params["srid"]))


def patch_service_request(state: SandboxState, req: Request) -> Reply:
    body = req.json()
    lowered = {str(k).lower(): v for k, v in body.items()} if isinstance(body, dict) else {}
    note = lowered.get("newnote")
    if not isinstance(note, dict):
        raise SandboxError(400, 400001, 'The body must be {"NewNote": {"Text": "..."}}')
    text = next((v for k, v in note.items() if str(k).lower() == "text"), None)
    sr = state.service_request(req.params["srid"])
    status = "open" if sr["status"] == "attention_needed" else None
    return ok(state.add_note(req.params["srid"], str(text or ""), by=PARTNER_AGENT, status=status))


def create_service_request(state: SandboxState, req: Request) -> Reply:
    raise SandboxError(
        404,
        600041,
        "Creating service requests through the API was decommissioned on 2020-08-31. "
        "File the request in Partner Center operated by 21Vianet: Support requests.",
    )


def support_topics(state: SandboxState, req: Request) -> Reply:
    topics = [dict(t, attributes={"objectType": "SupportTopic"}) for t in catalog.SUPPORT_TOPICS]
    return ok(collection(topics, "/servicerequests/supporttopics"))


ROUTES = [
    ("GET", r"/v1/servicerequests", list_service_requests),
    ("GET", r"/v1/servicerequests/supporttopics", support_topics),
    ("GET", r"/v1/servicerequests/(?P<srid>[^/]+)", get_service_request),
    ("PATCH", r"/v1/servicerequests/(?P<srid>[^/]+)", patch_service_request),
    ("POST", r"/v1/servicerequests(?:/(?P<locale>[^/]+))?", create_service_request),
    ("GET", r"/v1/customers/(?P<cid>[^/]+)/servicerequests", customer_service_requests),
]
