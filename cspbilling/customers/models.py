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


class FapiaoPreference(models.TextChoices):
    GENERAL = "general", "General VAT fapiao (普通发票)"
    SPECIAL = "special", "Special VAT fapiao (专用发票)"


class CustomerGroup(models.Model):
    """Customers priced (and later dunned) alike: a reseller's accounts, a sector, a contract."""

    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


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
    # What a fapiao needs of the buyer (a special VAT fapiao: all of it, and a valid tax id).
    fapiao_kind = models.CharField(
        max_length=8,
        choices=FapiaoPreference.choices,
        blank=True,
        help_text="The fapiao requested when an invoice is issued; empty: none.",
    )
    registered_address = models.CharField(max_length=255, blank=True)
    registered_phone = models.CharField(max_length=50, blank=True)
    bank_name = models.CharField(max_length=100, blank=True)
    bank_account = models.CharField(max_length=64, blank=True)
    group = models.ForeignKey(
        CustomerGroup, on_delete=models.PROTECT, null=True, blank=True, related_name="customers"
    )

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
