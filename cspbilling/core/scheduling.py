"""The registry of periodic jobs. The worker enqueues each once per period, however many workers
run (`notifications.services.do_schedule_due_jobs`, which records the run).

    # in an app's tasks.py
    @task()
    def daily_collections_run() -> None: ...

    register_periodic("collections.daily", every=timedelta(days=1), task=daily_collections_run)

Periods are aligned on the Unix epoch in UTC (a daily job's period starts at 00:00 UTC; pass
`offset` to move it). The job's task gets the period start as the ISO string keyword
`period_start` when `pass_period=True`, which lets the job itself be idempotent per period.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.tasks import Task

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


Interval = timedelta | Callable[[], timedelta | None]


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: Interval  # a callable is read when the worker schedules (e.g. from settings)
    task: Task
    offset: timedelta = timedelta(0)
    pass_period: bool = False

    def interval(self) -> timedelta | None:
        """The current interval, or None when the job is turned off."""
        every = self.every() if callable(self.every) else self.every
        return every if every and every > timedelta(0) else None

    def period_start(self, now: datetime) -> datetime:
        every = self.interval()
        if every is None:
            raise ValueError(f"periodic job {self.name!r} is turned off")
        since = now - EPOCH - self.offset
        periods = since // every
        return EPOCH + self.offset + periods * every


_JOBS: dict[str, PeriodicJob] = {}


def register_periodic(
    name: str,
    *,
    every: Interval,
    task: Task,
    offset: timedelta = timedelta(0),
    pass_period: bool = False,
) -> PeriodicJob:
    if not callable(every) and every <= timedelta(0):
        raise ValueError(f"periodic job {name!r}: `every` must be positive")
    existing = _JOBS.get(name)
    if existing is not None and existing.task.module_path != task.module_path:
        raise ValueError(f"periodic job {name!r} is already registered for {existing.task}")
    job = PeriodicJob(name=name, every=every, task=task, offset=offset, pass_period=pass_period)
    _JOBS[name] = job
    return job


def unregister_periodic(name: str) -> None:
    _JOBS.pop(name, None)


def periodic_jobs() -> list[PeriodicJob]:
    """The jobs that are turned on now, by name."""
    return [_JOBS[name] for name in sorted(_JOBS) if _JOBS[name].interval() is not None]
