"""Escalations: requests to 21Vianet on a customer's behalf, one record for every channel.

In the 21Vianet cloud a person files the request in the Partner Center portal and types the
ticket number back (`portal`); where a cloud offers a service-request API (the sandbox running
as the global cloud) cspbilling files and syncs it (`api`). Either way the escalation is ours:
the prepared text, the disputed upstream lines, the ticket number, the answers (internal notes
on its case), reminders and the outcome.

One open escalation per disputed upstream line (`EscalatedLine`, a partial unique index) and one
escalation per ticket number (unique): nothing is escalated twice.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils import timezone

from cspbilling.core.money import from_minor_units


class EscalationChannel(models.TextChoices):
    PORTAL = "portal", "Filed by a person in the Partner Center portal"
    API = "api", "Filed and synced through the service-request API"


class EscalationStatus(models.TextChoices):
    PREPARED = "prepared", "Prepared (not filed yet)"
    FILING = "filing", "Filing (sent to the API, not confirmed yet)"
    FILED = "filed", "Filed, waiting on 21Vianet"
    INFO_REQUESTED = "info_requested", "21Vianet asks for information"
    UPHELD = "upheld", "Upheld: credit promised"
    REJECTED = "rejected", "Rejected by 21Vianet"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled before filing"
    WITHDRAWN = "withdrawn", "Withdrawn by us after filing"


OPEN_STATUSES = (
    EscalationStatus.PREPARED,
    EscalationStatus.FILING,
    EscalationStatus.FILED,
    EscalationStatus.INFO_REQUESTED,
    EscalationStatus.UPHELD,
)
WAITING_ON_UPSTREAM = (EscalationStatus.FILED, EscalationStatus.INFO_REQUESTED)
# Waiting on 21Vianet's outcome: its case is not resolved or closed by hand meanwhile (the
# agent records the outcome, withdraws it, or cancels it while only prepared).
AWAITING_OUTCOME = (EscalationStatus.PREPARED, EscalationStatus.FILING, *WAITING_ON_UPSTREAM)


class Severity(models.TextChoices):
    """The service-request severities of Partner Center."""

    MINIMAL = "minimal", "Minimal"
    MODERATE = "moderate", "Moderate"
    CRITICAL = "critical", "Critical"


class Cause(models.TextChoices):
    WRONG_PRICE = "wrong_price", "Wrong price"
    WRONG_QUANTITY = "wrong_quantity", "Wrong quantity"
    CHARGED_AFTER_CANCELLATION = "after_cancellation", "Charged after cancellation"
    DUPLICATE_CHARGE = "duplicate_charge", "Duplicate charge"
    NOT_ORDERED = "not_ordered", "Not ordered by the customer"
    FRAUD_OR_MISUSE = "fraud_or_misuse", "Fraud or misuse"
    OTHER = "other", "Other"


class CreditNoteWhen(models.TextChoices):
    ON_APPROVAL = "on_approval", "When 21Vianet upholds the dispute"
    ON_ARRIVAL = "on_arrival", "Only once 21Vianet's credit has arrived"


class FlaggedCredit(models.TextChoices):
    """Why a credit found on a later upstream invoice waits for staff instead of being matched."""

    LARGER = "larger", "larger than promised"
    UNMARKED = "unmarked", "not marked as a credit or adjustment"
    PERIOD = "period", "for another charge period"
    SHORTFALL = "shortfall", "not of the shortfall's amount"


class Escalation(models.Model):
    reference = models.CharField(max_length=20, unique=True, null=True, blank=True)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="escalations")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="escalations"
    )
    channel = models.CharField(max_length=8, choices=EscalationChannel.choices)
    cloud = models.CharField(max_length=8)
    status = models.CharField(
        max_length=16, choices=EscalationStatus.choices, default=EscalationStatus.PREPARED
    )
    cause = models.CharField(max_length=20, choices=Cause.choices, default=Cause.OTHER)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    title = models.CharField(max_length=300, help_text="In Chinese, for 21Vianet.")
    description = models.TextField(help_text="In Chinese, for 21Vianet.")
    lines_csv = models.TextField(help_text="The disputed upstream lines (the attachment).")
    currency = models.CharField(max_length=3, default="CNY")
    disputed_minor = models.BigIntegerField(default=0)
    ticket_number = models.CharField(max_length=40, unique=True, null=True, blank=True)
    filing_attempts = models.PositiveSmallIntegerField(default=0)
    filing_error = models.CharField(max_length=500, blank=True)
    filed_at = models.DateTimeField(null=True, blank=True)
    filed_by = models.CharField(max_length=150, blank=True)
    # What 21Vianet last said (and when), and what we do about their silence.
    upstream_status = models.CharField(max_length=20, blank=True)
    upstream_notes_seen = models.PositiveIntegerField(default=0)
    last_answer_at = models.DateTimeField(null=True, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True)
    poll_backoff_seconds = models.PositiveIntegerField(default=0)
    next_reminder_at = models.DateTimeField(null=True, blank=True)
    next_customer_update_at = models.DateTimeField(null=True, blank=True)
    # The outcome.
    outcome_reason = models.TextField(blank=True)
    promised_credit_minor = models.BigIntegerField(null=True, blank=True)
    credit_upstream_line_id = models.BigIntegerField(unique=True, null=True, blank=True)
    credit_received_minor = models.BigIntegerField(
        null=True, blank=True, help_text="What 21Vianet's matched credit gave back (before tax)."
    )
    credit_received_at = models.DateTimeField(null=True, blank=True)
    shortfall_credit_line_id = models.BigIntegerField(
        unique=True,
        null=True,
        blank=True,
        help_text="21Vianet's second credit, which made up a short first one.",
    )
    oversized_credit_line_id = models.BigIntegerField(
        null=True,
        blank=True,
        help_text="A credit found but not matched (larger than promised, or not surely this "
        "escalation's: `flagged_credit`): staff check it.",
    )
    flagged_credit = models.CharField(
        max_length=10, choices=FlaggedCredit.choices, blank=True, default=FlaggedCredit.LARGER
    )
    # The billing run passed 21Vianet's credit on to the customer before it was matched.
    credit_billed_invoice = models.ForeignKey(
        "invoicing.Invoice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Our issued invoice that already gave the customer 21Vianet's credit.",
    )
    credit_billed_minor = models.BigIntegerField(
        null=True, blank=True, help_text="What that invoice gave the customer for it (net)."
    )
    credit_billed_total_minor = models.BigIntegerField(
        null=True, blank=True, help_text="The same, tax included (what the customer read)."
    )
    credited_twice_minor = models.BigIntegerField(
        null=True,
        blank=True,
        help_text="Given twice (a credit note at approval, then the billed credit): recover it.",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_poll_at"], name="escalation_poll_idx"),
            models.Index(fields=["status", "next_reminder_at"], name="escalation_remind_idx"),
            models.Index(fields=["customer", "status"], name="escalation_customer_idx"),
        ]

    def __str__(self) -> str:
        return self.reference or f"escalation #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def disputed_amount(self) -> Decimal:
        return from_minor_units(self.disputed_minor, self.currency)

    @property
    def promised_credit(self) -> Decimal | None:
        if self.promised_credit_minor is None:
            return None
        return from_minor_units(self.promised_credit_minor, self.currency)

    @property
    def credit_received(self) -> Decimal | None:
        if self.credit_received_minor is None:
            return None
        return from_minor_units(self.credit_received_minor, self.currency)

    @property
    def credit_short(self) -> Decimal | None:
        """How much less 21Vianet credited than it promised (None: not short, or not yet)."""
        if self.credit_received_minor is None or self.promised_credit_minor is None:
            return None
        short = self.promised_credit_minor - self.credit_received_minor
        return from_minor_units(short, self.currency) if short > 0 else None

    @property
    def waits_for_credit(self) -> bool:
        """No credit of 21Vianet's matched yet, or one matched short and not made up yet."""
        if self.credit_upstream_line_id is None:
            return True
        return self.credit_short is not None and self.shortfall_credit_line_id is None

    @property
    def credit_billed(self) -> Decimal | None:
        if self.credit_billed_minor is None:
            return None
        return from_minor_units(self.credit_billed_minor, self.currency)

    @property
    def credit_billed_total(self) -> Decimal | None:
        if self.credit_billed_total_minor is None:
            return None
        return from_minor_units(self.credit_billed_total_minor, self.currency)

    @property
    def credited_twice(self) -> Decimal | None:
        if not self.credited_twice_minor:
            return None
        return from_minor_units(self.credited_twice_minor, self.currency)

    @property
    def credit_to_check(self) -> bool:
        """Staff should look: the credit came short, one waits unmatched, or the customer was
        credited twice."""
        return (
            self.credit_short is not None
            or self.oversized_credit_line_id is not None
            or bool(self.credited_twice_minor)
        )


