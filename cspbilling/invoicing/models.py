"""What our customers pay: tax categories and price rules (invoices and credit notes follow)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class TaxCategory(models.Model):
    """A VAT rate for a kind of supply (cloud services: 6%). Computed per invoice line, half-up."""

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=100)
    rate = models.DecimalField(max_digits=6, decimal_places=4, help_text="0.0600 is 6%.")

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "tax categories"

    def __str__(self) -> str:
        return f"{self.name} ({(self.rate * 100).normalize():f}%)"


class PricingMethod(models.TextChoices):
    PERCENT = "percent", "Markup or discount on the upstream amount"
    UNIT_PRICE = "unit_price", "Fixed unit price"


class PriceRule(models.Model):
    """What a customer pays per offer. Scope: every customer, one customer group or one customer,
    and/or one offer (its offer id or its durable offer id); the most specific rule in effect on
    the charge's date wins (`invoicing.pricing.specificity`); two rules that could tie are refused
    when saved. In effect from `effective_from` through `effective_to` (inclusive; open if empty).
    """

    name = models.CharField(max_length=200)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, null=True, blank=True
    )
    group = models.ForeignKey(
        "customers.CustomerGroup", on_delete=models.PROTECT, null=True, blank=True
    )
    offer_id = models.CharField(max_length=128, blank=True)
    durable_offer_id = models.CharField(max_length=128, blank=True)
    method = models.CharField(max_length=12, choices=PricingMethod.choices)
    percent = models.DecimalField(
        max_digits=7,
        decimal_places=3,
        null=True,
        blank=True,
        help_text="Markup (positive) or discount (negative) on the upstream amount, in percent.",
    )
    unit_price = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True, help_text="Of the fixed unit price.")
    tax_category = models.ForeignKey(TaxCategory, on_delete=models.PROTECT)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["effective_from", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~(models.Q(customer__isnull=False) & models.Q(group__isnull=False)),
                name="price_rule_customer_or_group",
            ),
            models.CheckConstraint(
                condition=~(~models.Q(offer_id="") & ~models.Q(durable_offer_id="")),
                name="price_rule_one_offer_key",
            ),
        ]

    def __str__(self) -> str:
        return self.name
