"""Who wants to know when a customer's money changed (collections re-evaluates its state).
Payments never imports them: they register here; each is called inside the transaction that
changed the money, and should only enqueue its work (the task row commits with the change)."""

from __future__ import annotations

from collections.abc import Callable

from cspbilling.customers.models import Customer

Listener = Callable[[Customer, str], None]
_listeners: list[Listener] = []


def on_money_changed(listener: Listener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def money_changed(customer: Customer, why: str) -> None:
    for listener in _listeners:
        listener(customer, why)
