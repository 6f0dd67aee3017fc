"""A billing run: a month's upstream lines become draft invoices (`billing_drafts.py` does the
work), tracked as a `core.runs.TrackedRun`.

The console and the API queue a run for the worker (`request_billing_run`: the run and its task
commit together); the CLI and the schedule run one here (`do_run_billing`). Either way the work
is one write transaction (a run that stops leaves no partial drafts), its progress and heartbeat
are written on the run while it works (`billing_progress.py`), and a run whose process died is
failed as abandoned once its heartbeat is old. One run of a month at a time: a second one asked
for while one is queued or running is refused with the reason.
"""

from __future__ import annotations

import datetime as dt
import uuid
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import record_event
from cspbilling.core.progress import ProgressReporter
from cspbilling.core.runs import ACTIVE_RUN_STATUSES, RunStatus
from cspbilling.core.services import (
    finish_run,
    release_stale_runs,
    start_run,
    transaction_step,
)
from cspbilling.customers.models import Customer
from cspbilling.invoicing import locks
from cspbilling.invoicing.models import BillingRun
from cspbilling.invoicing.services.billing_drafts import BillingRunError, bill_period, month_of
from cspbilling.invoicing.services.billing_progress import BillingProgress

# A running run writes its heartbeat every few seconds on PostgreSQL; on SQLite not while its
# write transaction holds the write lock (a million upstream lines take well under a minute).
# A queued run the worker has not started within this time is failed too.
ABANDONED_AFTER = timedelta(minutes=30)


class BillingRunBusy(BillingRunError):
    """Another run of the month is queued or running."""


def _busy_run(period: dt.date, now: dt.datetime) -> BillingRun | None:
    """The month's queued or running run that still shows life, if any."""
    return (
        BillingRun.objects.filter(
            period=period,
            status__in=ACTIVE_RUN_STATUSES,
            heartbeat_at__gte=now - ABANDONED_AFTER,
        )
        .order_by("pk")
        .first()
    )


def _refuse_if_busy(period: dt.date, now: dt.datetime) -> None:
    run = _busy_run(period, now)
    if run is not None:
        raise BillingRunBusy(
            f"billing run #{run.pk} of {period:%Y-%m} (asked for by {run.requested_by}) is "
            f"{run.get_status_display().lower()}: wait until it ends, then run again"
        )


@transaction_step
def fail_abandoned_billing_runs(*, now: dt.datetime | None = None) -> int:
    """Fail the runs with no sign of life for ABANDONED_AFTER (their process stopped, and their
    transaction with it: they left nothing), so they no longer block their month."""
    return release_stale_runs(
        BillingRun,
        silent_for=ABANDONED_AFTER,
        now=now or timezone.now(),
        statuses=tuple(ACTIVE_RUN_STATUSES),
    )


def do_fail_abandoned_billing_runs(*, now: dt.datetime | None = None) -> int:
    """Entry point of fail_abandoned_billing_runs; it asks first, read only, whether any run is
    abandoned: on SQLite opening a write transaction would wait for a running run's."""
    now = now or timezone.now()
    stale = BillingRun.objects.filter(
        status__in=ACTIVE_RUN_STATUSES, heartbeat_at__lt=now - ABANDONED_AFTER
    )
    if not stale.exists():
        return 0
    with transaction.atomic(durable=True):
        return fail_abandoned_billing_runs(now=now)


@transaction_step
def request_billing_run(
    *,
    period: dt.date,
    actor: str,
    customer: Customer | None = None,
    dry_run: bool = False,
    queue: bool = True,
) -> BillingRun:
    """A run of one month (any day of it): queued for the worker, its task enqueued in this
    transaction (`queue`), or marked running for this process to execute. Raises BillingRunBusy
    when another run of the month is queued or running."""
    from cspbilling.invoicing.tasks import billing_run

    start, _ = month_of(period)
    now = timezone.now()
    locks.lock_billing_requests(start)
    fail_abandoned_billing_runs(now=now)
    _refuse_if_busy(start, now)
    run = BillingRun.objects.create(
        period=start,
        customer=customer,
        dry_run=dry_run,
        requested_by=actor,
        requested_at=now,
        status=RunStatus.QUEUED if queue else RunStatus.RUNNING,
        started_at=None if queue else now,
        heartbeat_at=now,  # a queued run never started is failed after ABANDONED_AFTER too
    )
    if queue:
        result = billing_run.enqueue(run.pk)
        run.task_id = uuid.UUID(str(result.id))
        BillingRun.objects.filter(pk=run.pk).update(task_id=run.task_id)
    return run


