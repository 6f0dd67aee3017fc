"""A billing run as a tracked run: queued with its task, progress while it works, one at a time
per month, and a run that stops (an error, a killed process) leaves no drafts and does not stay
"running"."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from cspbilling.core.tests.progress import RecordedProgress
from cspbilling.invoicing.models import BilledUpstreamLine, BillingRun, Invoice
from cspbilling.invoicing.services import (
    BillingRunBusy,
    billing_writes,
    do_create_price_rule,
    do_fail_abandoned_billing_runs,
    do_request_billing_run,
    do_run_billing,
    execute_billing_run,
)
from cspbilling.invoicing.services.billing_progress import BillingProgress
from cspbilling.invoicing.tests.upstream_lines import add_lines, upstream_invoice

OCTOBER = dt.date(2026, 10, 1)


@pytest.fixture
def month(make_customer, cloud):
    customers = [make_customer(f"C{n}") for n in range(2)]
    invoice, batch = upstream_invoice(OCTOBER)
    ids = add_lines(
        invoice,
        batch,
        [
            {"tenant": customer.tenant_id, "subscription": f"s{n}", "amount": "10.5"}
            for customer in customers
            for n in range(3)
        ],
    )
    do_create_price_rule(
        actor="t",
        name="everyone",
        method="percent",
        percent="10",
        tax_category=cloud,
        effective_from=dt.date(2026, 1, 1),
    )
    return ids


@pytest.mark.django_db
def test_a_run_reports_its_five_stages_and_ends_succeeded(month):
    bar = RecordedProgress()
    run = do_run_billing(period=OCTOBER, actor="t", progress=bar)
    assert [label for label, _ in bar.seen] == [
        "unbilled reasons",
        "groups",
        "pricing",
        "writing",
        "trace",
    ]
    assert dict(bar.seen)["pricing"] == 6 and dict(bar.seen)["writing"] == 6
    assert (run.status, run.error, run.summary["billed_lines"]) == ("succeeded", "", 6)
    assert run.started_at and run.finished_at and not run.is_active


@pytest.mark.django_db
def test_a_queued_run_is_refused_a_twin_and_runs_once(month):
    run = do_request_billing_run(period=dt.date(2026, 10, 9), actor="finance1")
    assert (run.status, run.period) == ("queued", OCTOBER) and run.task_id
    with pytest.raises(BillingRunBusy, match=f"billing run #{run.pk} of 2026-10"):
        do_run_billing(period=OCTOBER, actor="cli")
    do_request_billing_run(period=dt.date(2026, 9, 1), actor="finance1")  # another month: fine
    assert execute_billing_run(run_id=run.pk).status == "succeeded"
    assert execute_billing_run(run_id=run.pk).status == "succeeded"  # a task run twice: no-op
    assert Invoice.objects.count() == 2 and BilledUpstreamLine.objects.count() == 6


@pytest.mark.django_db
def test_a_run_that_fails_midway_leaves_no_drafts_and_says_why(month, monkeypatch):
    do_run_billing(period=OCTOBER, actor="t")
    before = set(Invoice.objects.values_list("pk", flat=True))

    def broken() -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr(billing_writes, "trace_billed_lines", broken)
    with pytest.raises(RuntimeError):
        do_run_billing(period=OCTOBER, actor="t")
    failed = BillingRun.objects.latest("pk")
    assert (failed.status, failed.error) == ("failed", "RuntimeError: disk full")
    # The earlier drafts are still there, untouched: the failed run's writes were rolled back.
    assert set(Invoice.objects.values_list("pk", flat=True)) == before
    assert BilledUpstreamLine.objects.count() == 6 and not failed.unbilled.exists()
    monkeypatch.undo()
    assert do_run_billing(period=OCTOBER, actor="t").status == "succeeded"  # not blocked


@pytest.mark.django_db
def test_a_run_whose_process_died_is_failed_as_abandoned_and_no_longer_blocks(month):
    run = do_request_billing_run(period=OCTOBER, actor="finance1", queue=False)  # then killed
    later = timezone.now() + dt.timedelta(minutes=29)
    assert do_fail_abandoned_billing_runs(now=later) == 0
    assert do_fail_abandoned_billing_runs(now=later + dt.timedelta(minutes=2)) == 1
    run.refresh_from_db()
    assert run.status == "failed" and run.error.startswith("abandoned: no sign of life since")
    assert execute_billing_run(run_id=run.pk).status == "failed"  # a late worker leaves it
    assert not Invoice.objects.exists()
    assert do_run_billing(period=OCTOBER, actor="t").status == "succeeded"


@pytest.mark.django_db
def test_the_command_line_refuses_while_a_run_of_the_month_is_active(month):
    from django.core.management import CommandError, call_command

    do_request_billing_run(period=OCTOBER, actor="finance1")
    with pytest.raises(CommandError, match="not started: billing run #.* is queued"):
        call_command("billing", "run", "--period", "2026-10")


@pytest.mark.django_db(transaction=True)
def test_two_runs_of_a_month_at_once_never_both_write(month):
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def bill() -> None:
        start.wait()
        try:
            do_run_billing(period=OCTOBER, actor=f"t{threading.get_ident()}")
            outcomes.append("ran")
        except BillingRunBusy:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=bill) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert "ran" in outcomes and len(outcomes) == 2
    # Whatever the interleaving, the month is billed once: one draft per customer, each line once.
    assert Invoice.objects.count() == 2 and BilledUpstreamLine.objects.count() == 6
    assert not BillingRun.objects.filter(status__in=["queued", "running"]).exists()


@pytest.mark.django_db(transaction=True)
def test_progress_is_written_from_its_own_connection_while_the_run_transaction_is_open(month):
    from cspbilling.invoicing.services.billing_runs import live_progress_possible

    if connection.vendor == "sqlite":
        # The run holds SQLite's one write lock: a second writer would wait, so none is started.
        assert live_progress_possible() is False
        return
    assert live_progress_possible() is True
    now = timezone.now()
    run = BillingRun.objects.create(
        period=OCTOBER, requested_by="t", status="running", started_at=now, heartbeat_at=now
    )
    with transaction.atomic(), BillingProgress(run.pk, background=True, min_interval=0.05) as bar:
        bar.start("pricing", total=250)
        bar.advance(120)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            row = BillingRun.objects.get(pk=run.pk)  # committed by the reporter's connection
            if row.progress_done == 120:
                break
            time.sleep(0.05)
    assert (row.phase, row.progress_done, row.progress_total) == ("pricing", 120, 250)
    assert row.heartbeat_at > now and bar.writes >= 1


# A child that bills October and stops for good in the trace stage, its writes uncommitted.
STALLED_RUN = """
import time, datetime as dt, django
django.setup()
from cspbilling.invoicing.services import billing_writes, do_run_billing
billing_writes.trace_billed_lines = lambda: time.sleep(600)
do_run_billing(period=dt.date(2026, 10, 1), actor="stalled")
"""


@pytest.mark.slow
def test_a_killed_run_leaves_no_drafts_and_is_failed_once_its_heartbeat_is_old(
    month, database_url_for_subprocess, settings
):
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "CSPBILLING_DATABASE_URL": database_url_for_subprocess,
        "DJANGO_SETTINGS_MODULE": "cspbilling.settings",
    }
    child = subprocess.Popen(
        [sys.executable, "-c", STALLED_RUN],
        cwd=settings.PROJECT_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            run = BillingRun.objects.filter(requested_by="stalled").first()
            # PostgreSQL shows the stage as it goes; SQLite only that the run started.
            expected = "trace" if connection.vendor == "postgresql" else ""
            if run is not None and run.phase == expected:
                break
            time.sleep(0.2)
        assert run is not None and run.status == "running" and run.phase == expected
        if connection.vendor == "sqlite":
            time.sleep(1)  # well into the write transaction
    finally:
        child.kill()
        child.wait()
    assert not Invoice.objects.exists() and not BilledUpstreamLine.objects.exists()
    with pytest.raises(BillingRunBusy):
        do_run_billing(period=OCTOBER, actor="t")
    assert do_fail_abandoned_billing_runs(now=timezone.now() + dt.timedelta(minutes=31)) == 1
    run.refresh_from_db()
    assert run.status == "failed" and "the process running it stopped" in run.error
    assert do_run_billing(period=OCTOBER, actor="t").summary["billed_lines"] == 6


@pytest.mark.django_db
def test_a_queued_run_no_worker_picked_up_is_failed_by_the_scheduled_housekeeping(
    month, monkeypatch
):
    from cspbilling.core.scheduling import periodic_jobs
    from cspbilling.invoicing.tasks import BILLING_RUN_HOUSEKEEPING_JOB, billing_run_housekeeping

    assert BILLING_RUN_HOUSEKEEPING_JOB in [job.name for job in periodic_jobs()]
    run = do_request_billing_run(period=OCTOBER, actor="finance1")  # and no worker runs
    assert run.status == "queued"
    real_now = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: real_now + dt.timedelta(minutes=29))
    assert billing_run_housekeeping.call() == "0 abandoned billing run(s) failed"
    monkeypatch.setattr(timezone, "now", lambda: real_now + dt.timedelta(minutes=31))
    assert billing_run_housekeeping.call() == "1 abandoned billing run(s) failed"
    run.refresh_from_db()
    assert run.status == "failed"
    assert "no worker picked it up (is `cspbilling worker` running?)" in run.error
    assert do_run_billing(period=OCTOBER, actor="t").status == "succeeded"  # the month is free
