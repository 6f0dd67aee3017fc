"""Customer accounts: a mirror of Partner Center customers plus our own billing fields."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from cspbilling.customers.validators import validate_unified_social_credit_code


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"
    FR = "fr", "Français"


class CustomerStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    REMOVED_UPSTREAM = "removed_upstream", "No longer in Partner Center"


class Customer(models.Model):
    # Mirror of Partner Center (refreshed by sync).
    tenant_id = models.UUIDField(unique=True, help_text="Partner Center customer id (tenant id).")
    commerce_id = models.CharField(max_length=64, blank=True)
    company_name = models.CharField(max_length=255, db_index=True)
    domain = models.CharField(max_length=255, blank=True, db_index=True)
    organization_registration_number = models.CharField(max_length=64, blank=True)
    relationship_to_partner = models.CharField(max_length=32, blank=True)
    associated_partner_id = models.CharField(max_length=64, blank=True)
    culture = models.CharField(max_length=16, blank=True)
    country = models.CharField(max_length=2, blank=True)
    region = models.CharField(max_length=100, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=100, blank=True)
    address_line1 = models.CharField(max_length=255, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    phone_number = models.CharField(max_length=50, blank=True)

    # Our own fields (never overwritten by sync).
    legal_name = models.CharField(max_length=255, blank=True)
    tax_id = models.CharField(
        max_length=18,
        blank=True,
        validators=[validate_unified_social_credit_code],
        help_text="Unified social credit code (统一社会信用代码), 18 characters.",
    )
    language = models.CharField(max_length=8, choices=Language.choices, default=Language.ZH_HANS)
    currency = models.CharField(max_length=3, default="CNY")
    payment_terms_days = models.PositiveSmallIntegerField(default=30)

    status = models.CharField(
        max_length=20, choices=CustomerStatus.choices, default=CustomerStatus.ACTIVE
    )
    removed_upstream_at = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    upstream_fingerprint = models.CharField(
        max_length=64, blank=True, help_text="Hash of the last synced upstream fields."
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["company_name", "id"]

    def __str__(self) -> str:
        return self.legal_name or self.company_name

    @property
    def display_name(self) -> str:
        return self.legal_name or self.company_name


class BillingContact(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)
    phone_number = models.CharField(max_length=50, blank=True)
    is_primary = models.BooleanField(default=False)
    from_partner_center = models.BooleanField(
        default=False, help_text="The billing profile contact; refreshed by sync."
    )

    class Meta:
        ordering = ["-is_primary", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=models.Q(from_partner_center=True),
                name="one_partner_center_contact_per_customer",
            )
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} <{self.email}>".strip()


class SyncRunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class SyncTrigger(models.TextChoices):
    MANUAL = "manual", "Manual (console)"
    SCHEDULED = "scheduled", "Scheduled"
    CLI = "cli", "Command line"


ACTIVE_SYNC_STATUSES = (SyncRunStatus.QUEUED, SyncRunStatus.RUNNING)


class SyncRun(models.Model):
    """One Partner Center sync: who asked, how far it got, what it changed or why it failed."""

    status = models.CharField(
        max_length=16, choices=SyncRunStatus.choices, default=SyncRunStatus.QUEUED
    )
    # True while queued or running; the partial unique index allows only one such run.
    active = models.BooleanField(default=True)
    trigger = models.CharField(max_length=16, choices=SyncTrigger.choices)
    requested_by = models.CharField(max_length=150)
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    phase = models.CharField(max_length=32, blank=True, default="")
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, default="")
    task_id = models.UUIDField(null=True, blank=True)

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

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None

    @property
    def percent(self) -> int | None:
        if not self.progress_total:
            return None
        return min(100, round(100 * self.progress_done / self.progress_total))
