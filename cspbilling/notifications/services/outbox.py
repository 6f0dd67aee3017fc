"""Queueing outbound effects (steps in the caller's transaction) and the staff actions on them."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import record_event
from cspbilling.core.services import entry_point, transaction_step
from cspbilling.notifications import transitions
from cspbilling.notifications.attachments import is_registered as attachment_registered
from cspbilling.notifications.commands import cancel_handler, is_registered
from cspbilling.notifications.locks import lock_message_wait
from cspbilling.notifications.models import MessageKind, MessageStatus, OutboundMessage
from cspbilling.notifications.tasks import deliver_message

KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/+=@-]{0,199}$")
EMAIL_PATTERN = re.compile(r"^[^@\s<>,]+@[^@\s<>,]+$")


class OutboxError(ValueError):
    pass


def _require_transaction(name: str) -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(
            f"{name} must run inside the transaction of the decision that sends it "
            "(wrap the caller in transaction.atomic())"
        )


@transaction_step
def enqueue_delivery(message: OutboundMessage, *, run_after: datetime | None = None) -> None:
    """Enqueue the delivery task in the current transaction and remember its id on the row."""
    task = deliver_message.using(run_after=run_after) if run_after else deliver_message
    result = task.enqueue(message.pk)
    message.task_id = uuid.UUID(str(result.id))
    message.save(update_fields=["task_id"])


def _queue(
    *,
    kind: str,
    payload: dict[str, Any],
    idempotency_key: str,
    related: tuple[str, str | int] | None,
    actor: str,
    max_attempts: int | None,
) -> OutboundMessage:
    if not KEY_PATTERN.match(idempotency_key or ""):
        raise OutboxError(
            f"idempotency_key {idempotency_key!r} must be 1-200 characters of letters, digits "
            "and . _ : / + = @ -, starting with a letter or digit"
        )
    existing = OutboundMessage.objects.filter(idempotency_key=idempotency_key).first()
    if existing is None:
        object_type, object_id = related or ("", "")
        try:
            with transaction.atomic():  # a savepoint: a concurrent twin may win the insert
                message = OutboundMessage.objects.create(
                    kind=kind,
                    idempotency_key=idempotency_key,
                    payload=payload,
                    object_type=object_type,
                    object_id=str(object_id),
                    max_attempts=max_attempts or settings.OUTBOX_MAX_ATTEMPTS,
                    created_by=actor,
                )
                enqueue_delivery(message)
                return message
        except IntegrityError:
            existing = OutboundMessage.objects.get(idempotency_key=idempotency_key)
    if existing.kind != kind:
        raise OutboxError(
            f"idempotency_key {idempotency_key!r} is already used by {existing.kind} "
            f"message #{existing.pk}"
        )
    return existing


def _check_addresses(field: str, addresses: list[str]) -> list[str]:
    if isinstance(addresses, str):
        raise OutboxError(f"{field} must be a list of addresses, not one string")
    bad = [a for a in addresses if not EMAIL_PATTERN.match(a)]
    if bad:
        raise OutboxError(f"{field} has invalid address(es): {', '.join(bad)}")
    return list(addresses)


def email_payload(
    *,
    to: list[str],
    subject: str,
    body: str,
    html_body: str | None = None,
    cc: list[str] | None = None,
    language: str = "en",
    headers: dict[str, str] | None = None,
    attachments: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """An email's outbox payload, checked (OutboxError says what is wrong)."""
    for spec in attachments or []:
        if not attachment_registered(spec.get("kind", "")) or "ref" not in spec:
            raise OutboxError(f"no attachment renderer for {spec!r}")
    if not to:
        raise OutboxError("an email needs at least one recipient in `to`")
    if "\n" in subject or "\r" in subject:
        raise OutboxError("the subject must be one line")
    return {
        "to": _check_addresses("to", to),
        "cc": _check_addresses("cc", cc or []),
        "subject": subject,
        "body": body,
        "html_body": html_body,
        "language": language,
        "headers": dict(headers or {}),
        "attachments": [{"kind": a["kind"], "ref": str(a["ref"])} for a in attachments or []],
    }


