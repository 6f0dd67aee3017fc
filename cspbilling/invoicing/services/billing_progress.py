"""How far a billing run got, shown while it works.

The run's own connection is inside its one write transaction, whose writes nobody sees before
it ends; so on PostgreSQL a thread with its own connection writes the stage, the count and the
heartbeat on the run's row, at most every `min_interval` seconds (and the heartbeat at least
every `every` seconds). On SQLite the write transaction holds the database's one write lock: a
second connection's write would wait for it, so the row shows the stage only before and after
(the CLI's bar, in the same process, shows every stage on both)."""

from __future__ import annotations

import contextlib
import threading

from django.db import DatabaseError, connection
from django.utils import timezone

from cspbilling.core.progress import ProgressReporter
from cspbilling.core.runs import RunStatus
from cspbilling.invoicing.models import BillingRun


class BillingProgress:
    """A ProgressReporter: the state in memory, passed on to `also` (a bar), written on the run
    by a background thread while the `with` block lasts, if `background`."""

    def __init__(
        self,
        run_id: int,
        *,
        also: ProgressReporter | None = None,
        background: bool,
        min_interval: float = 0.5,
        every: float = 10.0,
    ) -> None:
        self.run_id, self.also, self.background = run_id, also, background
        self.min_interval, self.every = min_interval, every
        self.phase, self.done, self.total = "", 0, None
        self.writes = 0
        self._dirty = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, label: str, total: int | None = None) -> None:
        self.phase, self.done, self.total = label, 0, total
        self._dirty.set()
        if self.also:
            self.also.start(label, total)

    def advance(self, amount: int = 1) -> None:
        self.done += amount
        self._dirty.set()
        if self.also:
            self.also.advance(amount)

    def __enter__(self) -> BillingProgress:
        if self.background:
            self._thread = threading.Thread(
                target=self._beat, name=f"billing-run-{self.run_id}", daemon=True
            )
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.every + 5)

    def _beat(self) -> None:
        try:
            since_write = 0.0
            while not self._stop.wait(self.min_interval):
                since_write += self.min_interval
                if self._dirty.is_set() or since_write >= self.every:
                    self._dirty.clear()
                    self._write()
                    since_write = 0.0
        finally:
            connection.close()  # this thread's own connection

    def _write(self) -> None:
        with contextlib.suppress(DatabaseError):  # the next beat tries again
            BillingRun.objects.filter(pk=self.run_id, status=RunStatus.RUNNING).update(
                phase=self.phase,
                progress_done=self.done,
                progress_total=self.total,
                heartbeat_at=timezone.now(),
            )
            self.writes += 1
