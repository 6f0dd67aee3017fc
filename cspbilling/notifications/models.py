"""The outbox: every outbound effect is a row here, written in the transaction of its decision."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class MessageKind(models.TextChoices):
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Webhook"
    PARTNER_CENTER = "partner_center", "Partner Center command"


class MessageStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class OutboundMessage(models.Model):
    kind = models.CharField(max_length=20, choices=MessageKind.choices)
    idempotency_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(
        max_length=16, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    payload = models.JSONField(
        help_text="email: to, cc, subject, body, html_body, language, headers; "
        "webhook: url, body, secret_name; partner_center: operation, args."
    )
    object_type = models.CharField(max_length=64, blank=True, default="")
    object_id = models.CharField(max_length=64, blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField()
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True, default="")
    last_error = models.TextField(blank=True, default="")
    # The delivery task most recently enqueued for this message (a django_tasks_db row id).
    task_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_by = models.CharField(max_length=150, default="system")

    class Meta:
        ordering = ["id"]
        indexes = [
            # Recovery: due pending messages, and sending ones whose lease ran out.
            models.Index(fields=["status", "next_attempt_at"], name="outbox_status_next_idx"),
            models.Index(fields=["status", "lease_until"], name="outbox_status_lease_idx"),
            models.Index(fields=["object_type", "object_id"], name="outbox_related_idx"),
            models.Index(fields=["-created_at"], name="outbox_created_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.idempotency_key} ({self.status})"

    @property
    def summary(self) -> str:
        """One line for lists: the recipients and subject, the URL, or the operation."""
        p = self.payload
        if self.kind == MessageKind.EMAIL:
            return f"{', '.join(p.get('to', []))}: {p.get('subject', '')}"
        if self.kind == MessageKind.WEBHOOK:
            return p.get("url", "")
        return p.get("operation", "")


class PeriodicRun(models.Model):
    """One row per (periodic job, period): the unique constraint lets exactly one worker of many
    enqueue a job for a period. Lives here, beside the outbox, as the record of background work."""

    job = models.CharField(max_length=100)
    period_start = models.DateTimeField()
    task_id = models.UUIDField(null=True, blank=True)
    scheduled_at = models.DateTimeField(default=timezone.now)
    scheduled_by = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "period_start"], name="periodic_run_once")
        ]

    def __str__(self) -> str:
        return f"{self.job} @ {self.period_start:%Y-%m-%d %H:%M}"
