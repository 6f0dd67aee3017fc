"""Warn the customer (and staff) before a suspended subscription's data is deleted.

The 21Vianet cloud deletes a suspended subscription's data 60 days after the suspension. A daily
job sends one warning per threshold (30, 14, 7 and 1 days left); the outbox's idempotency key
makes a second run on the same day, or on a later day within the same threshold, send nothing.
`services.send_data_deletion_warnings` queues them.
"""

from __future__ import annotations

WARNING_DAYS = (30, 14, 7, 1)


def warning_threshold(days_left: int) -> int | None:
    """The tightest threshold this many days left falls under (10 days left → 14)."""
    under = [t for t in WARNING_DAYS if days_left <= t]
    return min(under) if under else None
