"""Delivery by the worker (run in-process here) to a real SMTP server and a real HTTP server."""

from __future__ import annotations

import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from cspbilling.audit.models import AuditEvent
from cspbilling.audit.selectors import verify_chain
from cspbilling.notifications.commands import register_command
from cspbilling.notifications.errors import PermanentDeliveryError
from cspbilling.notifications.models import MessageStatus, OutboundMessage
from cspbilling.notifications.services import (
    queue_email,
    queue_partner_center_command,
    queue_webhook,
)
from cspbilling.notifications.transports import message_id_for, sign_webhook

pytestmark = pytest.mark.django_db(transaction=True)


def run_worker() -> None:
    call_command("worker", "--batch", "--interval", "0", "--worker-id", "test-worker", verbosity=0)


def queue_one(key: str = "reminder-1", **extra) -> OutboundMessage:
    with transaction.atomic():
        return queue_email(
            to=["ap@contoso.example"],
            cc=["cfo@contoso.example"],
            subject="Payment reminder",
            body="Invoice INV-7 is due.",
            html_body="<p>Invoice INV-7 is due.</p>",
            idempotency_key=key,
            language="zh-hans",
            **extra,
        )


def test_an_email_arrives_once_with_its_idempotency_headers(smtp_server):
    message = queue_one()
    run_worker()
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED
    assert message.attempts == 1 and message.delivered_at is not None
    assert message.claimed_by == "test-worker"
    [received] = smtp_server.received
    assert received["Message-ID"] == message_id_for("reminder-1") == "<reminder-1@cspbilling>"
    assert received["X-CSPBilling-Idempotency-Key"] == "reminder-1"
    assert received["Content-Language"] == "zh-hans"
    assert received["X-Test-Rcpt-Tos"] == "ap@contoso.example, cfo@contoso.example"
    assert {part.get_content_type() for part in received.walk()} >= {"text/plain", "text/html"}

    run_worker()  # nothing left to do: nothing is sent twice
    assert len(smtp_server.received) == 1


def test_a_temporary_refusal_is_retried_after_a_backoff(smtp_server):
    smtp_server.handler.data_replies.append("451 4.3.0 mailbox busy, try later")
    message = queue_one()
    run_worker()
    message.refresh_from_db()
    assert message.status == MessageStatus.PENDING
    assert message.attempts == 1 and "451" in message.last_error
    assert message.next_attempt_at > timezone.now()
    retry_task = DBTaskResult.objects.get(id=message.task_id)
    assert (retry_task.status, retry_task.run_after) == ("READY", message.next_attempt_at)
    assert smtp_server.received == []

    # Time passes: the retry falls due.
    past = timezone.now() - timezone.timedelta(seconds=1)
    DBTaskResult.objects.filter(id=message.task_id).update(run_after=past)
    OutboundMessage.objects.filter(pk=message.pk).update(next_attempt_at=past)
    run_worker()
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("delivered", 2, "")
    assert smtp_server.handler.message_ids() == {"<reminder-1@cspbilling>": 1}


def test_a_permanent_refusal_fails_at_once_and_is_audited(smtp_server):
    smtp_server.handler.rcpt_replies.extend(["550 5.1.1 no such user", "550 5.1.1 no such user"])
    message = queue_one()
    run_worker()
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert message.attempts == 1 and "550" in message.last_error
    event = AuditEvent.objects.get(action="outbox.failed")
    assert event.object_id == str(message.pk) and "550" in event.after["error"]
    assert verify_chain().ok


def test_after_max_attempts_the_message_fails(smtp_server, settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 0
    smtp_server.handler.data_replies.extend(["451 busy"] * 3)
    message = queue_one(max_attempts=3)
    run_worker()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.FAILED, 3)
    assert smtp_server.received == []


class WebhookReceiver(BaseHTTPRequestHandler):
    statuses: deque[int]
    requests: list[tuple[dict, bytes]]

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        status = self.statuses.popleft() if self.statuses else 200
        if status == 200:
            self.requests.append((dict(self.headers), body))
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook_server():
    handler = type("Receiver", (WebhookReceiver,), {"statuses": deque(), "requests": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, handler
    finally:
        server.shutdown()
        server.server_close()


def test_a_webhook_is_signed_retried_on_503_and_delivered_once(
    webhook_server, settings, monkeypatch
):
    settings.OUTBOX_RETRY_BASE_SECONDS = 0
    monkeypatch.setenv("CSPBILLING_TEST_WEBHOOK_SECRET", "s3cret")
    server, receiver = webhook_server
    receiver.statuses.extend([503])
    url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    with transaction.atomic():
        message = queue_webhook(
            url=url,
            body={"event": "invoice.issued", "amount": "12.30"},
            secret_name="CSPBILLING_TEST_WEBHOOK_SECRET",
            idempotency_key="hook-1",
        )
    run_worker()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.DELIVERED, 2)
    [(headers, body)] = receiver.requests
    assert json.loads(body) == {"event": "invoice.issued", "amount": "12.30"}
    assert headers["Idempotency-Key"] == "hook-1"
    timestamp = int(headers["X-CSPBilling-Timestamp"])
    assert headers["X-CSPBilling-Signature"] == sign_webhook("s3cret", timestamp, body)


def test_a_webhook_4xx_fails_at_once(webhook_server, monkeypatch):
    monkeypatch.setenv("CSPBILLING_TEST_WEBHOOK_SECRET", "s3cret")
    server, receiver = webhook_server
    receiver.statuses.extend([404])
    with transaction.atomic():
        message = queue_webhook(
            url=f"http://127.0.0.1:{server.server_address[1]}/gone",
            body={},
            secret_name="CSPBILLING_TEST_WEBHOOK_SECRET",
            idempotency_key="hook-2",
        )
    run_worker()
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and "404" in message.last_error


def test_a_partner_center_command_runs_through_the_registry(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 0
    calls = []

    @register_command("tests.suspend_subscription")
    def suspend(args: dict, *, idempotency_key: str) -> None:
        calls.append((args, idempotency_key))
        if len(calls) == 1:
            raise ConnectionError("Partner Center timed out")

    @register_command("tests.always_refused")
    def refused(args: dict, *, idempotency_key: str) -> None:
        raise PermanentDeliveryError("subscription is not active")

    with transaction.atomic():
        ok = queue_partner_center_command(
            operation="tests.suspend_subscription",
            args={"subscription_id": "sub-1"},
            idempotency_key="suspend-sub-1",
            related=("subscription", "sub-1"),
        )
        bad = queue_partner_center_command(
            operation="tests.always_refused", args={}, idempotency_key="refused-1"
        )
    run_worker()
    ok.refresh_from_db()
    bad.refresh_from_db()
    assert ok.status == MessageStatus.DELIVERED and ok.attempts == 2
    assert calls == [({"subscription_id": "sub-1"}, "suspend-sub-1")] * 2
    assert bad.status == MessageStatus.FAILED and "not active" in bad.last_error
