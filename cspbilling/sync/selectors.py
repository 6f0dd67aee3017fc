"""Reading sync runs."""

from __future__ import annotations

from cspbilling.sync.models import SyncRun


def recent_sync_runs(*, limit: int = 20) -> list:
    """The last Partner Center sync runs, newest first."""
    return list(SyncRun.objects.order_by("-requested_at", "-id")[:limit])


def last_sync_run():
    """The newest sync run, or None."""
    return SyncRun.objects.order_by("-requested_at", "-id").first()
