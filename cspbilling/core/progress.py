"""Progress for long jobs: a rich bar on a terminal, silence elsewhere."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class ProgressReporter(Protocol):
    def start(self, label: str, total: int | None = None) -> None: ...
    def advance(self, amount: int = 1) -> None: ...


class SilentProgress:
    def start(self, label: str, total: int | None = None) -> None:
        pass

    def advance(self, amount: int = 1) -> None:
        pass


class RichProgress:
    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task = None

    def start(self, label: str, total: int | None = None) -> None:
        self.finish()
        self._task = self._progress.add_task(label, total=total)

    def advance(self, amount: int = 1) -> None:
        if self._task is not None:
            self._progress.advance(self._task, amount)

    def finish(self) -> None:
        """The current stage is done: its bar full, and a stage that had no total (a spinner)
        stops, showing how many it did."""
        if self._task is None:
            return
        task = next(t for t in self._progress.tasks if t.id == self._task)
        done = task.total if task.total is not None else task.completed
        self._progress.update(self._task, total=done, completed=done)
        self._task = None


@contextmanager
def progress_bar(*, enabled: bool = True) -> Iterator[ProgressReporter]:
    if not enabled:
        yield SilentProgress()
        return
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, transient=False) as progress:
        reporter = RichProgress(progress)
        yield reporter
        reporter.finish()
