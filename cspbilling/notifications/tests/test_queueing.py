"""Queueing: the row and its task commit with the caller's transaction, or neither does."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from cspbilling.audit.models import AuditEvent
from cspbilling.notifications.commands import register_command
from cspbilling.notifications.models import MessageStatus, OutboundMessage
from cspbilling.notifications.services import (
    OutboxError,
    do_cancel_message,
    do_retry_message,
    queue_email,
    queue_partner_center_command,
    queue_webhook,
)

pytestmark = pytest.mark.django_db


def _email(key: str = "invoice-1-issued", **extra) -> OutboundMessage:
    return queue_email(
        to=["ap@contoso.example"],
        subject="Invoice INV-1",
        body="Your invoice is attached.",
        idempotency_key=key,
        related=("customer", "tenant-1"),
        **extra,
    )


def test_queue_email_commits_the_message_and_its_task_together():
    with transaction.atomic():
        message = _email()
    message.refresh_from_db()
    assert message.status == MessageStatus.PENDING
    assert message.payload["to"] == ["ap@contoso.example"]
    assert (message.object_type, message.object_id) == ("customer", "tenant-1")
    task = DBTaskResult.objects.get(id=message.task_id)
    assert task.status == "READY"
    assert task.args_kwargs == {"args": [message.pk], "kwargs": {}}


def test_a_rolled_back_decision_leaves_neither_message_nor_task():
    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        _email()
        raise Abort
    assert OutboundMessage.objects.count() == 0
    assert DBTaskResult.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_queueing_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        _email()
    assert OutboundMessage.objects.count() == 0


def test_the_same_idempotency_key_returns_the_same_message_and_enqueues_once():
    with transaction.atomic():
        first = _email()
    with transaction.atomic():
        again = _email(html_body="<p>different</p>")
    assert again.pk == first.pk
    assert OutboundMessage.objects.count() == 1
    assert DBTaskResult.objects.count() == 1


def test_bad_input_is_named_and_changes_nothing():
    with transaction.atomic():
        with pytest.raises(OutboxError, match="invalid address"):
            queue_email(to=["not-an-address"], subject="s", body="b", idempotency_key="k1")
        with pytest.raises(OutboxError, match="idempotency_key"):
            queue_email(to=["a@b.example"], subject="s", body="b", idempotency_key="has space")
        with pytest.raises(OutboxError, match="no outbox command"):
            queue_partner_center_command(operation="nope.never", args={}, idempotency_key="k2")
        with pytest.raises(OutboxError, match="environment variable"):
            queue_webhook(url="https://x.example/h", body={}, secret_name="x", idempotency_key="k3")
    assert OutboundMessage.objects.count() == 0


def test_a_key_used_by_another_kind_is_refused():
    register_command("tests.noop")(lambda args, *, idempotency_key: None)
    with transaction.atomic():
        _email(key="shared-key")
        with pytest.raises(OutboxError, match="already used by email"):
            queue_partner_center_command(
                operation="tests.noop", args={}, idempotency_key="shared-key"
            )


def test_staff_retry_and_cancel_are_audited():
    with transaction.atomic():
        message = _email()
    OutboundMessage.objects.filter(pk=message.pk).update(status=MessageStatus.FAILED, attempts=8)

    retried = do_retry_message(message_id=message.pk, actor="alice")
    assert (retried.status, retried.attempts) == (MessageStatus.PENDING, 0)
    assert DBTaskResult.objects.filter(id=retried.task_id, status="READY").exists()
    with pytest.raises(OutboxError, match="only failed messages"):
        do_retry_message(message_id=message.pk, actor="alice")

    cancelled = do_cancel_message(message_id=message.pk, actor="bob", reason="wrong address")
    assert cancelled.status == MessageStatus.CANCELLED
    actions = list(AuditEvent.objects.values_list("action", "actor", "object_id"))
    assert actions == [
        ("outbox.retry", "alice", str(message.pk)),
        ("outbox.cancel", "bob", str(message.pk)),
    ]


def test_outbox_command_lists_shows_and_retries(capsys):
    with transaction.atomic():
        message = _email()
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=MessageStatus.FAILED, last_error="550 no such user"
    )
    call_command("outbox", "list", "--status", "failed")
    out = capsys.readouterr().out
    assert f"#{message.pk}" in out and "ap@contoso.example: Invoice INV-1" in out
    call_command("outbox", "show", str(message.pk))
    assert "550 no such user" in capsys.readouterr().out
    call_command("outbox", "retry", str(message.pk))
    assert "queued again" in capsys.readouterr().out
    with pytest.raises(CommandError, match="no outbound message #999999"):
        call_command("outbox", "show", "999999")
