"""Delivering one outbox message: claim (short transaction), send (no transaction), outcome
(short transaction). A crash anywhere leaves a row that recovery hands to a worker again.

The claim and the outcomes are steps; `do_deliver_message` is the worker's entry point, and the
only place the network (SMTP, a webhook, Partner Center) is reached, with no transaction open."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import record_event
from cspbilling.core.services import entry_point, transaction_step
from cspbilling.notifications import transitions
from cspbilling.notifications.errors import PermanentDeliveryError
from cspbilling.notifications.locks import lock_message, lock_message_wait
from cspbilling.notifications.models import MessageStatus, OutboundMessage
from cspbilling.notifications.services.outbox import enqueue_delivery
from cspbilling.notifications.transports import send

logger = logging.getLogger(__name__)

WORKER_ACTOR = "worker"


@dataclass(frozen=True)
class Claim:
    message: OutboundMessage
    worker_id: str
    attempt: int


def retry_delay(attempt: int) -> timedelta:
    """Exponential backoff with jitter: about base·2^(attempt-1), capped, between half and all."""
    base = settings.OUTBOX_RETRY_BASE_SECONDS
    cap = settings.OUTBOX_RETRY_MAX_SECONDS
    delay = min(cap, base * 2 ** max(attempt - 1, 0))
    return timedelta(seconds=delay / 2 + random.uniform(0, delay / 2))


@transaction_step
def claim_message(*, message_id: int, worker_id: str) -> Claim | None:
    """Take the message for one attempt, or None when it is not ours to send now."""
    message = lock_message(message_id)
    if message is None:
        return None  # another worker holds the row right now
    now = timezone.now()
    if message.status == MessageStatus.PENDING and message.next_attempt_at > now:
        return None  # an early duplicate task; the scheduled one will come
    if message.status == MessageStatus.SENDING and message.lease_until > now:
        return None  # a live worker is sending it
    if message.status not in (MessageStatus.PENDING, MessageStatus.SENDING):
        return None  # delivered, failed or cancelled
    if message.attempts >= message.max_attempts:
        # The last allowed attempt died with its worker.
        _fail(message, error=message.last_error or "the worker died during the last attempt")
        return None
    lease = timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    transitions.claim(message, worker_id=worker_id, now=now, lease=lease)
    message.save(update_fields=["status", "attempts", "claimed_by", "lease_until"])
    return Claim(message=message, worker_id=worker_id, attempt=message.attempts)


def _still_ours(message: OutboundMessage, claim: Claim) -> bool:
    return (
        message.status == MessageStatus.SENDING
        and message.claimed_by == claim.worker_id
        and message.attempts == claim.attempt
    )


@transaction_step
def record_delivered(*, claim: Claim) -> None:
    """The message went out: mark it delivered (unless staff cancelled it meanwhile)."""
    message = lock_message_wait(claim.message.pk)
    if message.status in (MessageStatus.DELIVERED, MessageStatus.CANCELLED):
        return
    # Even if our lease ran out meanwhile, the message did go out: that is the truth.
    transitions.deliver(message, now=timezone.now())
    message.save(update_fields=["status", "delivered_at", "lease_until", "last_error"])


def _fail(message: OutboundMessage, *, error: str) -> None:
    before = {"status": message.status, "attempts": message.attempts}
    transitions.fail(message, error=error)
    message.save(update_fields=["status", "last_error", "lease_until"])
    record_event(
        actor=WORKER_ACTOR,
        action=AuditAction.OUTBOX_FAILED,
        object_type="outbound_message",
        object_id=message.pk,
        before=before,
        after={"status": message.status, "attempts": message.attempts, "error": error},
        context={
            "idempotency_key": message.idempotency_key,
            "kind": message.kind,
            "related": f"{message.object_type}:{message.object_id}",
        },
    )


@transaction_step
def record_failure(*, claim: Claim, error: str, permanent: bool) -> str:
    """Schedule the next attempt (with its task) or give the message up; returns the status."""
    message = lock_message_wait(claim.message.pk)
    if not _still_ours(message, claim):
        return message.status  # our lease ran out and another worker owns it now
    if permanent or message.attempts >= message.max_attempts:
        _fail(message, error=error)
    else:
        at = timezone.now() + retry_delay(message.attempts)
        transitions.schedule_retry(message, error=error, at=at)
        message.save(update_fields=["status", "last_error", "next_attempt_at", "lease_until"])
        enqueue_delivery(message, run_after=at)
    return message.status


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


do_claim_message = entry_point(claim_message)
do_record_delivered = entry_point(record_delivered)
do_record_failure = entry_point(record_failure)


def do_deliver_message(*, message_id: int, worker_id: str) -> str:
    """One attempt at message `message_id`; returns what became of it (or "skipped")."""
    claim = do_claim_message(message_id=message_id, worker_id=worker_id)
    if claim is None:
        return "skipped"
    try:
        send(claim.message)
    except PermanentDeliveryError as exc:
        return do_record_failure(claim=claim, error=_describe(exc), permanent=True)
    except Exception as exc:
        logger.warning("outbox message #%s attempt %s failed: %s", message_id, claim.attempt, exc)
        return do_record_failure(claim=claim, error=_describe(exc), permanent=False)
    do_record_delivered(claim=claim)
    return MessageStatus.DELIVERED


def do_deliver_pending_now(*, kind: str, worker_id: str) -> int:
    """One attempt at every pending message of `kind`, in this process (the demo's set-up, which
    runs before the worker starts, so the sandbox and the mail catcher agree at once)."""
    from cspbilling.notifications.models import OutboundMessage

    pending = OutboundMessage.objects.filter(kind=kind, status=MessageStatus.PENDING)
    ids = list(pending.order_by("pk").values_list("pk", flat=True))
    for message_id in ids:
        do_deliver_message(message_id=message_id, worker_id=worker_id)
    return len(ids)
