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


class BankAccount(models.Model):
    """One of our bank accounts, whose statements we import. A CSV export's columns are mapped
    once per account (banks each name them their own way) and kept here."""

    name = models.CharField(max_length=100, unique=True)
    account_number = models.CharField(max_length=64, blank=True)
    currency = models.CharField(max_length=3, default="CNY")
    csv_columns = models.JSONField(
        default=dict,
        blank=True,
        help_text='Our field: the export column it is in, e.g. {"booked_on": "交易日期"}.',
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StatementImport(models.Model):
    """One statement file imported: what it was and what came of its lines."""

    bank_account = models.ForeignKey(BankAccount, on_delete=models.PROTECT, related_name="imports")
    filename = models.CharField(max_length=255)
    file_format = models.CharField(max_length=16)  # csv, camt.053
    encoding = models.CharField(max_length=32, blank=True)
    summary = models.JSONField(default=dict)
    imported_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.bank_account})"


class StatementLineStatus(models.TextChoices):
    MATCHED = "matched", "Matched"
    SUGGESTED = "suggested", "Suggested"
    UNMATCHED = "unmatched", "To review"
    ASSIGNED = "assigned", "Assigned by a person"
    IGNORED = "ignored", "Not a customer payment"


class StatementLine(models.Model):
    """A line of a bank statement, identified by account, day, amount and the bank's reference
    (importing the same statement again adds nothing). Money in (credits) becomes payments."""

    bank_account = models.ForeignKey(BankAccount, on_delete=models.PROTECT, related_name="lines")
    statement = models.ForeignKey(StatementImport, on_delete=models.PROTECT, related_name="lines")
    row = models.IntegerField(help_text="Its row (CSV, header = 1) or entry number (XML).")
    booked_on = models.DateField()
    amount_minor = models.BigIntegerField(help_text="Positive: money in; negative: money out.")
    currency = models.CharField(max_length=3)
    bank_reference = models.CharField(max_length=140)
    payer_name = models.CharField(max_length=255, blank=True)
    payer_account = models.CharField(max_length=64, blank=True)
    remittance = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=StatementLineStatus.choices)
    match_rule = models.CharField(max_length=200, blank=True, help_text="Why it matched.")
    suggested_customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    suggested_invoice = models.ForeignKey(
        "invoicing.Invoice", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="statement_line"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["booked_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["bank_account", "booked_on", "amount_minor", "bank_reference"],
                name="statement_line_once",
            )
        ]
        indexes = [models.Index(fields=["status"], name="statement_line_status")]

    def __str__(self) -> str:
        return f"{self.booked_on} {self.amount_minor} {self.payer_name}"

    @property
    def amount(self) -> Decimal:
        return from_minor_units(self.amount_minor, self.currency)


class PayerRule(models.Model):
    """A payer name or account known to pay for a customer: learnt when a person assigns a
    statement line, used to match the next ones."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="payer_rules"
    )
    payer_name = models.CharField(max_length=255, blank=True, db_index=True)
    payer_account = models.CharField(max_length=64, blank=True, db_index=True)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "payer_name", "payer_account"], name="payer_rule_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.payer_name or self.payer_account} → {self.customer_id}"
