"""Billing support cases and their conversation.

A case with no customer is in triage: its sender is no known contact of any customer. Every
message is stored once (`message_id` is unique); public messages are what the customer sees,
internal ones never leave the staff console.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone

from cspbilling.core.money import from_minor_units


class CaseCategory(models.TextChoices):
    INVOICE_QUESTION = "invoice_question", "Invoice question"
    PAYMENT = "payment", "Payment"
    DISPUTE = "dispute", "Dispute"
    REFUND_OR_CREDIT = "refund_or_credit", "Refund or credit"
    SUSPENSION_OR_ACCESS = "suspension_or_access", "Suspension or access"
    TECHNICAL = "technical", "Technical"


class CasePriority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class CaseStatus(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    WAITING_ON_CUSTOMER = "waiting_on_customer", "Waiting on customer"
    ESCALATED = "escalated", "Escalated"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


OPEN_STATUSES = (
    CaseStatus.NEW,
    CaseStatus.OPEN,
    CaseStatus.WAITING_ON_CUSTOMER,
    CaseStatus.ESCALATED,
)


class Channel(models.TextChoices):
    CONSOLE = "console", "Staff console"
    PORTAL = "portal", "Customer portal"
    API = "api", "REST API"
    EMAIL = "email", "Email"
    SYSTEM = "system", "cspbilling"


class CloseReason(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed by the customer"
    AUTO_CLOSED = "auto_closed", "Closed after the confirmation window"
    MERGED = "merged", "Merged into another case"
    DUPLICATE = "duplicate", "Duplicate of another case"
    SPAM = "spam", "Spam"


class DisputeOutcome(models.TextChoices):
    CREDIT_NOTE = "credit_note", "Credit note issued"
    ON_INVOICE = "on_invoice", "Credited on a later invoice"
    UPHELD = "upheld", "Charge upheld"


class Case(models.Model):
    reference = models.CharField(max_length=20, unique=True, null=True, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        help_text="Empty: the sender is no known contact (the triage queue).",
    )
    contact_email = models.EmailField(blank=True)
    contact_name = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=8, default="zh-hans")
    subject = models.CharField(max_length=300)
    category = models.CharField(max_length=24, choices=CaseCategory.choices)
    priority = models.CharField(
        max_length=8, choices=CasePriority.choices, default=CasePriority.NORMAL
    )
    status = models.CharField(max_length=20, choices=CaseStatus.choices, default=CaseStatus.NEW)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_cases",
    )
    invoices = models.ManyToManyField("invoicing.Invoice", blank=True, related_name="cases")
    invoice_lines = models.ManyToManyField(
        "invoicing.InvoiceLine", blank=True, related_name="cases"
    )
    payments = models.ManyToManyField("payments.Payment", blank=True, related_name="cases")
    subscriptions = models.ManyToManyField(
        "subscriptions.Subscription", blank=True, related_name="cases"
    )
    # A dispute: the invoice and the amount held out of collections while the case is open.
    disputed_invoice = models.ForeignKey(
        "invoicing.Invoice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="disputing_cases",
    )
    disputed_amount_minor = models.BigIntegerField(null=True, blank=True)
    dispute_outcome = models.CharField(max_length=12, choices=DisputeOutcome.choices, blank=True)
    credit_note = models.ForeignKey(
        "invoicing.CreditNote", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # SLA, in business seconds of the China calendar (cases.sla).
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    first_response_breached = models.BooleanField(default=False)
    resolution_due_at = models.DateTimeField(
        null=True, blank=True, help_text="Empty while the clock is paused (waiting on customer)."
    )
    clock_running_since = models.DateTimeField(null=True, blank=True)
    business_seconds_used = models.BigIntegerField(default=0)
    resolution_breached = models.BooleanField(default=False)
    sla_warned_at = models.DateTimeField(null=True, blank=True)
    # Closing the loop.
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=12, choices=CloseReason.choices, blank=True)
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_cases"
    )
    reopen_count = models.PositiveSmallIntegerField(default=0)
    satisfaction = models.PositiveSmallIntegerField(null=True, blank=True)  # 1 (bad) to 5
    routed_to_technical_at = models.DateTimeField(null=True, blank=True)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "resolution_due_at"], name="case_status_due_idx"),
            models.Index(fields=["customer", "status"], name="case_customer_status_idx"),
            models.Index(fields=["assignee", "status"], name="case_assignee_status_idx"),
            models.Index(fields=["status", "resolved_at"], name="case_status_resolved_idx"),
        ]

    def __str__(self) -> str:
        return self.reference or f"case #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def in_triage(self) -> bool:
        return self.customer_id is None

    @property
    def disputed_amount(self) -> Decimal | None:
        if self.disputed_amount_minor is None or self.disputed_invoice is None:
            return None
        return from_minor_units(self.disputed_amount_minor, self.disputed_invoice.currency)


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public (the customer reads it)"
    INTERNAL = "internal", "Internal note"


class AuthorKind(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    STAFF = "staff", "Staff"
    SYSTEM = "system", "cspbilling"


class CaseMessage(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    visibility = models.CharField(max_length=8, choices=Visibility.choices)
    author_kind = models.CharField(max_length=8, choices=AuthorKind.choices)
    author = models.CharField(max_length=254, help_text="A username or an email address.")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    body = models.TextField()
    quoted_history = models.TextField(blank=True, help_text="Quoted mail history, folded.")
    message_id = models.CharField(
        max_length=300, unique=True, null=True, blank=True, help_text="The email's Message-ID."
    )
    is_resolution = models.BooleanField(default=False)
    outbound_message_id = models.BigIntegerField(
        null=True, blank=True, help_text="The outbox row that emailed it (notifications)."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "visibility"], name="case_message_vis_idx")]

    def __str__(self) -> str:
        return f"{self.case} {self.visibility} message #{self.pk}"

    @property
    def is_public(self) -> bool:
        return self.visibility == Visibility.PUBLIC


class CaseAttachment(models.Model):
    message = models.ForeignKey(CaseMessage, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    storage_name = models.CharField(max_length=300, help_text="Its name in the uploads storage.")

    def __str__(self) -> str:
        return self.filename


class CannedResponse(models.Model):
    """A reply staff start from, one per name and language."""

    name = models.CharField(max_length=100)
    language = models.CharField(max_length=8)
    body = models.TextField()

    class Meta:
        ordering = ["name", "language"]
        constraints = [
            models.UniqueConstraint(fields=["name", "language"], name="canned_response_once")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"
