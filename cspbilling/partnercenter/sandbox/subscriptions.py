"""Subscription PATCH as the service takes it: body validation, ETag check, status rules.

A request body is the whole subscription as last read; field names match case-insensitively
(requests are documented in PascalCase, answers in camelCase). Read-only fields are ignored.
Invalid values are refused with 400 naming each field and nothing is stored. The documents
give no code for a validation error, so the answer carries ``"code": null``.
"""

from __future__ import annotations

import re
from typing import Any

from cspbilling.partnercenter.sandbox.state import SandboxError, SandboxState

MAX_QUANTITY = 100_000  # the sandbox's own ceiling; the documents give none
BILLING_CYCLES = ("monthly", "annual", "none", "one_time", "biennial", "triennial")
STATUSES = ("none", "active", "pending", "suspended", "deleted", "expired", "disabled")
_DURATION = re.compile(r"^P[1-9][0-9]*[YMD]$", re.IGNORECASE)
MUTABLE_FIELDS = (
    "quantity",
    "friendlyName",
    "autoRenewEnabled",
    "billingCycle",
    "offerId",
    "termDuration",
)


def _squash(value: str) -> str:
    return value.lower().replace("_", "")


def _enum(value: Any, allowed: tuple[str, ...]) -> str | None:
    if not isinstance(value, str):
        return None
    return next((a for a in allowed if _squash(a) == _squash(value)), None)


def _check(field: str, value: Any) -> tuple[Any, str | None]:
    """(the value to store, None) or (None, what is wrong with it)."""
    if field == "quantity":
        if isinstance(value, bool) or not isinstance(value, int):
            return None, f"must be a whole number from 1 to {MAX_QUANTITY}"
        if not 1 <= value <= MAX_QUANTITY:
            return None, f"must be from 1 to {MAX_QUANTITY}, not {value}"
        return value, None
    if field == "autoRenewEnabled":
        return (value, None) if isinstance(value, bool) else (None, "must be true or false")
    if field == "billingCycle":
        found = _enum(value, BILLING_CYCLES)
        return (found, None) if found else (None, f"must be one of {', '.join(BILLING_CYCLES)}")
    if field == "termDuration":
        if isinstance(value, str) and _DURATION.match(value):
            return value.upper(), None
        return None, "must be an ISO 8601 duration such as P1M or P1Y"
    if field == "friendlyName":
        if isinstance(value, str) and 0 < len(value.strip()) <= 255:
            return value, None
        return None, "must be a text of 1 to 255 characters"
    if isinstance(value, str) and value.strip():  # offerId
        return value, None
    return None, "must be a non-empty text"


def _fields(body: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The body's values by lower-cased name; problems for names given twice differently."""
    found: dict[str, Any] = {}
    problems: list[str] = []
    for key, value in body.items():
        if not isinstance(key, str):
            continue
        name = key.lower()
        if name in found and found[name] != value:
            problems.append(f"{key}: given twice with different values")
        found[name] = value
    return found, problems


def validate(body: Any) -> tuple[dict[str, Any], str | None]:
    """(the mutable fields the body carries, the status it asks for) or SandboxError 400."""
    if not isinstance(body, dict):
        raise SandboxError(400, None, "The request body must be a subscription object", data=[])
    given, problems = _fields(body)
    values: dict[str, Any] = {}
    for field in MUTABLE_FIELDS:
        if field.lower() not in given:
            continue
        value, problem = _check(field, given[field.lower()])
        if problem:
            problems.append(f"{field}: {problem}")
        else:
            values[field] = value
    status = None
    if "status" in given:
        status = _enum(given["status"], STATUSES)
        if status is None:
            problems.append(f"status: must be one of {', '.join(STATUSES)}")
        elif status not in ("active", "suspended"):
            problems.append(f"status: can be set to active or suspended, not {status}")
    if problems:
        raise SandboxError(
            400, None, "The subscription is not valid: " + "; ".join(problems), data=problems
        )
    return values, status


def _etag(value: str | None) -> str:
    text = (value or "").strip()
    if text.startswith("W/"):
        text = text[2:]
    return text.strip('"')


def patch(
    state: SandboxState, customer_id: str, subscription_id: str, body: Any, if_match: str | None
) -> dict[str, Any]:
    """Apply a PATCH. Without If-Match the change is unconditional (Microsoft's generated client
    and the .NET SDK send none); a stale If-Match is refused with 400/2055."""
    sub = state.subscription(customer_id, subscription_id)
    wanted, status = validate(body)
    if if_match and if_match.strip() != "*" and _etag(if_match) != _etag(sub["attributes"]["etag"]):
        raise SandboxError(
            400,
            2055,
            "The ETag provided is no longer valid. Get the "
            "resource again and retry with the current ETag.",
        )
    if sub["status"] == "deleted":
        raise SandboxError(400, 2011, "A deleted subscription cannot be updated.")
    changes = {f: v for f, v in wanted.items() if v != sub.get(f)}
    status = status or sub["status"]
    if sub["status"] == "suspended" and changes:
        raise SandboxError(
            400, 800091, "Cannot update a suspended subscription; reactivate it first."
        )
    if sub["status"] not in ("active", "suspended"):
        raise SandboxError(400, 800012, "This is not an active subscription.")
    if status == "active" and sub["status"] == "suspended" and sub.get("parentSubscriptionId"):
        parent = state.world.subscriptions[customer_id.lower()].get(sub["parentSubscriptionId"])
        if parent is not None and parent["status"] != "active":
            raise SandboxError(
                409,
                27009,
                "An add-on cannot be enabled while its parent subscription is not active.",
            )
    if status != sub["status"]:
        changes["status"] = status
        changes["suspensionReasons"] = ["PartnerInitiated"] if status == "suspended" else []
    if changes:
        state.change_subscription(sub, changes)
    return sub
