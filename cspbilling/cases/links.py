"""Signed links in case emails: the customer confirms, reopens or rates without signing in.

A link names the case and the action; it is valid for the confirmation window (settings) and
only while the case is resolved (the services check the state)."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "cspbilling.cases.customer-action"
ACTIONS = ("confirm", "reopen", "rate")


class BadLink(ValueError):
    """A link that was altered, or is too old."""


def make_token(*, reference: str, action: str, rating: int | None = None) -> str:
    if action not in ACTIONS:
        raise ValueError(f"unknown case action {action!r}")
    payload = {"r": reference, "a": action}
    if rating is not None:
        payload["s"] = int(rating)
    return signing.dumps(payload, salt=SALT, compress=True)


def read_token(token: str) -> dict:
    """{"reference", "action", "rating"} of a valid token, else BadLink."""
    max_age = settings.CASES_CONFIRMATION_WINDOW_DAYS * 86400 + 86400
    try:
        payload = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise BadLink("this link has expired") from None
    except signing.BadSignature:
        raise BadLink("this link is not valid") from None
    if payload.get("a") not in ACTIONS:
        raise BadLink("this link is not valid")
    return {"reference": payload["r"], "action": payload["a"], "rating": payload.get("s")}


def action_url(*, reference: str, action: str, rating: int | None = None) -> str:
    token = make_token(reference=reference, action=action, rating=rating)
    path = reverse("portal:case_action", kwargs={"token": token})
    return settings.CASES_PUBLIC_BASE_URL.rstrip("/") + path
