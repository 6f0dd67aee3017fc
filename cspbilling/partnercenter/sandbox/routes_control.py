"""Control endpoints under /_sandbox/: faults, reset, and the "21Vianet side" for training."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from cspbilling.partnercenter.sandbox import catalog, ledger, seed
from cspbilling.partnercenter.sandbox.http_util import Reply, Request, ok
from cspbilling.partnercenter.sandbox.state import SandboxError, SandboxState

SUPPORT_NAME = "世纪互联支持 (21Vianet Support)"
SUPPORT_EMAIL = "support@oe.21vianet.com"


def _body(req: Request) -> dict[str, Any]:
    body = req.json()
    if not isinstance(body, dict):
        raise SandboxError(400, None, "The body must be a JSON object")
    return body


def info(state: SandboxState, req: Request) -> Reply:
    world = state.world
    return ok(
        {
            "customers": len(world.customers),
            "subscriptions": sum(len(s) for s in world.subscriptions.values()),
            "invoices": [inv["id"] for inv in world.invoices],
            "serviceRequests": len(world.service_requests),
            "seed": state.seed,
            "cloud": state.cloud,
            "stateFile": str(state.state_file) if state.state_file else None,
            "faults": state.faults.as_dict(),
        }
    )


def get_faults(state: SandboxState, req: Request) -> Reply:
    return ok(state.faults.as_dict())


def set_faults(state: SandboxState, req: Request) -> Reply:
    try:
        state.faults.update(_body(req))
    except (TypeError, ValueError) as exc:
        raise SandboxError(400, None, str(exc)) from None
    return ok(state.faults.as_dict())


def clear_faults(state: SandboxState, req: Request) -> Reply:
    state.faults = type(state.faults)()
    return ok(state.faults.as_dict())


def reset(state: SandboxState, req: Request) -> Reply:
    body = _body(req)
    try:
        state.reset(customers=body.get("customers"), seed=body.get("seed"), cloud=body.get("cloud"))
    except ValueError as exc:
        raise SandboxError(400, None, str(exc)) from None
    return info(state, req)


def request_log(state: SandboxState, req: Request) -> Reply:
    return ok({"items": list(state.requests)[-500:]})


def sr_note(state: SandboxState, req: Request) -> Reply:
    body = _body(req)
    return ok(
        state.add_note(
            req.params["srid"],
            str(body.get("text", "")),
            by=str(body.get("created_by_name") or SUPPORT_NAME),
            status=body.get("status", "attention_needed"),
        )
    )


def sr_email(state: SandboxState, req: Request) -> Reply:
    """21Vianet's support writes to the partner's mailbox about a request: {to, smtp_host,
    smtp_port, text, subject?, sender?}. The subject names the ticket number (as theirs do);
    the note is kept on the request too."""
    body = _body(req)
    sr = state.service_request(req.params["srid"])
    text = str(body.get("text") or "").strip()
    to = str(body.get("to") or "").strip()
    if not text or not to or not body.get("smtp_port"):
        raise SandboxError(400, None, "to, smtp_port and text are required")
    sender = str(body.get("sender") or SUPPORT_EMAIL)
    message = EmailMessage()
    message["From"] = f"{SUPPORT_NAME} <{sender}>"
    message["To"] = to
    message["Subject"] = str(body.get("subject") or f"工单 {sr['id']} 的答复 (Ticket {sr['id']})")
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    message.set_content(f"{text}\n\n世纪互联支持\n工单号：{sr['id']}\n")
    try:
        with smtplib.SMTP(
            str(body.get("smtp_host") or "127.0.0.1"), int(body["smtp_port"]), timeout=10
        ) as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise SandboxError(502, None, f"could not send to {to}: {exc}") from None
    state.add_note(sr["id"], text, by=SUPPORT_NAME, status=body.get("status") or None)
    return ok({"sent": True, "message_id": message["Message-ID"], "subject": message["Subject"]})


def sr_api(state: SandboxState, req: Request) -> Reply:
    """{"enabled": true}: play a cloud that still offers POST /v1/servicerequests."""
    state.service_request_api = bool(_body(req).get("enabled"))
    return ok({"serviceRequestApi": state.service_request_api})


def sr_close(state: SandboxState, req: Request) -> Reply:
    return ok(state.close_service_request(req.params["srid"]))


def sr_create(state: SandboxState, req: Request) -> Reply:
    body = _body(req)
    state.customer(str(body.get("customer_id", "")))
    topic = next(
        (t for t in catalog.SUPPORT_TOPICS if t["id"] == str(body.get("support_topic_id"))),
        catalog.SUPPORT_TOPICS[0],
    )
    sr = seed.add_service_request(
        state.world,
        str(body["customer_id"]).lower(),
        title=str(body.get("title") or "Request"),
        description=str(body.get("description") or ""),
        severity=str(body.get("severity") or "moderate"),
        topic=topic,
        created=datetime.now(UTC),
    )
    return ok(sr, 201)


def invoices(state: SandboxState, req: Request) -> Reply:
    """{"kind": "invoice"} issues the next monthly invoice; {"kind": "credit", "customer_id",
    "subscription_id", "amount", "charge_type"?} queues a credit line for it."""
    body = _body(req)
    kind = body.get("kind", "invoice")
    if kind == "invoice":
        return ok(state.issue_invoice(), 201)
    if kind != "credit":
        raise SandboxError(400, None, "kind must be invoice or credit")
    try:
        amount = Decimal(str(body["amount"]))
    except (KeyError, InvalidOperation):
        raise SandboxError(400, None, "amount is required (a decimal string)") from None
    cid, sid = str(body.get("customer_id", "")).lower(), str(body.get("subscription_id", ""))
    try:
        line = ledger.queue_credit(
            state.world,
            cid,
            sid.lower(),
            amount,
            str(body.get("charge_type") or "Cancel instance prorate"),
        )
    except KeyError:
        raise SandboxError(404, None, f"No subscription {sid} for customer {cid}") from None
    return ok({"pending": True, "line": ledger.render_license(line, "(next invoice)")}, 202)


def add_customer(state: SandboxState, req: Request) -> Reply:
    body = _body(req)
    allowed = {"company_name", "domain", "culture", "subscriptions"}
    unknown = set(body) - allowed
    if unknown:
        raise SandboxError(400, None, f"unknown field(s): {', '.join(sorted(unknown))}")
    customer = state.add_customer(**body)
    return ok(customer, 201)


def remove_customer(state: SandboxState, req: Request) -> Reply:
    state.remove_customer(req.params["cid"])
    return ok(None, 204)


def change_subscription(state: SandboxState, req: Request) -> Reply:
    """A change made elsewhere (e.g. by the customer's admin): bumps the ETag."""
    sub = state.subscription(req.params["cid"], req.params["sid"])
    state.change_subscription(sub, _body(req))
    return ok(sub)


ROUTES = [
    ("GET", r"/_sandbox", info),
    ("GET", r"/_sandbox/faults", get_faults),
    ("POST", r"/_sandbox/faults", set_faults),
    ("DELETE", r"/_sandbox/faults", clear_faults),
    ("POST", r"/_sandbox/reset", reset),
    ("GET", r"/_sandbox/requests", request_log),
    ("POST", r"/_sandbox/servicerequests", sr_create),
    ("POST", r"/_sandbox/servicerequests/(?P<srid>[^/]+)/notes", sr_note),
    ("POST", r"/_sandbox/servicerequests/(?P<srid>[^/]+)/close", sr_close),
    ("POST", r"/_sandbox/servicerequests/(?P<srid>[^/]+)/email", sr_email),
    ("POST", r"/_sandbox/servicerequests/api", sr_api),
    ("POST", r"/_sandbox/invoices", invoices),
    ("POST", r"/_sandbox/customers", add_customer),
    ("DELETE", r"/_sandbox/customers/(?P<cid>[^/]+)", remove_customer),
    (
        "PATCH",
        r"/_sandbox/customers/(?P<cid>[^/]+)/subscriptions/(?P<sid>[^/]+)",
        change_subscription,
    ),
]
