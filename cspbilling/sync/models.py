"""A Partner Center sync run: who asked, how far it got, what it changed or why it failed."""

from __future__ import annotations

from django.db import models

from cspbilling.core.runs import ACTIVE_RUN_STATUSES, RunStatus, TrackedRun

SyncRunStatus = RunStatus


class SyncTrigger(models.TextChoices):
    MANUAL = "manual", "Manual (console)"
    SCHEDULED = "scheduled", "Scheduled"
    CLI = "cli", "Command line"


ACTIVE_SYNC_STATUSES = ACTIVE_RUN_STATUSES


class SyncRun(TrackedRun):
    """One Partner Center sync: who asked, how far it got, what it changed or why it failed."""

    # True while queued or running; the partial unique index allows only one such run.
    active = models.BooleanField(default=True)
    trigger = models.CharField(max_length=16, choices=SyncTrigger.choices)
    counts = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=models.Q(active=True), name="one_active_sync_run"
            ),
            models.CheckConstraint(
                condition=models.Q(active=True, status__in=["queued", "running"])
                | models.Q(active=False, status__in=["succeeded", "failed"]),
                name="sync_run_active_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return f"sync #{self.pk} ({self.status})"
