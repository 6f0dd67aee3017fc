"""Partner Center sync runs: asking for one, running one, and recording how it went.

At most one run is queued or running at a time (a partial unique index on SyncRun.active): a
second request is refused with the reason, whichever process asks.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from cspbilling.audit.services import record_event
from cspbilling.core.progress import ProgressReporter
from cspbilling.customers.models import ACTIVE_SYNC_STATUSES, SyncRun, SyncRunStatus, SyncTrigger

# A running sync writes progress at least every few seconds while it fetches; one silent for
# this long lost its worker (killed, machine restarted) and no longer blocks new runs.
ABANDONED_AFTER = timedelta(minutes=30)
PROGRESS_MIN_INTERVAL = 0.5  # seconds between progress writes: at most ~2 a second


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


def _release_abandoned_run(now) -> None:
    stale = SyncRun.objects.filter(
        active=True, status=SyncRunStatus.RUNNING, heartbeat_at__lt=now - ABANDONED_AFTER
    )
    for run in stale:
        SyncRun.objects.filter(pk=run.pk, active=True).update(
            status=SyncRunStatus.FAILED,
            active=False,
            finished_at=now,
            error=f"abandoned: no sign of life since {run.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC "
            "(the process running it stopped)",
        )


def _create_active_run(*, actor: str, trigger: str, status: str) -> SyncRun:
    if trigger not in SyncTrigger.values:
        raise ValueError(f"unknown sync trigger {trigger!r}; use one of {SyncTrigger.values}")
    now = timezone.now()
    _release_abandoned_run(now)
    existing = SyncRun.objects.filter(active=True).first()
    if existing is not None:
        raise SyncRefused(_describe_active(existing))
    running = status == SyncRunStatus.RUNNING
    try:
        with transaction.atomic():  # a savepoint: a concurrent request may win the insert
            return SyncRun.objects.create(
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


def request_sync(*, actor: str, trigger: str = SyncTrigger.MANUAL) -> SyncRun:
    """Queue a sync for the worker: the run and its task commit together, or neither does.
    Raises SyncRefused if a run is already queued or running."""
    from cspbilling.customers.tasks import run_partner_center_sync

    with transaction.atomic(durable=True):
        run = _create_active_run(actor=actor, trigger=trigger, status=SyncRunStatus.QUEUED)
        result = run_partner_center_sync.enqueue(run_id=run.pk)
        run.task_id = uuid.UUID(str(result.id))
        run.save(update_fields=["task_id"])
        record_event(
            actor=actor,
            action="sync.requested",
            object_type="sync_run",
            object_id=run.pk,
            after={"trigger": trigger, "status": run.status},
        )
    return run


def start_sync_run(*, actor: str, trigger: str) -> SyncRun:
    """A run that starts now in this process (the CLI, the scheduled job). Raises SyncRefused."""
    with transaction.atomic(durable=True):
        return _create_active_run(actor=actor, trigger=trigger, status=SyncRunStatus.RUNNING)


class RunProgress:
    """A ProgressReporter that writes the run's progress, at most every `min_interval` seconds
    (a new phase is written at once), and passes everything on to `also` (a terminal bar)."""

    def __init__(
        self,
        run_id: int,
        *,
        also: ProgressReporter | None = None,
        min_interval: float = PROGRESS_MIN_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.run_id = run_id
        self.also = also
        self.min_interval = min_interval
        self.clock = clock
        self.phase, self.done, self.total = "", 0, None
        self.writes = 0
        self._last_write: float | None = None

    def start(self, label: str, total: int | None = None) -> None:
        self.phase, self.done, self.total = label, 0, total
        self._write(force=True)
        if self.also:
            self.also.start(label, total)

    def advance(self, amount: int = 1) -> None:
        self.done += amount
        self._write()
        if self.also:
            self.also.advance(amount)

    def _write(self, *, force: bool = False) -> None:
        now = self.clock()
        recent = self._last_write is not None and now - self._last_write < self.min_interval
        if recent and not force:
            return
        self._last_write = now
        self.writes += 1
        SyncRun.objects.filter(pk=self.run_id).update(
            phase=self.phase,
            progress_done=self.done,
            progress_total=self.total,
            heartbeat_at=timezone.now(),
        )


def _one_line(text: str, limit: int = 500) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _finish(run_id: int, *, status: str, counts: dict | None = None, error: str = "") -> None:
    with transaction.atomic(durable=True):
        SyncRun.objects.filter(pk=run_id).update(
            status=status,
            active=False,
            finished_at=timezone.now(),
            heartbeat_at=timezone.now(),
            counts=counts or {},
            error=error,
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
    from cspbilling.customers.sync import apply_snapshot_to_mirror, fetch_snapshot
    from cspbilling.partnercenter.client import PartnerCenterClient
    from cspbilling.partnercenter.errors import PartnerCenterError

    run = SyncRun.objects.get(pk=run_id)
    if run.status not in ACTIVE_SYNC_STATUSES:
        return run
    now = timezone.now()
    SyncRun.objects.filter(pk=run_id, status=SyncRunStatus.QUEUED).update(
        status=SyncRunStatus.RUNNING, started_at=now, heartbeat_at=now
    )
    reporter = RunProgress(run_id, also=progress)
    try:
        own_client = client is None
        client = client or PartnerCenterClient.from_settings()
        try:
            snapshot = fetch_snapshot(client=client, progress=reporter, concurrency=concurrency)
        finally:
            if own_client:
                client.close()
        reporter.start("applying", total=None)
        report = apply_snapshot_to_mirror(snapshot=snapshot, actor="sync")
    except PartnerCenterError as exc:
        message = str(exc)
        if not message.startswith("Partner Center"):
            message = f"Partner Center: {message}"
        _finish(run_id, status=SyncRunStatus.FAILED, error=_one_line(message))
    except Exception as exc:
        _finish(
            run_id, status=SyncRunStatus.FAILED, error=_one_line(f"{type(exc).__name__}: {exc}")
        )
        raise
    else:
        counts = {
            "customers": report.customers,
            "subscriptions": report.subscriptions,
            "contacts_changed": report.contacts_changed,
            "apply_seconds": round(report.seconds, 3),
        }
        _finish(run_id, status=SyncRunStatus.SUCCEEDED, counts=counts)
    return SyncRun.objects.get(pk=run_id)
