"""Writing audit events, inside the caller's transaction (never opening their own); and the
staff's chain verification (a step to ask for one, an entry point for the worker to run it)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from cspbilling.audit.actions import AuditAction, audit_action
from cspbilling.audit.hashing import (
    event_hash,
    event_hash_of_texts,
    json_ready_text,
    plain_json,
)
from cspbilling.audit.locks import lock_audit_chain_head
from cspbilling.audit.models import AuditEvent, ChainVerification
from cspbilling.audit.selectors import verify_chain
from cspbilling.core.bulk import copy_rows
from cspbilling.core.runs import ACTIVE_RUN_STATUSES, RunStatus
from cspbilling.core.services import (
    RunProgress,
    entry_point,
    finish_run,
    release_stale_runs,
    start_run,
    transaction_step,
)

_PLAIN = (str, int, float, bool, type(None))


def _plain(value: Any) -> bool:
    """Already what JSON gives back (str keys, lists not tuples, no Decimal or date)."""
    kind = type(value)
    if kind in _PLAIN:
        return True
    if kind is dict:
        return all(type(k) is str and _plain(v) for k, v in value.items())
    if kind is list:
        return all(_plain(v) for v in value)
    return False


def _jsonable(value: Any) -> Any:
    # Decimals, dates and UUIDs become strings exactly as they will be hashed and stored; a
    # value that is plain JSON already (most of a bulk job's events) is taken as it is.
    if _plain(value):
        return value
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


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


EVENT_COLUMNS = (
    "occurred_at", "actor", "action", "object_type", "object_id", "before", "after", "context",
    "prev_hash", "hash",
)  # fmt: skip


def record_events(*, actor: str, events: list[dict], json_ready: bool = False) -> int:
    """Append many events in one statement (bulk jobs); each dict has the keyword arguments of
    record_event except actor. Same chain, same guarantees, one lock. `json_ready`: the caller
    built before, after and context from JSON's own types only (str keys, lists, str, int,
    bool, None), so they are stored and hashed as given, without being checked."""
    jsonable = (lambda value: value) if json_ready else _jsonable
    text = json_ready_text if json_ready else plain_json  # floats only when not json_ready
    if not events:
        return 0
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_events must run inside the transaction of the change")
    head = lock_audit_chain_head()
    prev_hash = head.last_hash
    moment = connection.ops.adapt_datetimefield_value
    rows = []
    for item in events:
        occurred_at = timezone.now()
        action = audit_action(item["action"]).value
        object_type, object_id = item["object_type"], str(item["object_id"])
        before, after = jsonable(item.get("before")), jsonable(item.get("after"))
        texts = (
            text(before),
            text(after),
            text(jsonable(item.get("context") or {})),
        )
        digest = event_hash_of_texts(
            prev_hash=prev_hash,
            occurred_at=occurred_at,
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            before=texts[0],
            after=texts[1],
            context=texts[2],
        )
        # The JSON columns get the texts hashed (a NULL for None, as the ORM stores it).
        rows.append(
            (
                moment(occurred_at),
                actor,
                action,
                object_type,
                object_id,
                None if before is None else texts[0],
                None if after is None else texts[1],
                texts[2],
                prev_hash,
                digest,
            )  # fmt: skip
        )
        prev_hash = digest
    copy_rows(AuditEvent, EVENT_COLUMNS, rows)
    head.last_event_id = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    head.last_hash = prev_hash
    head.save(update_fields=["last_event_id", "last_hash"])
    return len(rows)


def changed_fields(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the keys whose values differ, as (before, after)."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


# Verifying the chain in the background: asking for it, running it, recording how it went.

PROBLEMS_KEPT = 200
# A running verification writes progress every half second or so while it walks the chain; one
# silent for this long lost its worker (killed, machine restarted) and no longer blocks new ones.
VERIFICATION_ABANDONED_AFTER = timedelta(minutes=10)


@transaction_step
def request_chain_verification(*, actor: str) -> tuple[ChainVerification, bool]:
    """Queue a verification for the worker (row and task in one transaction); returns it and
    True. If one is already queued or running, returns that one and False. A running one with
    no sign of life for VERIFICATION_ABANDONED_AFTER is failed first, with the reason."""
    from cspbilling.audit.tasks import verify_audit_chain

    release_stale_runs(ChainVerification, silent_for=VERIFICATION_ABANDONED_AFTER)
    existing = ChainVerification.objects.filter(status__in=ACTIVE_RUN_STATUSES).first()
    if existing is not None:
        return existing, False
    verification = ChainVerification.objects.create(requested_by=actor)
    result = verify_audit_chain.enqueue(verification_id=verification.pk)
    verification.task_id = uuid.UUID(str(result.id))
    verification.save(update_fields=["task_id"])
    return verification, True


do_request_chain_verification = entry_point(request_chain_verification)


@transaction_step
def finish_chain_verification(
    *, verification_id: int, status: str, error: str = "", **fields: Any
) -> None:
    """Record how a verification ended (its result fields, or why it could not finish)."""
    finish_run(ChainVerification, verification_id, status=status, error=error, **fields)


def do_run_chain_verification(
    *, verification_id: int, clock: Callable[[], float] = time.monotonic
) -> ChainVerification:
    """Entry point for the worker: recompute the whole chain with no transaction open, writing
    progress at most twice a second, then record the result in one short transaction. A
    verification already finished is left alone."""
    if not start_run(ChainVerification, verification_id):
        return ChainVerification.objects.get(pk=verification_id)
    progress = RunProgress(ChainVerification, verification_id, clock=clock)
    progress.start("verifying", total=AuditEvent.objects.count())
    try:
        report = verify_chain(progress=progress.advance)
    except Exception as exc:
        with transaction.atomic(durable=True):
            finish_chain_verification(
                verification_id=verification_id,
                status=RunStatus.FAILED,
                error=f"{type(exc).__name__}: {exc}",
                progress_done=progress.done,
            )
        raise
    with transaction.atomic(durable=True):
        finish_chain_verification(
            verification_id=verification_id,
            status=RunStatus.SUCCEEDED,
            progress_done=report.checked,
            intact=report.ok,
            problems=report.problems[:PROBLEMS_KEPT],
            problem_count=len(report.problems),
        )
    return ChainVerification.objects.get(pk=verification_id)
