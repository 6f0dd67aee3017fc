"""A progress reporter for tests: what a progress bar would have shown."""

from __future__ import annotations


class RecordedProgress:
    """Each stage as [label, total, how far it got]."""

    def __init__(self) -> None:
        self.stages: list[list] = []

    def start(self, label: str, total: int | None = None) -> None:
        self.stages.append([label, total, 0])

    def advance(self, amount: int = 1) -> None:
        self.stages[-1][2] += amount

    @property
    def seen(self) -> list[tuple[str, int | None]]:
        """(label, total) of each stage, in order."""
        return [(label, total) for label, total, _ in self.stages]
