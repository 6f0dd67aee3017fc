"""Showing audit events and outbox payloads: object links, compact diffs, secrets hidden."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()

SECRET_KEY_PATTERN = re.compile(
    r"secret|token|password|passwd|authorization|api[_-]?key|signature|credential|cookie", re.I
)
REDACTED = "••••••"
DIFF_VALUE_LIMIT = 80


def redact(value: Any) -> Any:
    """The value with every field whose name looks secret replaced by dots (recursively).
    `secret_name` names an environment variable, not a secret, and stays."""
    if isinstance(value, dict):
        return {
            key: (
                REDACTED
                if SECRET_KEY_PATTERN.search(str(key)) and key != "secret_name"
                else redact(item)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value


@register.filter
def redacted_json(value: Any) -> str:
    """Pretty JSON with secrets hidden (escape it in the template as usual)."""
    return json.dumps(redact(value), indent=2, ensure_ascii=False, sort_keys=True, default=str)


def object_url(object_type: str, object_id: str) -> str | None:
    try:
        if object_type == "customer":
            return reverse("web:customer_detail", args=[uuid.UUID(str(object_id))])
        if object_type == "outbound_message" and str(object_id).isdigit():
            return reverse("notifications:message_detail", args=[int(object_id)])
        if object_type == "sync_run":
            return reverse("sync:status")
        if object_type == "upstream_invoice":
            return reverse("upstream:invoice_detail", args=[object_id])
    except (ValueError, NoReverseMatch):
        return None
    return None


@register.inclusion_tag("audit/_object_link.html")
def object_link(object_type: str, object_id: str, compact: bool = False) -> dict:
    """The object as a link to its page where it has one; `compact` cuts a long id."""
    return {
        "object_type": object_type,
        "object_id": object_id,
        "compact": compact and len(str(object_id)) > 9,
        "url": object_url(object_type, object_id) if object_type else None,
    }


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= DIFF_VALUE_LIMIT else text[: DIFF_VALUE_LIMIT - 1] + "…"


@register.simple_tag
def compact_diff(before: Any, after: Any) -> list[dict]:
    """[{field, before, after}] for the fields that differ (secrets hidden, long values cut).
    A value that is not an object shows as one row with field ''."""
    before, after = redact(before), redact(after)
    if isinstance(before, dict) or isinstance(after, dict):
        before = before if isinstance(before, dict) else {}
        after = after if isinstance(after, dict) else {}
        keys = list(dict.fromkeys([*before, *after]))
        rows = []
        for key in keys:
            if before.get(key) == after.get(key):
                continue
            rows.append(
                {
                    "field": key,
                    "before": _short(before[key]) if key in before else None,
                    "after": _short(after[key]) if key in after else None,
                }
            )
        return rows
    if before == after:
        return []
    return [
        {
            "field": "",
            "before": None if before is None else _short(before),
            "after": None if after is None else _short(after),
        }
    ]
