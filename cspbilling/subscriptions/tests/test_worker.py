"""The real worker process carries a suspension to the sandbox and mails the customer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from cspbilling.audit.selectors import verify_chain
from cspbilling.notifications.models import OutboundMessage
from cspbilling.subscriptions.models import SuspensionStatus
from cspbilling.subscriptions.services import do_reactivate_subscription, do_suspend_subscription
from cspbilling.subscriptions.tests.fixtures import upstream_subscription

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

PROJECT_DIR = Path(settings.BASE_DIR).parent


def run_worker(database_url: str, pc_sandbox, smtp_server) -> str:
    env = {
        **os.environ,
        "CSPBILLING_DATABASE_URL": database_url,
        "CSPBILLING_PC_BASE_URL": pc_sandbox.base_url,
        "CSPBILLING_PC_SANDBOX_TOKEN": pc_sandbox.token,
        "CSPBILLING_SMTP_HOST": smtp_server.host,
        "CSPBILLING_SMTP_PORT": str(smtp_server.port),
        "DJANGO_SETTINGS_MODULE": "cspbilling.settings",
    }
    done = subprocess.run(
        [sys.executable, "-m", "cspbilling.cli", "worker", "--batch", "--interval", "0.1"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def test_the_worker_suspends_and_reactivates_in_the_sandbox(
    database_url_for_subprocess, pc_sandbox, smtp_server, mirror_from_sandbox
):
    m = mirror_from_sandbox(language="fr")
    sid = m.subscription.subscription_id

    suspension = do_suspend_subscription(
        subscription=m.subscription, reason="non_payment", actor="finance1"
    )
    run_worker(database_url_for_subprocess, pc_sandbox, smtp_server)

    assert upstream_subscription(pc_sandbox, m.tenant_id, sid)["status"] == "suspended"
    suspension.refresh_from_db()
    m.subscription.refresh_from_db()
    assert suspension.status == SuspensionStatus.SUSPENDED and suspension.data_deletion_on
    assert m.subscription.status == "suspended"
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {"delivered"}
    [mail] = smtp_server.received
    assert mail["Content-Language"] == "fr"
    assert mail["X-Test-Rcpt-Tos"] == ", ".join(suspension.suspend_notice.payload["to"])
    body = mail.get_payload(decode=True).decode()
    assert "suspendu" in body.lower() and sid in body

    do_reactivate_subscription(subscription=m.subscription, actor="finance1")
    run_worker(database_url_for_subprocess, pc_sandbox, smtp_server)

    assert upstream_subscription(pc_sandbox, m.tenant_id, sid)["status"] == "active"
    suspension.refresh_from_db()
    assert suspension.status == SuspensionStatus.REACTIVATED
    assert len(smtp_server.received) == 2
    assert verify_chain().ok
