"""Writing audit events. Called inside the caller's transaction, never opening its own."""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from cspbilling.audit.actions import AuditAction, audit_action
from cspbilling.audit.hashing import event_hash
from cspbilling.audit.locks import lock_audit_chain_head
from cspbilling.audit.models import AuditEvent
from cspbilling.core.bulk import insert_rows


def _jsonable(value: Any) -> Any:
    # Decimals, dates and UUIDs become strings exactly as they will be hashed and stored.
    return None if value is None else json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def record_event(
    *,
    actor: str,
    action: AuditAction | str,
    object_type: str,
    object_id: str | int,
    before: Any = None,
    after: Any = None,
    context: dict | None = None,
) -> AuditEvent:
    """Append one event to the chain. Must run inside the transaction of the change it records."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_event must run inside the transaction of the change")
    head = lock_audit_chain_head()
    occurred_at = timezone.now()
    fields = {
        "occurred_at": occurred_at,
        "actor": actor,
        "action": audit_action(action).value,
        "object_type": object_type,
        "object_id": str(object_id),
        "before": _jsonable(before),
        "after": _jsonable(after),
        "context": _jsonable(context or {}),
    }
    digest = event_hash(prev_hash=head.last_hash, **fields)
    event = AuditEvent.objects.create(prev_hash=head.last_hash, hash=digest, **fields)
    head.last_event_id = event.pk
    head.last_hash = digest
    head.save(update_fields=["last_event_id", "last_hash"])
    return event


def record_events(*, actor: str, events: list[dict]) -> int:
    """Append many events in one statement (bulk jobs); each dict has the keyword arguments of
    record_event except actor. Same chain, same guarantees, one lock."""
    if not events:
        return 0
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_events must run inside the transaction of the change")
    head = lock_audit_chain_head()
    prev_hash = head.last_hash
    rows = []
    for item in events:
        fields = {
            "occurred_at": timezone.now(),
            "actor": actor,
            "action": audit_action(item["action"]).value,
            "object_type": item["object_type"],
            "object_id": str(item["object_id"]),
            "before": _jsonable(item.get("before")),
            "after": _jsonable(item.get("after")),
            "context": _jsonable(item.get("context") or {}),
        }
        digest = event_hash(prev_hash=prev_hash, **fields)
        rows.append({"prev_hash": prev_hash, "hash": digest, **fields})
        prev_hash = digest
    insert_rows(AuditEvent, rows)
    head.last_event_id = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    head.last_hash = prev_hash
    head.save(update_fields=["last_event_id", "last_hash"])
    return len(rows)


def changed_fields(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the keys whose values differ, as (before, after)."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}
