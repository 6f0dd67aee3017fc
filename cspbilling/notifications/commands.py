"""Partner Center commands the outbox can deliver, registered by the apps that own them.

    from cspbilling.notifications.commands import register_command

    @register_command("subscriptions.suspend")
    def suspend(args: dict, *, idempotency_key: str) -> dict | None:
        ...

A handler runs outside any transaction, may run more than once for one message (a worker can die
after the call and before the outcome is saved), so it must be idempotent: pass the key upstream
or check upstream state first. Raise PermanentDeliveryError when a retry cannot help; any other
exception is retried with backoff. Apps register their handlers in their `tasks.py` module, which
is imported at startup (see NotificationsConfig.ready).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cspbilling.notifications.errors import PermanentDeliveryError

CommandHandler = Callable[..., Any]
# on_cancel(args, *, actor, reason): staff cancelled the command before it was carried out. It
# runs inside the cancel's transaction, so the owner's record changes with it (a suspension whose
# command is cancelled must not stay "requested" for ever).
CancelHandler = Callable[..., None]

_REGISTRY: dict[str, CommandHandler] = {}
_ON_CANCEL: dict[str, CancelHandler] = {}


def register_command(
    name: str, *, on_cancel: CancelHandler | None = None
) -> Callable[[CommandHandler], CommandHandler]:
    def decorator(func: CommandHandler) -> CommandHandler:
        existing = _REGISTRY.get(name)
        if existing is not None and existing is not func:
            raise ValueError(f"outbox command {name!r} is already registered by {existing!r}")
        _REGISTRY[name] = func
        if on_cancel is not None:
            _ON_CANCEL[name] = on_cancel
        return func

    return decorator


def cancel_handler(name: str) -> CancelHandler | None:
    return _ON_CANCEL.get(name)


def get_command(name: str) -> CommandHandler:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise PermanentDeliveryError(f"no outbox command is registered as {name!r}") from None


def is_registered(name: str) -> bool:
    return name in _REGISTRY


def run_command(name: str, args: dict, *, idempotency_key: str) -> Any:
    return get_command(name)(args, idempotency_key=idempotency_key)
