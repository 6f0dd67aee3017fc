"""State machines as tables you can read: each app's `transitions.py` declares its allowed moves
with `StateMachine` and writes one small function per transition that calls `move`.

    MACHINE = StateMachine("suspension", {S.REQUESTED: {S.SUSPENDED, S.FAILED}, ...})

    def confirm_suspended(suspension, *, at):
        MACHINE.move(suspension, S.SUSPENDED)
        suspension.suspended_at = at

The functions change the instance only; the caller saves it inside its transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


class TransitionError(ValueError):
    """A move the table does not allow."""


class StateMachine:
    def __init__(
        self, name: str, allowed: Mapping[str, Iterable[str]], *, field: str = "status"
    ) -> None:
        self.name = name
        self.field = field
        self.allowed: dict[str, frozenset[str]] = {
            str(state): frozenset(str(to) for to in targets) for state, targets in allowed.items()
        }
        unknown = {to for targets in self.allowed.values() for to in targets} - set(self.allowed)
        if unknown:
            raise ValueError(f"{name}: targets {sorted(unknown)} have no row of their own")

    def can_move(self, current: str, to: str) -> bool:
        return str(to) in self.allowed.get(str(current), frozenset())

    def move(self, obj: Any, to: str) -> None:
        current = getattr(obj, self.field)
        if not self.can_move(current, to):
            raise TransitionError(f"{self.name} #{obj.pk} is {current}; it cannot become {to}")
        setattr(obj, self.field, to)
