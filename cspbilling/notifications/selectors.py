"""Reading the outbox: what we sent, to whom, and when."""

from __future__ import annotations

from django.db.models import QuerySet

from cspbilling.notifications.models import MessageStatus, OutboundMessage


def messages(
    *, status: str | None = None, related: tuple[str, str | int] | None = None
) -> QuerySet[OutboundMessage]:
    qs = OutboundMessage.objects.order_by("-created_at", "-id")
    if status:
        if status not in MessageStatus.values:
            raise ValueError(
                f"unknown status {status!r}; use one of {', '.join(MessageStatus.values)}"
            )
        qs = qs.filter(status=status)
    if related:
        qs = qs.filter(object_type=related[0], object_id=str(related[1]))
    return qs


def delivered(*, idempotency_key: str) -> bool:
    """Was the message with this key delivered? (Proof of notice before a suspension.)"""
    return OutboundMessage.objects.filter(
        idempotency_key=idempotency_key, status=MessageStatus.DELIVERED
    ).exists()


def counts_by_status() -> dict[str, int]:
    """{status: number of messages} for the statuses that have any (one grouped query)."""
    from django.db.models import Count

    rows = OutboundMessage.objects.order_by().values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}