def do_request_billing_run(
    *,
    period: dt.date,
    actor: str,
    customer: Customer | None = None,
    dry_run: bool = False,
    queue: bool = True,
) -> BillingRun:
    """Entry point of request_billing_run. A busy month is refused before the transaction too:
    on SQLite it would wait for the running run's write transaction to end."""
    _refuse_if_busy(month_of(period)[0], timezone.now())
    with transaction.atomic(durable=True):
        return request_billing_run(
            period=period, actor=actor, customer=customer, dry_run=dry_run, queue=queue
        )


def live_progress_possible() -> bool:
    """Whether a second connection can write the run's progress while its transaction is open:
    on PostgreSQL, if the run's row is committed already; never on SQLite, whose one write lock
    the run holds (the page then shows "running" until the run ends)."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def execute_billing_run(*, run_id: int, progress: ProgressReporter | None = None) -> BillingRun:
    """The worker's (or this process's) part: make the drafts in one transaction, reporting
    progress, and record how the run ended (with its audit event, in the drafts' transaction).
    A run already finished, or failed as abandoned meanwhile, is left alone."""
    if not start_run(BillingRun, run_id):
        return BillingRun.objects.get(pk=run_id)
    run = BillingRun.objects.select_related("customer").get(pk=run_id)
    reporter = BillingProgress(run_id, also=progress, background=live_progress_possible())
    try:
        with transaction.atomic(durable=True):
            locks.lock_billing_period(run.period)
            with reporter:
                summary = bill_period(run=run, progress=reporter)
            if run.dry_run:
                transaction.set_rollback(True)  # keep nothing but the run's record
            else:
                _succeed(run, summary)
        if run.dry_run:
            with transaction.atomic(durable=True):
                _succeed(run, summary)
    except BaseException as exc:  # Ctrl-C and SystemExit too: never leave it "running"
        reason = type(exc).__name__ if isinstance(exc, Exception) else "interrupted"
        with transaction.atomic(durable=True):
            finish_run(BillingRun, run_id, status=RunStatus.FAILED, error=f"{reason}: {exc}")
        raise
    run.refresh_from_db()
    return run


def _succeed(run: BillingRun, summary: dict) -> None:
    finish_run(BillingRun, run.pk, status=RunStatus.SUCCEEDED, summary=summary, phase="")
    if not run.dry_run:
        record_event(
            actor=run.requested_by,
            action=AuditAction.BILLING_RUN_COMPLETED,
            object_type="billing_run",
            object_id=run.pk,
            after={"period": run.period.isoformat(), **summary},
        )


def do_run_billing(
    *,
    period: dt.date,
    actor: str,
    customer: Customer | None = None,
    dry_run: bool = False,
    progress: ProgressReporter | None = None,
) -> BillingRun:
    """Bill one month here and now (the CLI, the schedule): the period's drafts are made again
    from the upstream lines not billed yet; issued invoices are never touched. A dry run reports
    the same summary and keeps nothing but the run's record. Raises BillingRunBusy when another
    run of the month is queued or running."""
    run = do_request_billing_run(
        period=period, actor=actor, customer=customer, dry_run=dry_run, queue=False
    )
    return execute_billing_run(run_id=run.pk, progress=progress)


__all__ = [
    "ABANDONED_AFTER",
    "BillingRunBusy",
    "BillingRunError",
    "do_fail_abandoned_billing_runs",
    "do_request_billing_run",
    "do_run_billing",
    "execute_billing_run",
    "fail_abandoned_billing_runs",
    "month_of",
    "request_billing_run",
]
