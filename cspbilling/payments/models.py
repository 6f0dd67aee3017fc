"""Money received from customers and what it pays. Every table here is append-only but for a
payment's status: a correction is a new row (a release, a reversal), never an edit, and the
ledger is the source every balance is derived from. Amounts are integer minor units (fen)."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils import timezone

from cspbilling.core.money import from_minor_units


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    ALIPAY = "alipay", "Alipay"
    WECHAT_PAY = "wechat_pay", "WeChat Pay"
    CHEQUE = "cheque", "Cheque"
    OTHER = "other", "Other"


class PaymentStatus(models.TextChoices):
    POSTED = "posted", "Posted"
    REVERSED = "reversed", "Reversed"


class Payment(models.Model):
    """Money a customer paid us, as received."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="payments"
    )
    currency = models.CharField(max_length=3)
    amount_minor = models.BigIntegerField()
    received_on = models.DateField()
    method = models.CharField(max_length=16, choices=PaymentMethod.choices)
    reference = models.CharField(max_length=140, blank=True, help_text="The payer's reference.")
    status = models.CharField(
        max_length=8, choices=PaymentStatus.choices, default=PaymentStatus.POSTED
    )
    reversal_reason = models.CharField(max_length=500, blank=True)
    reversed_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_on", "-id"]
        indexes = [models.Index(fields=["customer", "status"], name="payment_customer_status")]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_minor__gt=0), name="payment_positive")
        ]

    def __str__(self) -> str:
        return f"payment #{self.pk}"

    @property
    def amount(self) -> Decimal:
        return from_minor_units(self.amount_minor, self.currency)


class AllocationKind(models.TextChoices):
    ALLOCATED = "allocated", "Allocated"
    CREDIT_APPLIED = "credit_applied", "Credit applied at issue"
    RELEASED = "released", "Released by a credit note"
    REVERSED = "reversed", "Released by the payment's reversal"


class Allocation(models.Model):
    """Part of a payment paying part of an invoice (positive), or given back to the payment
    (negative: a credit note lowered the invoice, or the payment was reversed)."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    invoice = models.ForeignKey(
        "invoicing.Invoice", on_delete=models.PROTECT, related_name="allocations"
    )
    amount_minor = models.BigIntegerField()
    kind = models.CharField(max_length=16, choices=AllocationKind.choices)
    actor = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.payment_id} → {self.invoice_id}: {self.amount_minor}"


class Refund(models.Model):
    """Customer credit paid back to the customer."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="refunds"
    )
    currency = models.CharField(max_length=3)
    amount_minor = models.BigIntegerField()
    refunded_on = models.DateField()
    method = models.CharField(max_length=16, choices=PaymentMethod.choices)
    reference = models.CharField(max_length=140, blank=True)
    reason = models.CharField(max_length=500)
    actor = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-refunded_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_minor__gt=0), name="refund_positive")
        ]

    def __str__(self) -> str:
        return f"refund #{self.pk}"


class LedgerKind(models.TextChoices):
    INVOICE = "invoice", "Invoice issued"
    CREDIT_NOTE = "credit_note", "Credit note issued"
    PAYMENT = "payment", "Payment received"
    PAYMENT_REVERSAL = "payment_reversal", "Payment reversed"
    REFUND = "refund", "Credit refunded"


class LedgerEntry(models.Model):
    """One movement of what a customer owes us (positive) or we owe it (negative). Append-only;
    a customer's balance in a currency is the sum of its entries."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="ledger"
    )
    currency = models.CharField(max_length=3)
    kind = models.CharField(max_length=16, choices=LedgerKind.choices)
    amount_minor = models.BigIntegerField()
    on = models.DateField(help_text="The day it counts from (issued, received, refunded).")
    invoice = models.ForeignKey("invoicing.Invoice", on_delete=models.PROTECT, null=True)
    credit_note = models.ForeignKey("invoicing.CreditNote", on_delete=models.PROTECT, null=True)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, null=True)
    refund = models.ForeignKey(Refund, on_delete=models.PROTECT, null=True)
    actor = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["customer_id", "on", "id"]
        indexes = [models.Index(fields=["customer", "currency", "on"], name="ledger_customer_on")]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_minor}"
