"""`cspbilling worker`: recovers stalled outbox messages, schedules periodic jobs, and runs tasks
with django-tasks-db's own worker loop (no queue of our own)."""

from __future__ import annotations

import logging
import random
import signal
import time
from argparse import ArgumentParser

from django.core.management.base import BaseCommand
from django.db import close_old_connections, connections
from django.db.utils import InterfaceError, OperationalError
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import (
    Worker,
    valid_interval,
    valid_max_tasks,
    validate_worker_id,
)
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import is_locked_database_exception

from cspbilling.notifications.services import do_recover_stalled_messages, do_schedule_due_jobs

logger = logging.getLogger("cspbilling.worker")

# A database that is locked, restarting, or dropped our connection: wait and go on. Anything
# else is a bug and stops the worker loudly.
TRANSIENT_DATABASE_ERRORS = (OperationalError, InterfaceError)
BACKOFF_MAX_SECONDS = 60.0


class MaintainingWorker(Worker):
    """django-tasks-db's Worker, draining the queue in rounds with maintenance between them."""

    def __init__(self, *, recover_every: float, exit_when_empty: bool, **kwargs) -> None:
        super().__init__(batch=True, startup_delay=False, **kwargs)
        self.recover_every = recover_every
        self.exit_when_empty = exit_when_empty
        self._next_maintenance = 0.0
        self._failures = 0

    def maintain(self, *, force: bool = False) -> int:
        """Recovery and periodic scheduling, at most every `recover_every` seconds."""
        if not force and time.monotonic() < self._next_maintenance:
            return 0
        self.running_task = True  # a signal now only asks us to stop, it does not exit mid-way
        try:
            close_old_connections()
            recovered = do_recover_stalled_messages()
            scheduled = do_schedule_due_jobs(worker_id=self.worker_id)
        except OperationalError as exc:
            if not is_locked_database_exception(exc):
                raise
            return 0
        finally:
            self.running_task = False
        self._next_maintenance = time.monotonic() + self.recover_every
        if recovered or scheduled:
            logger.info(
                "worker %s: %d stalled message(s) recovered, scheduled %s",
                self.worker_id,
                recovered,
                ", ".join(scheduled) or "nothing",
            )
        return recovered + len(scheduled)

    def run_task(self, db_task_result: DBTaskResult) -> None:
        self.maintain()
        super().run_task(db_task_result)

    def _done(self) -> bool:
        return not self.running or (
            self.max_tasks is not None and self._run_tasks >= self.max_tasks
        )

    def serve(self) -> None:
        """Rounds of maintenance and draining until stopped. A transient database error (locked,
        restarting, connection dropped) is logged and waited out with a growing pause, never
        the end of the worker: nothing else would restart it."""
        self._next_maintenance = 0.0
        while not self._done():
            try:
                finished = self._round()
            except TRANSIENT_DATABASE_ERRORS as exc:
                self._back_off(exc)
                continue
            self._failures = 0
            if finished:
                return
            if not self.exit_when_empty:
                time.sleep(self.interval)

    def _round(self) -> bool:
        """One round; True when the worker should stop (batch mode with nothing left)."""
        self.maintain()
        self.run()  # drains the ready tasks, then returns
        if self._done():
            return True
        if self.exit_when_empty:
            return not self.maintain(force=True)
        return False

    def _back_off(self, exc: Exception) -> None:
        self._failures += 1
        pause = min(BACKOFF_MAX_SECONDS, 0.5 * 2 ** (self._failures - 1))
        pause *= 0.75 + random.random() / 2
        logger.warning(
            "worker %s: database unavailable (%s: %s); retrying in %.1f s",
            self.worker_id,
            type(exc).__name__,
            " ".join(str(exc).split())[:200],
            pause,
        )
        connections.close_all()  # a broken connection is reopened on the next query
        deadline = time.monotonic() + pause
        while self.running and time.monotonic() < deadline:
            time.sleep(min(0.2, pause))


class Command(BaseCommand):
    help = "Run the background worker: outbox delivery, recovery and periodic jobs."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--interval",
            type=valid_interval,
            default=1.0,
            help="seconds to wait when the queue is empty (default: %(default)s)",
        )
        parser.add_argument(
            "--batch", action="store_true", help="exit when nothing is left to do now"
        )
        parser.add_argument(
            "--worker-id",
            type=validate_worker_id,
            default=None,
            help="unique id of this worker (default: random)",
        )
        parser.add_argument(
            "--max-tasks", type=valid_max_tasks, default=None, help="exit after this many tasks"
        )
        parser.add_argument(
            "--recover-every",
            type=valid_interval,
            default=60.0,
            help="seconds between recovery and scheduling rounds (default: %(default)s)",
        )
        parser.add_argument(
            "--queue-name", default="default", help="queues to process, comma-separated"
        )

    def handle(self, *, interval, batch, worker_id, max_tasks, recover_every, **options) -> None:
        worker_id = worker_id or get_random_string(32)
        verbosity = options["verbosity"]
        # django_tasks_db says "starting"/"no more tasks" every round: only at -v 2.
        levels = {"django_tasks_db": 2, "django.tasks": 1, "cspbilling.worker": 1}
        for name, verbose_from in levels.items():
            log = logging.getLogger(name)
            log.setLevel(logging.INFO if verbosity >= verbose_from else logging.WARNING)
            if not log.handlers:
                log.addHandler(logging.StreamHandler(self.stdout))
                log.propagate = False  # the root handler would print every line twice
        worker = MaintainingWorker(
            queue_names=options["queue_name"].split(","),
            interval=interval,
            backend_name="default",
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=[],
            recover_every=recover_every,
            exit_when_empty=batch,
        )
        signals = (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)
        previous = {sig: signal.getsignal(sig) for sig in signals}
        worker.configure_signals()
        if verbosity:  # said once the signals are ours: from here a SIGTERM stops it cleanly
            self.stdout.write(f"worker {worker_id} started (batch={batch})")
            self.stdout.flush()
        try:
            if not batch and interval:
                time.sleep(random.random())  # spread workers started together
            worker.serve()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if verbosity:
            self.stdout.write(f"worker {worker_id} stopped after {worker._run_tasks} task(s)")
