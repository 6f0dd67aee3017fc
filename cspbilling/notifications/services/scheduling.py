"""The worker's housekeeping: starting each periodic job once per period, and giving stalled
outbox messages a fresh delivery task."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from cspbilling.core.scheduling import PeriodicJob, periodic_jobs
from cspbilling.core.services import transaction_step
from cspbilling.notifications.models import OutboundMessage, PeriodicRun
from cspbilling.notifications.recovery import stalled_messages
from cspbilling.notifications.services.outbox import enqueue_delivery

RECOVERY_BATCH = 500


@transaction_step
def start_periodic_run(*, job: PeriodicJob, period_start: datetime, worker_id: str) -> PeriodicRun:
    """Record this period's run of the job and enqueue its task; IntegrityError if another
    worker recorded it first."""
    run = PeriodicRun.objects.create(
        job=job.name, period_start=period_start, scheduled_by=worker_id
    )
    kwargs = {"period_start": period_start.isoformat()} if job.pass_period else {}
    result = job.task.enqueue(**kwargs)
    run.task_id = result.id
    run.save(update_fields=["task_id"])
    return run


def do_schedule_due_jobs(*, worker_id: str = "", now: datetime | None = None) -> list[str]:
    """Entry point: enqueue every job whose current period has no run yet, each in its own
    transaction; returns the names enqueued."""
    now = now or timezone.now()
    started = []
    for job in periodic_jobs():
        period_start = job.period_start(now)
        if PeriodicRun.objects.filter(job=job.name, period_start=period_start).exists():
            continue
        try:
            with transaction.atomic(durable=True):
                start_periodic_run(job=job, period_start=period_start, worker_id=worker_id)
        except IntegrityError:
            continue  # another worker scheduled this period first
        started.append(job.name)
    return started


@transaction_step
def requeue_messages(*, message_ids: list[int]) -> int:
    """A fresh delivery task for each of these messages; returns how many."""
    messages = OutboundMessage.objects.filter(id__in=message_ids).order_by("id")
    for message in messages:
        enqueue_delivery(message)
    return len(message_ids)


def do_recover_stalled_messages(*, now: datetime | None = None) -> int:
    """Entry point: enqueue a delivery task for every stalled message, a batch per transaction;
    returns how many."""
    now = now or timezone.now()
    recovered = 0
    last_id = 0
    while True:
        ids = list(
            stalled_messages(now=now)
            .filter(id__gt=last_id)
            .values_list("id", flat=True)[:RECOVERY_BATCH]
        )
        if not ids:
            return recovered
        with transaction.atomic(durable=True):
            recovered += requeue_messages(message_ids=ids)
        last_id = ids[-1]
