"""Collections: what holds the clock. (Policies, acknowledgements, dunning actions, promises and
exemptions are built on top of this by issue 16.)"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils import timezone

from cspbilling.core.money import from_minor_units


class HoldSource(models.TextChoices):
    CASE = "case", "Open billing case"
    LINE = "line", "Invoice line marked disputed"
    ESCALATION = "escalation", "Open escalation to 21Vianet"


class DisputeHold(models.Model):
    """An amount of one invoice taken out of the collections clock while a dispute is open.

    At most one open hold per source (`source`, `source_ref`): placing again changes its amount.
    Released, never deleted: the timeline shows when the clock stopped and started again."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="dispute_holds"
    )
    invoice = models.ForeignKey(
        "invoicing.Invoice", on_delete=models.PROTECT, related_name="dispute_holds"
    )
    amount_minor = models.BigIntegerField()
    source = models.CharField(max_length=12, choices=HoldSource.choices)
    source_ref = models.CharField(max_length=64, help_text="The case reference, line id, …")
    reason = models.CharField(max_length=500)
    placed_by = models.CharField(max_length=150)
    placed_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.CharField(max_length=150, blank=True)
    release_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-placed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_minor__gt=0), name="dispute_hold_positive"
            ),
            models.UniqueConstraint(
                fields=["source", "source_ref"],
                condition=models.Q(released_at__isnull=True),
                name="dispute_hold_one_open_per_source",
            ),
        ]
        indexes = [
            models.Index(
                fields=["invoice"],
                condition=models.Q(released_at__isnull=True),
                name="dispute_hold_open_invoice",
            )
        ]

    def __str__(self) -> str:
        return f"hold on {self.invoice} ({self.source} {self.source_ref})"

    @property
    def amount(self) -> Decimal:
        return from_minor_units(self.amount_minor, self.invoice.currency)

    @property
    def is_open(self) -> bool:
        return self.released_at is None