class CreditPart(models.IntegerChoices):
    FIRST = 1, "21Vianet's credit (promised, or as it arrived)"
    SHORTFALL = 2, "21Vianet's second credit, making up a short first one"


class EscalationCreditNote(models.Model):
    """A credit note given to the customer for an upheld escalation: one per customer invoice
    whose lines billed the disputed upstream lines (unique: never twice for one invoice)."""

    escalation = models.ForeignKey(
        Escalation, on_delete=models.PROTECT, related_name="credit_notes"
    )
    invoice = models.ForeignKey("invoicing.Invoice", on_delete=models.PROTECT, related_name="+")
    credit_note = models.OneToOneField(
        "invoicing.CreditNote", on_delete=models.PROTECT, related_name="escalation_credit"
    )
    part = models.PositiveSmallIntegerField(
        choices=CreditPart.choices,
        default=CreditPart.FIRST,
        help_text="The first credit (promised or matched), or a second one making up a short "
        "first one.",
    )

    class Meta:
        ordering = ["part", "invoice_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["escalation", "invoice", "part"],
                name="escalation_credit_once_per_invoice_and_part",
            )
        ]

    def __str__(self) -> str:
        return f"{self.escalation} → {self.credit_note}"


class EscalatedLine(models.Model):
    """A disputed upstream (21Vianet reconciliation) line: in one open escalation at most."""

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="lines")
    upstream_line_id = models.BigIntegerField()
    upstream_invoice_id = models.CharField(max_length=64)
    subscription_id = models.CharField(max_length=64, blank=True)
    charge_start = models.DateField(null=True, blank=True)
    charge_end = models.DateField(null=True, blank=True)
    amount_minor = models.BigIntegerField()
    is_open = models.BooleanField(default=True)

    class Meta:
        ordering = ["upstream_line_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["upstream_line_id"],
                condition=models.Q(is_open=True),
                name="escalated_line_once_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.escalation} line {self.upstream_line_id}"


class RejectedCreditLine(models.Model):
    """A credit line flagged for an escalation that staff found is not its credit (an ordinary
    credit, say): billed as usual, and never flagged for that escalation again."""

    escalation = models.ForeignKey(
        Escalation, on_delete=models.PROTECT, related_name="rejected_credit_lines"
    )
    upstream_line_id = models.BigIntegerField()
    reason = models.CharField(max_length=500)
    rejected_by = models.CharField(max_length=150)
    rejected_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["rejected_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["escalation", "upstream_line_id"], name="credit_line_rejected_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.escalation} is not credited by line {self.upstream_line_id}"
