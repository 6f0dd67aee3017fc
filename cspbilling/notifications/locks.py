from __future__ import annotations

from django.db import connection

from cspbilling.notifications.models import OutboundMessage


def lock_message(message_id: int) -> OutboundMessage | None:
    """The message row, locked for the rest of the transaction; None if another worker holds it.

    On PostgreSQL a row held by another worker is skipped, not waited for: that worker is
    delivering it. SQLite has one writer at a time, so the transaction itself is the lock.
    """
    qs = OutboundMessage.objects.filter(pk=message_id)
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True)
    return qs.first()


def lock_message_wait(message_id: int) -> OutboundMessage:
    """The message row, locked, waiting for any other holder (staff actions)."""
    return OutboundMessage.objects.select_for_update().get(pk=message_id)
