"""Who wants to know when upstream lines were imported (escalations match the credits 21Vianet
promised). Upstream never imports them: they register here when they start; each is called
inside the import's transaction, after its lines are settled."""

from __future__ import annotations

from collections.abc import Callable

from cspbilling.upstream.models import ImportBatch

Listener = Callable[[ImportBatch], None]
_listeners: list[Listener] = []


def on_lines_imported(listener: Listener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def lines_imported(batch: ImportBatch) -> None:
    for listener in _listeners:
        listener(batch)
