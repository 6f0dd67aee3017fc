"""Email attachments rendered when the email is sent, by the apps that own them.

    from cspbilling.notifications.attachments import register_attachment

    @register_attachment("invoicing.invoice_pdf")
    def invoice_pdf(ref: str) -> Attachment: ...

An outbox email names its attachments ({"kind", "ref"}); the worker renders them at delivery,
so the outbox row stays small and the outbox knows no domain app. A renderer must give the same
file for the same ref (a retried email sends what the first try would have).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cspbilling.notifications.errors import PermanentDeliveryError


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str


Renderer = Callable[[str], Attachment]
_RENDERERS: dict[str, Renderer] = {}


def register_attachment(kind: str) -> Callable[[Renderer], Renderer]:
    def decorator(func: Renderer) -> Renderer:
        existing = _RENDERERS.get(kind)
        if existing is not None and existing is not func:
            raise ValueError(f"attachment {kind!r} is already registered by {existing!r}")
        _RENDERERS[kind] = func
        return func

    return decorator


def is_registered(kind: str) -> bool:
    return kind in _RENDERERS


def render_attachment(spec: dict) -> Attachment:
    try:
        renderer = _RENDERERS[spec["kind"]]
    except KeyError:
        raise PermanentDeliveryError(f"no attachment renderer for {spec!r}") from None
    return renderer(str(spec["ref"]))