def queue_email(
    *,
    to: list[str],
    subject: str,
    body: str,
    idempotency_key: str,
    html_body: str | None = None,
    cc: list[str] | None = None,
    related: tuple[str, str | int] | None = None,
    actor: str = "system",
    language: str = "en",
    headers: dict[str, str] | None = None,
    max_attempts: int | None = None,
    attachments: list[dict[str, str]] | None = None,
) -> OutboundMessage:
    """Write an email to the outbox, and its delivery task, in the caller's transaction.
    `attachments`: [{"kind": …, "ref": …}], rendered at delivery (`notifications.attachments`)."""
    _require_transaction("queue_email")
    payload = email_payload(
        to=to,
        subject=subject,
        body=body,
        html_body=html_body,
        cc=cc,
        language=language,
        headers=headers,
        attachments=attachments,
    )
    return _queue(
        kind=MessageKind.EMAIL,
        payload=payload,
        idempotency_key=idempotency_key,
        related=related,
        actor=actor,
        max_attempts=max_attempts,
    )


def queue_webhook(
    *,
    url: str,
    body: dict[str, Any],
    secret_name: str,
    idempotency_key: str,
    related: tuple[str, str | int] | None = None,
    actor: str = "system",
    max_attempts: int | None = None,
) -> OutboundMessage:
    """POST `body` as JSON to `url`, signed with the secret in environment variable
    `secret_name`. In the caller's transaction."""
    _require_transaction("queue_webhook")
    if not url.startswith(("https://", "http://")):
        raise OutboxError(f"webhook url {url!r} must start with https:// or http://")
    if not re.match(r"^[A-Z][A-Z0-9_]*$", secret_name or ""):
        raise OutboxError(
            f"secret_name {secret_name!r} must name an environment variable (e.g. "
            "CSPBILLING_WEBHOOK_SECRET)"
        )
    return _queue(
        kind=MessageKind.WEBHOOK,
        payload={"url": url, "body": body, "secret_name": secret_name},
        idempotency_key=idempotency_key,
        related=related,
        actor=actor,
        max_attempts=max_attempts,
    )


def queue_partner_center_command(
    *,
    operation: str,
    args: dict[str, Any],
    idempotency_key: str,
    related: tuple[str, str | int] | None = None,
    actor: str = "system",
    max_attempts: int | None = None,
) -> OutboundMessage:
    """Run the registered command `operation` with `args` (JSON) once, from the worker."""
    _require_transaction("queue_partner_center_command")
    if not is_registered(operation):
        raise OutboxError(f"no outbox command is registered as {operation!r}")
    return _queue(
        kind=MessageKind.PARTNER_CENTER,
        payload={"operation": operation, "args": args},
        idempotency_key=idempotency_key,
        related=related,
        actor=actor,
        max_attempts=max_attempts,
    )


def _snapshot(message: OutboundMessage) -> dict[str, Any]:
    return {"status": message.status, "attempts": message.attempts}


@transaction_step
def retry_message(*, message_id: int, actor: str) -> OutboundMessage:
    """Staff: give a failed message another full set of attempts."""
    message = lock_message_wait(message_id)
    if message.status != MessageStatus.FAILED:
        raise OutboxError(
            f"message #{message_id} is {message.status}; only failed messages can be retried"
        )
    before = _snapshot(message)
    transitions.retry_by_staff(message, now=timezone.now())
    message.save()
    enqueue_delivery(message)
    record_event(
        actor=actor,
        action=AuditAction.OUTBOX_RETRY,
        object_type="outbound_message",
        object_id=message.pk,
        before=before,
        after=_snapshot(message),
        context={"idempotency_key": message.idempotency_key},
    )
    return message


@transaction_step
def cancel_message(*, message_id: int, actor: str, reason: str = "") -> OutboundMessage:
    """Staff: stop a pending or failed message from being sent."""
    message = lock_message_wait(message_id)
    if message.status not in (MessageStatus.PENDING, MessageStatus.FAILED):
        raise OutboxError(
            f"message #{message_id} is {message.status}; only pending or failed messages "
            "can be cancelled"
        )
    before = _snapshot(message)
    transitions.cancel(message)
    message.save()
    if message.kind == MessageKind.PARTNER_CENTER:
        on_cancel = cancel_handler(message.payload.get("operation", ""))
        if on_cancel is not None:
            on_cancel(message.payload.get("args") or {}, actor=actor, reason=reason)
    record_event(
        actor=actor,
        action=AuditAction.OUTBOX_CANCEL,
        object_type="outbound_message",
        object_id=message.pk,
        before=before,
        after=_snapshot(message),
        context={"idempotency_key": message.idempotency_key, "reason": reason},
    )
    return message


do_retry_message = entry_point(retry_message)
do_cancel_message = entry_point(cancel_message)
