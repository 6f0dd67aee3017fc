"""Emails queued in bulk (a collections run's reminders): the same rows as one by one, one
delivery task per batch, each delivered exactly once to a real SMTP server; queueing the same
keys again adds nothing; one bad email refuses the whole batch."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from cspbilling.notifications.models import MessageStatus, OutboundMessage
from cspbilling.notifications.services import EmailToQueue, OutboxError, queue_emails
from cspbilling.notifications.services.bulk_outbox import MESSAGES_PER_TASK

pytestmark = pytest.mark.django_db(transaction=True)


def _emails(count: int, **extra) -> list[EmailToQueue]:
    return [
        EmailToQueue(
            to=[f"ap{n}@contoso.example"],
            subject=f"付款提醒 INV-{n}",
            body=f"Invoice INV-{n} is overdue.",
            idempotency_key=f"reminder-{n}",
            language="zh-hans",
            related=("invoice", n),
            **extra,
        )
        for n in range(count)
    ]


def test_a_batch_is_delivered_once_each_and_queued_only_once(smtp_server):
    count = MESSAGES_PER_TASK + 50
    with transaction.atomic():
        ids = queue_emails(emails=_emails(count), actor="collections")
    assert len(set(ids.values())) == count
    assert DBTaskResult.objects.count() == 2  # one task per batch, not one per message
    message = OutboundMessage.objects.get(idempotency_key="reminder-7")
    assert message.payload["subject"] == "付款提醒 INV-7" and message.payload["to"] == [
        "ap7@contoso.example"
    ]
    assert (message.object_type, message.object_id, message.created_by) == (
        "invoice",
        "7",
        "collections",
    )
    with transaction.atomic():
        again = queue_emails(emails=_emails(count + 1), actor="collections")
    assert {k: v for k, v in again.items() if k != f"reminder-{count}"} == ids
    assert OutboundMessage.objects.count() == count + 1

    call_command("worker", "--batch", "--interval", "0", "--worker-id", "bulk", verbosity=0)
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {
        MessageStatus.DELIVERED
    }
    received = sorted(m["X-CSPBilling-Idempotency-Key"] for m in smtp_server.received)
    assert received == sorted(f"reminder-{n}" for n in range(count + 1))  # each exactly once


def test_one_bad_email_refuses_the_batch():
    emails = _emails(3)
    emails.append(EmailToQueue(to=["not an address"], subject="x", body="y", idempotency_key="k"))
    with pytest.raises(OutboxError, match="invalid address"), transaction.atomic():
        queue_emails(emails=emails, actor="collections")
    with pytest.raises(OutboxError, match="given twice"), transaction.atomic():
        queue_emails(emails=_emails(2) + _emails(1), actor="collections")
    assert not OutboundMessage.objects.exists() and not DBTaskResult.objects.exists()
