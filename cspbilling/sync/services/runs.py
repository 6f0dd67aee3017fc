"""Partner Center sync runs: asking for one, running one, and recording how it went.

At most one run is queued or running at a time (a partial unique index on SyncRun.active): a
second request is refused with the reason, whichever process asks.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import record_event
from cspbilling.core.progress import ProgressReporter
from cspbilling.core.services import (
    KeepAlive,
    RunProgress,
    finish_run,
    one_line,
    release_stale_runs,
    start_run,
    transaction_step,
)
from cspbilling.sync.models import SyncRun, SyncRunStatus, SyncTrigger
from cspbilling.sync.services.apply import SyncReport

# A running sync beats every HEARTBEAT_SECONDS (core.services.KeepAlive); one silent for this
# long lost its process (killed, machine restarted) and no longer blocks new runs.
HEARTBEAT_SECONDS = 20.0
ABANDONED_AFTER = timedelta(minutes=2)


class SyncRefused(Exception):
    """A sync cannot start now (another one is queued or running)."""


def _describe_active(run: SyncRun) -> str:
    if run.status == SyncRunStatus.QUEUED:
        return (
            f"a Partner Center sync is already queued (#{run.pk}, requested by "
            f"{run.requested_by} at {run.requested_at:%Y-%m-%d %H:%M:%S} UTC); it starts when "
            "a worker is free (is `cspbilling worker` running?)"
        )
    return (
        f"a Partner Center sync is already running (#{run.pk}, started "
        f"{run.started_at or run.requested_at:%Y-%m-%d %H:%M:%S} UTC by {run.requested_by})"
    )


@transaction_step
def create_sync_run(*, actor: str, trigger: str, status: str) -> SyncRun:
    """A new active run (queued, or running now); raises SyncRefused while another is active."""
    if trigger not in SyncTrigger.values:
        raise ValueError(f"unknown sync trigger {trigger!r}; use one of {SyncTrigger.values}")
    now = timezone.now()
    release_stale_runs(SyncRun, silent_for=ABANDONED_AFTER, now=now)
    existing = SyncRun.objects.filter(active=True).first()
    if existing is not None:
        raise SyncRefused(_describe_active(existing))
    running = status == SyncRunStatus.RUNNING
    try:
        with transaction.atomic():  # a savepoint: a concurrent request may win the insert
            run = SyncRun.objects.create(
                status=status,
                active=True,
                trigger=trigger,
                requested_by=actor,
                requested_at=now,
                started_at=now if running else None,
                heartbeat_at=now,
            )
    except IntegrityError:
        existing = SyncRun.objects.filter(active=True).first()
        raise SyncRefused(
            _describe_active(existing) if existing else "another sync started at the same moment"
        ) from None
    record_event(
        actor=actor,
        action=AuditAction.SYNC_REQUESTED,
        object_type="sync_run",
        object_id=run.pk,
        after={"trigger": trigger, "status": run.status},
    )
    return run


def request_sync(*, actor: str, trigger: str = SyncTrigger.MANUAL) -> SyncRun:
    """Queue a sync for the worker: the run and its task commit together, or neither does.
    Raises SyncRefused if a run is already queued or running."""
    from cspbilling.sync.tasks import run_partner_center_sync

    with transaction.atomic(durable=True):
        run = create_sync_run(actor=actor, trigger=trigger, status=SyncRunStatus.QUEUED)
        result = run_partner_center_sync.enqueue(run_id=run.pk)
        run.task_id = uuid.UUID(str(result.id))
        run.save(update_fields=["task_id"])
    return run


def start_sync_run(*, actor: str, trigger: str) -> SyncRun:
    """A run that starts now in this process (the CLI, the scheduled job). Raises SyncRefused."""
    with transaction.atomic(durable=True):
        return create_sync_run(actor=actor, trigger=trigger, status=SyncRunStatus.RUNNING)


def _finish(run: SyncRun, *, status: str, counts: dict | None = None, error: str = "") -> None:
    """The run's outcome and its audit event, in one transaction."""
    with transaction.atomic(durable=True):
        finish_run(SyncRun, run.pk, status=status, error=error, counts=counts or {})
        record_event(
            actor=run.requested_by,
            action=AuditAction(f"sync.{status}"),
            object_type="sync_run",
            object_id=run.pk,
            after={"status": status, "counts": counts or {}, "error": one_line(error)},
        )


def execute_sync_run(
    *,
    run_id: int,
    client: Any = None,
    progress: ProgressReporter | None = None,
    concurrency: int = 4,
) -> SyncRun:
    """Run the sync for this SyncRun and record the outcome on it. A Partner Center error fails
    the run with one clear line (nothing in the mirror changes); any other error fails it too
    and is raised. A run already finished is left alone (a task run twice changes nothing)."""
    from cspbilling.partnercenter.errors import PartnerCenterError

    if not start_run(SyncRun, run_id):
        return SyncRun.objects.get(pk=run_id)
    run = SyncRun.objects.get(pk=run_id)
    reporter = RunProgress(SyncRun, run_id, also=progress)
    try:
        with KeepAlive(SyncRun, run_id, every=HEARTBEAT_SECONDS):
            report = _fetch_and_apply(client, reporter, concurrency)
    except PartnerCenterError as exc:
        message = str(exc)
        if not message.startswith("Partner Center"):
            message = f"Partner Center: {message}"
        _finish(run, status=SyncRunStatus.FAILED, error=message)
    except BaseException as exc:  # Ctrl-C and SystemExit too: never leave it "running"
        reason = "interrupted" if not isinstance(exc, Exception) else type(exc).__name__
        _finish(run, status=SyncRunStatus.FAILED, error=f"{reason}: {exc}".rstrip(": "))
        raise
    else:
        counts = {
            "customers": report.customers,
            "subscriptions": report.subscriptions,
            "contacts_changed": report.contacts_changed,
            "apply_seconds": round(report.seconds, 3),
        }
        _finish(run, status=SyncRunStatus.SUCCEEDED, counts=counts)
    return SyncRun.objects.get(pk=run_id)


def _fetch_and_apply(client: Any, reporter: RunProgress, concurrency: int) -> SyncReport:
    """Fetch with no transaction open, then apply in one short transaction."""
    from cspbilling.partnercenter.client import PartnerCenterClient
    from cspbilling.sync.fetch import fetch_snapshot
    from cspbilling.sync.services.apply import apply_snapshot_to_mirror

    own_client = client is None
    client = client or PartnerCenterClient.from_settings()
    try:
        snapshot = fetch_snapshot(client=client, progress=reporter, concurrency=concurrency)
    finally:
        if own_client:
            client.close()
    reporter.start("applying", total=None)
    with transaction.atomic(durable=True):
        return apply_snapshot_to_mirror(snapshot=snapshot, actor="sync")
