"""Sync runs: asked for in the console, run by the worker against the sandbox, recorded."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest.mock import patch

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from cspbilling.audit.models import AuditEvent
from cspbilling.core.scheduling import periodic_jobs
from cspbilling.core.services import RunProgress
from cspbilling.customers.models import Customer
from cspbilling.notifications.services import do_schedule_due_jobs
from cspbilling.subscriptions.models import Subscription
from cspbilling.sync.models import SyncRun, SyncRunStatus, SyncTrigger
from cspbilling.sync.services import (
    ABANDONED_AFTER,
    SyncRefused,
    execute_sync_run,
    request_sync,
    start_sync_run,
)
from cspbilling.sync.tasks import (
    PERIODIC_SYNC_JOB,
    run_partner_center_sync,
    scheduled_partner_center_sync,
)
from cspbilling.web.tests.browser import sign_in

pytestmark = pytest.mark.django_db
PROJECT_DIR = Path(django_settings.BASE_DIR).parent
STAFF = ["admin", "finance", "support", "readonly"]


@pytest.fixture
def pc_settings(settings, pc_sandbox):
    """Partner Center settings pointing at the sandbox, with one quick retry."""
    settings.PARTNER_CENTER = {
        **settings.PARTNER_CENTER,
        "BASE_URL": pc_sandbox.base_url,
        "SANDBOX_TOKEN": pc_sandbox.token,
        "MAX_RETRIES": 1,
        "TIMEOUT_SECONDS": 5,
    }
    return settings


def mirror_state() -> list[tuple]:
    return sorted(
        [tuple(r) for r in Customer.objects.values_list("tenant_id", "company_name", "status")]
        + [tuple(r) for r in Subscription.objects.values_list("subscription_id", "status")],
        key=str,
    )


@pytest.mark.parametrize("role", [*STAFF, "anonymous"])
def test_role_matrix(role, staff_users, client_for):
    client = Client() if role == "anonymous" else client_for(staff_users[role])
    page = client.get(reverse("sync:status"))
    post = client.post(reverse("sync:run"))
    if role == "anonymous":
        assert page.status_code == 302 and "/login/" in page["Location"]
        assert post.status_code == 302 and "/login/" in post["Location"]
        assert not SyncRun.objects.exists()
        return
    assert page.status_code == 200
    html = page.content.decode()
    assert "What the sync does" in html
    if role == "readonly":
        assert 'id="sync-now"' not in html
        assert post.status_code == 403
        assert not SyncRun.objects.exists()
    else:
        assert 'id="sync-now"' in html
        assert post.status_code == 302
        assert SyncRun.objects.get().requested_by == f"staff-{role}"


def test_sync_now_queues_one_run_and_refuses_a_second(staff_users, client_for):
    client = client_for(staff_users["support"])
    first = client.post(reverse("sync:run"), follow=True)
    run = SyncRun.objects.get()
    assert run.status == SyncRunStatus.QUEUED and run.trigger == SyncTrigger.MANUAL
    assert DBTaskResult.objects.get(id=run.task_id).status == "READY"
    assert f"Sync #{run.pk} queued" in first.content.decode()
    event = AuditEvent.objects.get(action="sync.requested")
    assert event.actor == "staff-support" and event.object_id == str(run.pk)

    second = client_for(staff_users["admin"]).post(reverse("sync:run"), follow=True)
    html = second.content.decode()
    assert "Not started: a Partner Center sync is already queued" in html
    assert f"#{run.pk}, requested by staff-support" in html
    assert SyncRun.objects.count() == 1 and DBTaskResult.objects.count() == 1
    # While a run is queued the page polls and shows it waiting.
    assert 'hx-trigger="every 1s"' in html and "waiting for a worker" in html
    with pytest.raises(SyncRefused):
        request_sync(actor="someone", trigger=SyncTrigger.MANUAL)


def test_sync_now_requires_csrf(staff_users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_users["admin"])
    assert client.post(reverse("sync:run")).status_code == 403
    assert not SyncRun.objects.exists()


def test_the_task_syncs_from_the_sandbox_and_records_counts(pc_settings, client_for, staff_users):
    run = request_sync(actor="staff-admin", trigger=SyncTrigger.MANUAL)

    assert run_partner_center_sync.call(run_id=run.pk) == "succeeded"

    run.refresh_from_db()
    assert run.status == SyncRunStatus.SUCCEEDED and not run.active and run.error == ""
    assert run.counts["customers"]["created"] == 50 == Customer.objects.count()
    assert run.counts["subscriptions"]["created"] == Subscription.objects.count() > 0
    assert run.started_at <= run.finished_at and run.duration_seconds >= 0
    assert run.phase == "applying"
    # Running the same task again changes nothing.
    assert run_partner_center_sync.call(run_id=run.pk) == "succeeded"
    assert SyncRun.objects.count() == 1

    html = client_for(staff_users["readonly"]).get(reverse("sync:status")).content
    html = html.decode()
    assert f'data-run="{run.pk}" data-status="succeeded"' in html
    assert "50 new" in html and 'hx-trigger="every 1s"' not in html


def test_a_failing_partner_center_fails_the_run_with_one_line_and_changes_nothing(
    pc_settings, pc_sandbox, make_customer, client_for, staff_users
):
    make_customer("Already Here Ltd")
    before = mirror_state()
    pc_sandbox.script({"path_prefix": "/v1/customers", "status": 500, "times": 100})
    run = request_sync(actor="staff-admin", trigger=SyncTrigger.MANUAL)

    assert run_partner_center_sync.call(run_id=run.pk) == "failed"

    run.refresh_from_db()
    assert run.status == SyncRunStatus.FAILED and not run.active
    assert run.error.startswith("Partner Center") and "500" in run.error
    assert "\n" not in run.error and len(run.error) < 500
    assert mirror_state() == before
    html = client_for(staff_users["admin"]).get(reverse("sync:status")).content
    assert run.error.encode() in html.replace(b"&#x27;", b"'").replace(b"&quot;", b'"')
    # A failed run does not block the next one.
    assert request_sync(actor="staff-admin", trigger=SyncTrigger.MANUAL).status == "queued"


def test_progress_is_written_at_most_twice_a_second(pc_settings, pc_client):
    run = start_sync_run(actor="test", trigger=SyncTrigger.CLI)
    now = [0.0]
    reporter = RunProgress(SyncRun, run.pk, clock=lambda: now[0])
    reporter.start("subscriptions", total=1000)
    for _ in range(999):
        reporter.advance()  # the clock stands still: nothing more is written
    assert reporter.writes == 1
    run.refresh_from_db()
    assert (run.phase, run.progress_done, run.progress_total) == ("subscriptions", 0, 1000)
    now[0] = 0.6
    reporter.advance()
    run.refresh_from_db()
    assert reporter.writes == 2 and run.progress_done == 1000 and run.percent == 100


def test_a_run_whose_process_died_no_longer_blocks(pc_settings):
    stuck = start_sync_run(actor="cli", trigger=SyncTrigger.CLI)
    with pytest.raises(SyncRefused, match="already running"):
        start_sync_run(actor="cli", trigger=SyncTrigger.CLI)
    SyncRun.objects.filter(pk=stuck.pk).update(heartbeat_at=stuck.heartbeat_at - timedelta(hours=1))
    fresh = request_sync(actor="staff-admin", trigger=SyncTrigger.MANUAL)
    stuck.refresh_from_db()
    assert stuck.status == SyncRunStatus.FAILED and "abandoned" in stuck.error
    assert fresh.status == SyncRunStatus.QUEUED


def test_the_periodic_sync_is_registered_and_due(pc_settings):
    job = next(job for job in periodic_jobs() if job.name == PERIODIC_SYNC_JOB)
    assert job.interval() == timedelta(minutes=django_settings.PARTNER_CENTER_SYNC_MINUTES)
    assert job.task is scheduled_partner_center_sync
    now = datetime(2025, 3, 3, 7, 30, tzinfo=UTC)
    assert PERIODIC_SYNC_JOB in do_schedule_due_jobs(worker_id="w", now=now)
    assert PERIODIC_SYNC_JOB not in do_schedule_due_jobs(worker_id="w", now=now)
    assert DBTaskResult.objects.filter(task_path__endswith="scheduled_partner_center_sync").exists()

    assert scheduled_partner_center_sync.call() == "succeeded"
    run = SyncRun.objects.get()
    assert run.trigger == SyncTrigger.SCHEDULED and run.requested_by == "scheduler"
    assert Customer.objects.count() == 50


def test_the_sync_interval_is_read_when_the_worker_schedules_and_0_turns_it_off(settings):
    settings.PARTNER_CENTER_SYNC_MINUTES = 15
    job = next(job for job in periodic_jobs() if job.name == PERIODIC_SYNC_JOB)
    assert job.interval() == timedelta(minutes=15)
    now = datetime(2025, 3, 3, 7, 31, tzinfo=UTC)
    assert job.period_start(now) == datetime(2025, 3, 3, 7, 30, tzinfo=UTC)
    settings.PARTNER_CENTER_SYNC_MINUTES = 0
    assert PERIODIC_SYNC_JOB not in [job.name for job in periodic_jobs()]
    assert PERIODIC_SYNC_JOB not in do_schedule_due_jobs(worker_id="w", now=now)


def test_the_periodic_sync_skips_while_a_run_is_active_or_unconfigured(pc_settings, settings):
    request_sync(actor="staff-admin", trigger=SyncTrigger.MANUAL)
    assert scheduled_partner_center_sync.call().startswith(
        "skipped: a Partner Center sync is already queued"
    )
    settings.PARTNER_CENTER = {**settings.PARTNER_CENTER, "SANDBOX_TOKEN": "", "BASE_URL": ""}
    SyncRun.objects.update(status="failed", active=False)
    assert "not configured" in scheduled_partner_center_sync.call()
    assert SyncRun.objects.count() == 1


def test_the_cli_sync_is_recorded_as_a_run(pc_settings, capsys):
    call_command("sync", "--quiet")
    run = SyncRun.objects.get()
    assert run.trigger == SyncTrigger.CLI and run.status == SyncRunStatus.SUCCEEDED
    assert f"sync run #{run.pk}" in capsys.readouterr().out
    request_sync(actor="staff-admin", trigger=SyncTrigger.MANUAL)
    with pytest.raises(CommandError, match="already queued"):
        call_command("sync", "--quiet")


def test_execute_leaves_a_finished_run_alone(pc_settings, pc_client):
    run = start_sync_run(actor="cli", trigger=SyncTrigger.CLI)
    done = execute_sync_run(run_id=run.pk, client=pc_client)
    assert done.status == SyncRunStatus.SUCCEEDED
    again = execute_sync_run(run_id=run.pk, client=pc_client)
    assert again.finished_at == done.finished_at


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_sync_now_end_to_end_through_a_real_worker(
    database_url_for_subprocess, pc_sandbox, staff_users, client_for
):
    client = client_for(staff_users["finance"])
    assert client.post(reverse("sync:run")).status_code == 302
    run = SyncRun.objects.get()
    env = {
        **os.environ,
        "CSPBILLING_DATABASE_URL": database_url_for_subprocess,
        "CSPBILLING_PC_BASE_URL": pc_sandbox.base_url,
        "CSPBILLING_PC_SANDBOX_TOKEN": pc_sandbox.token,
        "CSPBILLING_PC_SYNC_MINUTES": "0",
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
    run.refresh_from_db()
    assert run.status == SyncRunStatus.SUCCEEDED, run.error
    assert run.counts["customers"]["created"] == 50 == Customer.objects.count()
    assert run.phase == "applying" and run.finished_at is not None
    html = client.get(reverse("sync:status")).content.decode()
    assert f'data-run="{run.pk}" data-status="succeeded"' in html


def test_dashboard_shows_last_sync_outbox_trouble_and_payables(
    pc_settings, client_for, staff_users
):
    from django.db import transaction

    from cspbilling.notifications.models import OutboundMessage
    from cspbilling.notifications.services import queue_email

    run = request_sync(actor="staff-admin", trigger=SyncTrigger.MANUAL)
    run_partner_center_sync.call(run_id=run.pk)
    with transaction.atomic():
        for n in range(3):
            queue_email(to=["a@contoso.example"], subject="s", body="b", idempotency_key=f"k{n}")
    OutboundMessage.objects.filter(idempotency_key="k0").update(status="failed")

    html = client_for(staff_users["support"]).get(reverse("web:dashboard")).content.decode()
    assert 'id="card-sync"' in html and "Succeeded" in html and "50 new" in html
    assert 'data-stat="outbox-failed">1 failed<' in html
    assert 'data-stat="outbox-pending">2 pending<' in html
    assert 'id="card-payables"' not in html  # payables are for money roles
    finance = client_for(staff_users["finance"]).get(reverse("web:dashboard")).content.decode()
    assert 'id="card-payables"' in finance and "Nothing due in the next 7 days." in finance


@pytest.fixture
def running_worker(start_worker, pc_sandbox):
    """A real `cspbilling worker` on the test database and the sandbox (slowed a little so the
    progress can be seen)."""
    pc_sandbox.set_faults(latency_ms=40)
    return start_worker(
        CSPBILLING_PC_BASE_URL=pc_sandbox.base_url, CSPBILLING_PC_SANDBOX_TOKEN=pc_sandbox.token
    )


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_browser_sync_now_follows_the_run_until_it_is_done(
    live_server, staff_users, running_worker, artifacts_dir, browser
):
    # `browser` comes last: once Playwright's loop runs, the ORM refuses to be called here.
    page = browser.new_page(viewport={"width": 1360, "height": 900}, locale="en-US")
    sign_in(page, live_server, "staff-finance")
    page.wait_for_url(f"{live_server.url}/console/")
    page.click("nav.sidenav >> text=Partner Center sync")
    page.wait_for_url("**/console/sync/")
    assert "No sync has run yet." in page.locator("#sync-panel").inner_text()

    page.click("#sync-now")
    page.wait_for_selector("#sync-active")  # queued or running: the page polls from here on
    assert "queued" in page.locator(".messages").inner_text()
    page.screenshot(path=str(artifacts_dir / "console-sync-running.png"), full_page=True)
    # htmx polling swaps the panel when the worker finishes: no reload.
    page.wait_for_selector("#sync-runs tr[data-status=succeeded]", timeout=60_000)
    assert page.locator("#sync-active").count() == 0
    row = page.locator("#sync-runs tbody tr").first.inner_text()
    assert "50 new" in row and "Manual" in row and "staff-finance" in row
    page.screenshot(path=str(artifacts_dir / "console-sync.png"), full_page=True)

    page.click("#sync-now")  # runs again; nothing new upstream this time
    page.wait_for_selector("#sync-runs tbody tr:nth-child(2)[data-status=succeeded]")
    page.wait_for_selector("#sync-runs tbody tr:first-child[data-status=succeeded]", timeout=60_000)
    assert "50 unchanged" in page.locator("#sync-runs tbody tr").first.inner_text()


def _cli_sync(database_url: str, pc_sandbox) -> subprocess.Popen:
    env = {
        **os.environ,
        "CSPBILLING_DATABASE_URL": database_url,
        "CSPBILLING_PC_BASE_URL": pc_sandbox.base_url,
        "CSPBILLING_PC_SANDBOX_TOKEN": pc_sandbox.token,
        "DJANGO_SETTINGS_MODULE": "cspbilling.settings",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "cspbilling.cli", "sync"],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_for_progress(run_filter: dict, timeout: float = 30) -> SyncRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = SyncRun.objects.filter(**run_filter).first()
        if run is not None and run.progress_done > 0:
            return run
        time.sleep(0.1)
    raise AssertionError("the sync never showed progress")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_ctrl_c_during_a_sync_fails_the_run_at_once_and_blocks_nothing(
    database_url_for_subprocess, pc_sandbox
):
    pc_sandbox.set_faults(latency_ms=500)  # a fetch of several seconds: room to interrupt it
    process = _cli_sync(database_url_for_subprocess, pc_sandbox)
    run = _wait_for_progress({"trigger": SyncTrigger.CLI})
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=30)
    run.refresh_from_db()
    assert run.status == SyncRunStatus.FAILED and run.error == "interrupted"
    assert Customer.objects.count() == 0  # nothing half-applied
    assert request_sync(actor="staff-admin").status == SyncRunStatus.QUEUED


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_killed_sync_stops_beating_and_is_released_soon(database_url_for_subprocess, pc_sandbox):
    pc_sandbox.set_faults(latency_ms=500)  # a fetch of several seconds: room to interrupt it
    process = _cli_sync(database_url_for_subprocess, pc_sandbox)
    run = _wait_for_progress({"trigger": SyncTrigger.CLI})
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    run.refresh_from_db()
    assert run.status == SyncRunStatus.RUNNING  # nobody could say otherwise
    with pytest.raises(SyncRefused, match="already running"):
        request_sync(actor="staff-admin")
    later = run.heartbeat_at + ABANDONED_AFTER + timedelta(seconds=1)
    with patch("django.utils.timezone.now", return_value=later):
        fresh = request_sync(actor="staff-admin")
    run.refresh_from_db()
    assert run.status == SyncRunStatus.FAILED and "abandoned" in run.error
    assert fresh.status == SyncRunStatus.QUEUED
    assert timedelta(minutes=5) >= ABANDONED_AFTER
