"""The mirror of Partner Center subscriptions."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


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
