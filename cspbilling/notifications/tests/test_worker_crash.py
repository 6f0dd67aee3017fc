"""Nothing lost, nothing sent twice: real worker processes, one killed mid-delivery."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction

from cspbilling.notifications.models import MessageStatus, OutboundMessage
from cspbilling.notifications.services import queue_email
from cspbilling.notifications.transports import message_id_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

PROJECT_DIR = Path(settings.BASE_DIR).parent
LEASE_SECONDS = 2


def start_worker(database_url: str, smtp_server, *args: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "CSPBILLING_DATABASE_URL": database_url,
        "CSPBILLING_SMTP_HOST": smtp_server.host,
        "CSPBILLING_SMTP_PORT": str(smtp_server.port),
        "CSPBILLING_OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
        "DJANGO_SETTINGS_MODULE": "cspbilling.settings",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "cspbilling.cli", "worker", "--interval", "0.1", *args],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def queue_emails(count: int) -> list[str]:
    keys = [f"crash-test-{n:03d}" for n in range(count)]
    with transaction.atomic():
        for key in keys:
            queue_email(
                to=[f"billing+{key}@contoso.example"],
                subject=f"Statement {key}",
                body="Your statement is ready.",
                idempotency_key=key,
            )
    return keys


def finish(process: subprocess.Popen, timeout: float = 60) -> str:
    output, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, output
    return output


def test_a_worker_killed_mid_delivery_loses_nothing_and_sends_nothing_twice(
    database_url_for_subprocess, smtp_server
):
    keys = queue_emails(20)
    smtp_server.handler.hold_data_number = 7
    worker = start_worker(database_url_for_subprocess, smtp_server, "--worker-id", "doomed")
    try:
        assert smtp_server.handler.holding.wait(timeout=60), "the worker never reached email 7"
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
    assert sum(smtp_server.handler.message_ids().values()) == 6
    stuck = OutboundMessage.objects.get(status=MessageStatus.SENDING)
    assert stuck.claimed_by == "doomed"

    time.sleep(LEASE_SECONDS + 0.5)  # the dead worker's lease runs out
    finish(start_worker(database_url_for_subprocess, smtp_server, "--batch", "--worker-id", "w2"))

    received = smtp_server.handler.message_ids()
    assert received == {message_id_for(key): 1 for key in keys}
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {"delivered"}
    stuck.refresh_from_db()
    assert (stuck.claimed_by, stuck.attempts) == ("w2", 2)


def test_two_workers_share_the_queue_and_deliver_each_message_once(
    database_url_for_subprocess, smtp_server
):
    keys = queue_emails(50)
    workers = [
        start_worker(database_url_for_subprocess, smtp_server, "--batch", "--worker-id", name)
        for name in ("left", "right")
    ]
    for worker in workers:
        finish(worker)
    assert smtp_server.handler.message_ids() == {message_id_for(key): 1 for key in keys}
    rows = OutboundMessage.objects.values_list("status", "attempts", "claimed_by")
    assert {(status, attempts) for status, attempts, _ in rows} == {("delivered", 1)}
    assert {claimed_by for _, _, claimed_by in rows} <= {"left", "right"}


def test_sigterm_stops_an_idle_worker_cleanly(database_url_for_subprocess, smtp_server):
    worker = start_worker(database_url_for_subprocess, smtp_server, "--worker-id", "idle")
    started = worker.stdout.readline()  # said once its signal handlers are in place
    assert "worker idle started" in started, started
    worker.send_signal(signal.SIGTERM)
    output = finish(worker, timeout=15)
    assert "shutting down gracefully" in output
