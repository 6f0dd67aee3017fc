"""The mirror of Partner Center subscriptions."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SubscriptionStatus(models.TextChoices):
    NONE = "none", "None"
    ACTIVE = "active", "Active"
    PENDING = "pending", "Pending"
    SUSPENDED = "suspended", "Suspended"
    DELETED = "deleted", "Deleted"
    EXPIRED = "expired", "Expired"
    DISABLED = "disabled", "Disabled"


class Subscription(models.Model):
    subscription_id = models.CharField(
        max_length=64, unique=True, help_text="Partner Center subscription id."
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="subscriptions"
    )
    offer_id = models.CharField(max_length=128, blank=True, db_index=True)
    offer_name = models.CharField(max_length=255, blank=True)
    friendly_name = models.CharField(max_length=255, blank=True)
    quantity = models.IntegerField(default=0)
    unit_type = models.CharField(max_length=50, blank=True)
    parent_subscription_id = models.CharField(max_length=64, blank=True)
    creation_date = models.DateTimeField(null=True, blank=True)
    effective_start_date = models.DateTimeField(null=True, blank=True)
    commitment_end_date = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=SubscriptionStatus.choices, default=SubscriptionStatus.NONE
    )
    suspension_reasons = models.JSONField(default=list, blank=True)
    auto_renew_enabled = models.BooleanField(default=False)
    billing_type = models.CharField(max_length=16, blank=True)
    billing_cycle = models.CharField(max_length=16, blank=True)
    term_duration = models.CharField(max_length=16, blank=True)
    is_trial = models.BooleanField(default=False)
    order_id = models.CharField(max_length=64, blank=True)
    partner_id = models.CharField(max_length=64, blank=True)
    contract_type = models.CharField(max_length=64, blank=True)

    removed_upstream_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when a sync no longer finds it in Partner Center."
    )
    last_synced_at = models.DateTimeField(null=True, blank=True)
    upstream_fingerprint = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["customer_id", "offer_name", "id"]
        indexes = [models.Index(fields=["customer", "status"])]

    def __str__(self) -> str:
        return self.friendly_name or self.offer_name or self.subscription_id

    @property
    def is_add_on(self) -> bool:
        return bool(self.parent_subscription_id)


class SuspensionReason(models.TextChoices):
    NON_PAYMENT = "non_payment", _("Non-payment")
    FRAUD = "fraud", _("Fraud")
    MISUSE = "misuse", _("Misuse")
    CUSTOMER_REQUEST = "customer_request", _("Customer request")
    OTHER = "other", _("Other")


class SuspensionStatus(models.TextChoices):
    REQUESTED = "requested", _("Suspension requested")
    SUSPENDED = "suspended", _("Suspended")
    REACTIVATION_REQUESTED = "reactivation_requested", _("Reactivation requested")
    REACTIVATED = "reactivated", _("Reactivated")
    FAILED = "failed", _("Failed")


OPEN_SUSPENSION_STATUSES = (
    SuspensionStatus.REQUESTED,
    SuspensionStatus.SUSPENDED,
    SuspensionStatus.REACTIVATION_REQUESTED,
)


class Suspension(models.Model):
    """One suspension episode of a subscription, from the request to the reactivation."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.PROTECT, related_name="suspensions"
    )
    # Set on an add-on's episode when it was suspended together with its parent subscription.
    parent_suspension = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="add_on_suspensions"
    )
    reason = models.CharField(max_length=20, choices=SuspensionReason.choices)
    note = models.TextField(blank=True)
    status = models.CharField(
        max_length=24, choices=SuspensionStatus.choices, default=SuspensionStatus.REQUESTED
    )
    requested_by = models.CharField(max_length=150)
    requested_at = models.DateTimeField(default=timezone.now)
    reactivation_requested_by = models.CharField(max_length=150, blank=True)
    reactivation_requested_at = models.DateTimeField(null=True, blank=True)
    reactivation_note = models.TextField(blank=True)

    # Confirmed by Partner Center (the command handler writes these).
    suspended_at = models.DateTimeField(null=True, blank=True)
    reactivated_at = models.DateTimeField(null=True, blank=True)
    data_deletion_on = models.DateField(
        null=True, blank=True, help_text="The day the cloud deletes the data if not reactivated."
    )
    failed_at = models.DateTimeField(null=True, blank=True)
    failure = models.TextField(blank=True)

    # Why, for collections (filled by the collections run; empty for a staff decision).
    policy_version = models.CharField(max_length=64, blank=True)
    stage = models.CharField(max_length=64, blank=True)
    invoice_refs = models.JSONField(default=list, blank=True)
    amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    cause = models.JSONField(default=dict, blank=True)

    # The outbox rows this episode sent.
    suspend_command = models.ForeignKey(
        "notifications.OutboundMessage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reactivate_command = models.ForeignKey(
        "notifications.OutboundMessage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    suspend_notice = models.ForeignKey(
        "notifications.OutboundMessage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reactivate_notice = models.ForeignKey(
        "notifications.OutboundMessage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    notice_note = models.TextField(blank=True, help_text="Why a customer notice was not sent.")

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription"],
                condition=models.Q(status__in=OPEN_SUSPENSION_STATUSES),
                name="one_open_suspension_per_subscription",
            )
        ]
        indexes = [models.Index(fields=["status", "data_deletion_on"])]

    def __str__(self) -> str:
        return f"suspension #{self.pk} of {self.subscription_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_SUSPENSION_STATUSES
