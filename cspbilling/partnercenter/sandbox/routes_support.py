"""Service requests and support topics (read, list, add a note; create is decommissioned).

They exist in the global cloud only. The 21Vianet cloud's documents say "all support requests
are handled through Partner Center operated by 21Vianet; service requests and service updates
don't apply", so a sandbox running as ``china`` answers every one of these paths 404 saying so.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime

from cspbilling.partnercenter.sandbox import catalog, seed
from cspbilling.partnercenter.sandbox.http_util import (
    Reply,
    Request,
    collection,
    offset_page,
    ok,
)
from cspbilling.partnercenter.sandbox.state import SandboxError, SandboxState

NOT_IN_CHINA = (
    "Service requests and service updates don't apply to Partner Center operated by 21Vianet: "
    "all support requests are handled through Partner Center operated by 21Vianet "
    "(Support requests in its portal)."
)


def global_only(func: Callable[[SandboxState, Request], Reply]) -> Callable:
    @functools.wraps(func)
    def route(state: SandboxState, req: Request) -> Reply:
        if state.cloud != "global":
            raise SandboxError(404, None, NOT_IN_CHINA)
        return func(state, req)

    return route


@global_only
def list_service_requests(state: SandboxState, req: Request) -> Reply:
    items = list(state.world.service_requests.values())
    flt = req.filter()
    if flt:
        if str(flt.get("field", "")).lower() != "status":
            raise SandboxError(400, None, "filter supports Field Status only")
        wanted = str(flt.get("value", "")).lower().replace("_", "")
        items = [sr for sr in items if sr["status"].replace("_", "") == wanted]
    return ok(offset_page(req, items, "/servicerequests", default_size=100, maximum=500))


@global_only
def customer_service_requests(state: SandboxState, req: Request) -> Reply:
    cid = req.params["cid"]
    state.customer(cid)
    items = [
        sr
        for sid, sr in state.world.service_requests.items()
        if state.world.sr_customer.get(sid) == cid.lower()
    ]
    return ok(collection(items, req.self_uri))


@global_only
def get_service_request(state: SandboxState, req: Request) -> Reply:
    return ok(state.service_request(req.params["srid"]))


@global_only
def patch_service_request(state: SandboxState, req: Request) -> Reply:
    body = req.json()
    lowered = {str(k).lower(): v for k, v in body.items()} if isinstance(body, dict) else {}
    note = lowered.get("newnote")
    if not isinstance(note, dict):
        raise SandboxError(400, None, 'The body must be {"NewNote": {"Text": "..."}}')
    text = next((v for k, v in note.items() if str(k).lower() == "text"), None)
    sr = state.service_request(req.params["srid"])
    status = "open" if sr["status"] == "attention_needed" else None
    return ok(
        state.add_note(req.params["srid"], str(text or ""), by=state.partner_author, status=status)
    )


@global_only
def create_service_request(state: SandboxState, req: Request) -> Reply:
    """Decommissioned, unless the sandbox plays a cloud that still offers it
    (``POST /_sandbox/servicerequests/api {"enabled": true}``). Like the documented one it has
    no idempotency key: a caller that lost the answer must look the request up before retrying."""
    if not state.service_request_api:
        raise SandboxError(
            404,
            None,
            "Creating service requests through the API was decommissioned on 2020-08-31. "
            "File the request in Partner Center: Help + support.",
        )
    body = req.json()
    fields = {str(k).lower(): v for k, v in body.items()} if isinstance(body, dict) else {}
    title = str(fields.get("title") or "").strip()
    if not title:
        raise SandboxError(400, None, "Title is required")
    severity = str(fields.get("severity") or "moderate").lower()
    if severity not in {"unknown", "critical", "moderate", "minimal"}:
        raise SandboxError(400, None, f"Severity {severity!r} is not valid")
    topic = next(
        (t for t in catalog.SUPPORT_TOPICS if t["id"] == str(fields.get("supporttopicid"))),
        None,
    )
    if topic is None:
        raise SandboxError(400, None, "SupportTopicId is not a support topic")
    sr = seed.add_service_request(
        state.world,
        None,
        title=title,
        description=str(fields.get("description") or ""),
        severity=severity,
        topic=topic,
        created=datetime.now(UTC),
    )
    return ok(sr, 201)


@global_only
def support_topics(state: SandboxState, req: Request) -> Reply:
    topics = [dict(t, attributes={"objectType": "SupportTopic"}) for t in catalog.SUPPORT_TOPICS]
    return ok(collection(topics, req.self_uri))


ROUTES = [
    ("GET", r"/v1/servicerequests", list_service_requests),
    ("GET", r"/v1/servicerequests/supporttopics", support_topics),
    ("GET", r"/v1/servicerequests/(?P<srid>[^/]+)", get_service_request),
    ("PATCH", r"/v1/servicerequests/(?P<srid>[^/]+)", patch_service_request),
    ("POST", r"/v1/servicerequests(?:/(?P<locale>[^/]+))?", create_service_request),
    ("GET", r"/v1/customers/(?P<cid>[^/]+)/servicerequests", customer_service_requests),
]
