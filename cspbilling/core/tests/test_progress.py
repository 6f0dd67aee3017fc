"""The command line's progress: each stage ends finished, a stage without a total (a spinner)
included, so nothing is left spinning once the job moved on or ended."""

from __future__ import annotations

import io

from rich.console import Console
from rich.progress import Progress

from cspbilling.core.progress import RichProgress


def test_every_stage_ends_finished_even_one_without_a_total():
    out = io.StringIO()
    with Progress(console=Console(file=out, force_terminal=True, width=100)) as progress:
        reporter = RichProgress(progress)
        reporter.start("reading the file")  # no total known: a spinner
        reporter.advance(1200)
        reporter.start("matching", total=10)
        reporter.advance(4)
        reporter.finish()
    reading, matching = progress.tasks
    assert reading.finished and (reading.completed, reading.total) == (1200, 1200)
    assert matching.finished and matching.completed == 10
