"""How services compose (DESIGN.md, "Services are the only write path").

Every operation that changes state has two faces:

* **the step**, named by its verb (`suspend_subscription`, `record_payment`): it does the work
  and refuses to run outside a transaction (`@transaction_step`), so another service can call it
  inside its own decision's transaction (collections suspends, escalations issue credit notes);
* **the entry point**, `do_<verb>`, which edges (views, API, commands, tasks) call: it opens the
  one durable transaction (`atomic(durable=True)`: it can never be nested by accident) and runs
  the step. Most are one line, `do_x = entry_point(x)`; one that must reach the network fetches
  first, outside any transaction, then opens it.

Nothing inside a step commits, and no step waits on the network: fetch (and spool to a file if
large) before the transaction, then write in one short transaction. The audit event and the
outbox row are written by the step, in the same transaction as the change.

Long runs (`core.runs.TrackedRun`) report progress with `RunProgress` and end with `finish_run`:
these are the only writes that happen outside the run's own transaction, on purpose (progress
must be visible while the work is still uncommitted).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone

from cspbilling.core.progress import ProgressReporter
from cspbilling.core.runs import ACTIVE_RUN_STATUSES, RunStatus


class TransactionRequired(RuntimeError):
    """A step was called with no transaction open: call its `do_` entry point instead."""


def require_transaction(operation: str) -> None:
    if not transaction.get_connection().in_atomic_block:
        raise TransactionRequired(
            f"{operation} must run inside a transaction: call it from another service's "
            f"transaction, or call its entry point (do_{operation})"
        )


def transaction_step[**P, R](func: Callable[P, R]) -> Callable[P, R]:
    """Mark a service step: it runs only inside the caller's transaction."""

    @wraps(func)
    def step(*args: P.args, **kwargs: P.kwargs) -> R:
        require_transaction(func.__name__)
        return func(*args, **kwargs)

    step.is_transaction_step = True  # type: ignore[attr-defined]
    return step


def entry_point[**P, R](step: Callable[P, R]) -> Callable[P, R]:
    """The edges' face of a step: one durable transaction around it."""

    @wraps(step)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with transaction.atomic(durable=True):
            return step(*args, **kwargs)

    run.__name__ = f"do_{step.__name__}"
    run.__qualname__ = run.__name__
    run.__doc__ = f"Entry point: {step.__name__} in its own durable transaction.\n\n{step.__doc__}"
    return run


def one_line(text: Any, limit: int = 500) -> str:
    """An error as one line of at most `limit` characters (for run rows and the console)."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


PROGRESS_MIN_INTERVAL = 0.5  # seconds between progress writes: at most ~2 a second


class RunProgress:
    """A ProgressReporter that writes a TrackedRun's phase, progress and heartbeat, at most every
    `min_interval` seconds (a new phase at once), passing everything on to `also` (a bar)."""

    def __init__(
        self,
        model: type[models.Model],
        run_id: int,
        *,
        also: ProgressReporter | None = None,
        min_interval: float = PROGRESS_MIN_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.model = model
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

    def heartbeat(self) -> None:
        """Show life during a long silent step (no progress to report)."""
        self._write(force=True)

    def _write(self, *, force: bool = False) -> None:
        now = self.clock()
        recent = self._last_write is not None and now - self._last_write < self.min_interval
        if recent and not force:
            return
        self._last_write = now
        self.writes += 1
        self.model.objects.filter(pk=self.run_id).update(
            phase=self.phase,
            progress_done=self.done,
            progress_total=self.total,
            heartbeat_at=timezone.now(),
        )


class KeepAlive:
    """While a run works, a background thread writes its heartbeat every `every` seconds, so
    a run that is silent for a while (a long retry pause, a long transaction) is not taken
    for dead; one whose process died stops beating at once. Database errors in the beat are
    ignored (the next beat tries again)."""

    def __init__(self, model: type[models.Model], run_id: int, *, every: float = 20.0) -> None:
        self.model, self.run_id, self.every = model, run_id, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{run_id}", daemon=True)

    def __enter__(self) -> KeepAlive:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=self.every + 5)

    def _beat(self) -> None:
        try:
            while not self._stop.wait(self.every):
                with contextlib.suppress(DatabaseError):
                    self.model.objects.filter(pk=self.run_id).update(heartbeat_at=timezone.now())
        finally:
            connection.close()  # this thread's own connection


def start_run(model: type[models.Model], run_id: int) -> bool:
    """Mark a queued run running; False if it is no longer queued or running (already done)."""
    now = timezone.now()
    model.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=now, heartbeat_at=now
    )
    return model.objects.filter(pk=run_id, status__in=ACTIVE_RUN_STATUSES).exists()


def finish_run(
    model: type[models.Model], run_id: int, *, status: str, error: str = "", **fields: Any
) -> None:
    """Record how a run ended, inside the caller's transaction (with its audit event)."""
    require_transaction("finish_run")
    now = timezone.now()
    extra = {"active": False} if any(f.name == "active" for f in model._meta.fields) else {}
    model.objects.filter(pk=run_id).update(
        status=status,
        finished_at=now,
        heartbeat_at=now,
        error=one_line(error) if error else "",
        **extra,
        **fields,
    )


def release_stale_runs(
    model: type[models.Model],
    *,
    silent_for: timedelta,
    now: datetime | None = None,
    statuses: tuple[str, ...] = (RunStatus.RUNNING,),
) -> int:
    """Fail the runs (running ones, by default) with no heartbeat for `silent_for`: their
    process stopped. They stop blocking new runs, and the reason is written on each."""
    now = now or timezone.now()
    released = 0
    stale = model.objects.filter(
        status__in=statuses,
        heartbeat_at__lt=now - silent_for,
    ).only("pk", "heartbeat_at", "status")
    extra = {"active": False} if any(f.name == "active" for f in model._meta.fields) else {}
    for run in stale:
        why = (
            "no worker picked it up (is `cspbilling worker` running?)"
            if run.status == RunStatus.QUEUED
            else "the process running it stopped"
        )
        released += model.objects.filter(
            pk=run.pk, status__in=ACTIVE_RUN_STATUSES, heartbeat_at=run.heartbeat_at
        ).update(
            status=RunStatus.FAILED,
            finished_at=now,
            error=f"abandoned: no sign of life since {run.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC "
            f"({why})",
            **extra,
        )
    return released
