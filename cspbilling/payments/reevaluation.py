"""Who wants to know when customers' money changed (collections re-evaluates their state).
Payments never imports them: they register here; each is called inside the transaction that
changed the money, and should only enqueue its work (the task row commits with the change).

A listener gets every customer of one change at once (a bank statement pays thousands): it can
ask in one query which of them concern it, instead of enqueueing a task for each."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from cspbilling.customers.models import Customer

Listener = Callable[[Sequence[Customer], str], None]
_listeners: list[Listener] = []


def on_money_changed(listener: Listener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def money_changed(customer: Customer, why: str) -> None:
    money_changed_for(customers=[customer], why=why)


def money_changed_for(*, customers: Sequence[Customer], why: str) -> None:
    if not customers:
        return
    for listener in _listeners:
        listener(customers, why)
