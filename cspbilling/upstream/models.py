"""21Vianet's invoices to the partner, their reconciliation lines, and our payments to 21Vianet."""

from __future__ import annotations

import datetime as dt
import json

from django.conf import settings
from django.db import models
from django.utils import timezone

from cspbilling.core.runs import TrackedRun


class InvoiceStatus(models.TextChoices):
    OPEN = "open", "Open"
    PAID = "paid", "Paid"
    VOID = "void", "Void"


class SumCheck(models.TextChoices):
    OK = "ok", "Lines equal the invoice total"
    MISMATCH = "mismatch", "Lines do not equal the invoice total"
    NO_TOTAL = "no_total", "No invoice total to compare with"


class LineKind(models.TextChoices):
    LICENSE = "license", "License-based"
    USAGE = "usage", "Usage-based"
    ONETIME = "onetime", "One-time / new commerce"


class ImportSource(models.TextChoices):
    FILE = "file", "Reconciliation file"
    API = "api", "Partner Center API"


class UpstreamInvoice(models.Model):
    invoice_id = models.CharField(max_length=64, unique=True, help_text="21Vianet invoice number.")
    invoice_date = models.DateField(null=True, blank=True)
    billing_period_start = models.DateField(null=True, blank=True, db_index=True)
    billing_period_end = models.DateField(null=True, blank=True)
    currency = models.CharField(max_length=3)
    total_charges = models.DecimalField(
        max_digits=20, decimal_places=2, null=True, blank=True, help_text="The invoice's own total."
    )
    tax_total = models.DecimalField(max_digits=20, decimal_places=2, null=True, blank=True)
    paid_amount = models.DecimalField(
        max_digits=20, decimal_places=2, default=0, help_text="As reported by Partner Center."
    )
    due_date = models.DateField(null=True, blank=True, db_index=True)
    status = models.CharField(
        max_length=8, choices=InvoiceStatus.choices, default=InvoiceStatus.OPEN
    )
    document_type = models.CharField(max_length=32, blank=True)
    invoice_type = models.CharField(max_length=32, blank=True)
    # What the stored lines add up to, in minor units (fen), maintained by the import.
    lines_count = models.IntegerField(default=0)
    lines_total_minor = models.BigIntegerField(default=0)
    lines_tax_minor = models.BigIntegerField(default=0)
    sum_check = models.CharField(max_length=10, choices=SumCheck.choices, default=SumCheck.NO_TOTAL)
    revision = models.IntegerField(default=0, help_text="Times its lines were replaced.")
    raw = models.JSONField(
        default=dict, blank=True, help_text="The invoice as Partner Center sent it."
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-invoice_date", "-id"]

    def __str__(self) -> str:
        return self.invoice_id


class ImportBatch(models.Model):
    """One import of one file or one API read: what came in and what it did."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        RUNNING = "running", "Importing"
        IMPORTED = "imported", "Imported"
        UNCHANGED = "unchanged", "Already imported, nothing changed"
        REJECTED = "rejected", "Rejected"
        FAILED = "failed", "Failed"

    source = models.CharField(max_length=8, choices=ImportSource.choices)
    file_name = models.CharField(max_length=255, blank=True)
    stored_path = models.CharField(max_length=500, blank=True)
    invoice_override = models.CharField(max_length=64, blank=True)
    invoice_total = models.DecimalField(max_digits=20, decimal_places=2, null=True, blank=True)
    invoice_date = models.DateField(null=True, blank=True)
    kind = models.CharField(max_length=8, choices=LineKind.choices, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    bytes_total = models.BigIntegerField(default=0)
    bytes_done = models.BigIntegerField(default=0)
    lines = models.IntegerField(default=0)
    columns = models.JSONField(default=list, blank=True, help_text="The header, as written.")
    source_fields = models.JSONField(
        default=list,
        blank=True,
        help_text="Per column, the line field whose value an empty `source` value stands for.",
    )
    source_defaults = models.JSONField(
        default=list,
        blank=True,
        help_text="Per column, the value a 0 in a line's `source` stands for (the first line's).",
    )
    summary = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)
    error_count = models.IntegerField(default=0)
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"import #{self.pk} {self.file_name}"


class UpstreamLineItem(models.Model):
    """One reconciliation line. Normalised columns for computing; `source` keeps every column."""

    # No database FK constraints and no B-tree index here, on purpose: on PostgreSQL the deferred
    # FK triggers and a B-tree doubled the time of a 1M-line COPY. Lines are written only by the
    # import service, inside the transaction that creates their invoice and batch; migration 0002
    # adds a BRIN index (PostgreSQL) or a B-tree (SQLite) on (invoice_id, batch_id).
    invoice = models.ForeignKey(
        UpstreamInvoice,
        on_delete=models.DO_NOTHING,
        related_name="lines",
        db_index=False,
        db_constraint=False,
    )
    batch = models.ForeignKey(
        ImportBatch, on_delete=models.DO_NOTHING, db_index=False, db_constraint=False
    )
    kind = models.CharField(max_length=8, choices=LineKind.choices)
    line_number = models.IntegerField(help_text="Row in the file (header = row 1).")
    customer_tenant_id = models.UUIDField(null=True, blank=True)
    customer_number = models.CharField(
        max_length=32,
        blank=True,
        help_text="The customer's number in the 21Vianet 2016 edition (no tenant id there).",
    )
    customer_name = models.CharField(max_length=255, blank=True)
    subscription_id = models.CharField(
        max_length=64, blank=True, help_text="Partner Center subscription id."
    )
    billing_subscription_id = models.CharField(max_length=64, blank=True)
    offer_id = models.CharField(max_length=128, blank=True)
    durable_offer_id = models.CharField(max_length=128, blank=True)
    offer_name = models.CharField(max_length=255, blank=True)
    charge_type = models.CharField(max_length=100, blank=True)
    charge_start = models.DateField(null=True, blank=True)
    charge_end = models.DateField(null=True, blank=True)
    unit_price = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    quantity = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    amount = models.DecimalField(max_digits=20, decimal_places=6)
    tax = models.DecimalField(max_digits=20, decimal_places=6)
    total = models.DecimalField(max_digits=20, decimal_places=6)
    currency = models.CharField(max_length=3)
    # Exact cents (half-up) for sums: SQLite sums NUMERIC as float.
    amount_minor = models.BigIntegerField()
    tax_minor = models.BigIntegerField()
    total_minor = models.BigIntegerField()
    source = models.TextField(
        help_text="Every column of the file, as a JSON array of the values as written; their "
        "names are the batch's `columns` (text, not jsonb: 1M lines load at COPY speed). A value "
        'its typed field gives back as written is kept once, there: `source` holds "" '
        "(see the batch's `source_fields`), and one equal to the batch's first line's, in a column "
        "not typed, is 0 (`source_defaults`); `source_columns` gives every value back."
    )

    def __str__(self) -> str:
        return f"{self.invoice_id}/{self.kind}/{self.line_number}"

    @property
    def source_columns(self) -> dict[str, str]:
        """Every column of the line as written in the file, by the header's names."""
        values = json.loads(self.source)
        for i, field in enumerate(self.batch.source_fields or []):
            if field and values[i] == "":
                values[i] = _as_written(self, field)
        for i, default in enumerate(self.batch.source_defaults or []):
            if values[i] == 0 and default is not None:  # never a value written: those are text
                values[i] = default
        return dict(zip(self.batch.columns, values, strict=True))


def _as_written(line: UpstreamLineItem, field: str) -> str:
    """A typed field's value as the file wrote it when `source` left it out."""
    field, _, places = field.partition(":")  # "amount:2": the decimal with 2 places
    value = getattr(line, field)
    if value is None:
        return ""
    if places:
        return f"{value:.{int(places)}f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)  # text as is; a UUID as its lower-case text with hyphens


class InvoiceContent(models.Model):
    """Fingerprint of an invoice's lines of one kind: the same content imports once."""

    invoice = models.ForeignKey(UpstreamInvoice, on_delete=models.CASCADE, related_name="contents")
    kind = models.CharField(max_length=8, choices=LineKind.choices)
    fingerprint = models.CharField(max_length=64)
    batch = models.ForeignKey(ImportBatch, on_delete=models.PROTECT)
    # What these lines add up to, kept here so an invoice's totals never rescan its lines.
    lines = models.IntegerField(default=0)
    total_minor = models.BigIntegerField(default=0)
    tax_minor = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["invoice", "kind"], name="upstream_content_unique")
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id}/{self.kind} {self.fingerprint[:12]}"


class UpstreamPayment(models.Model):
    """A payment the partner made to 21Vianet against one invoice."""

    invoice = models.ForeignKey(UpstreamInvoice, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(max_digits=20, decimal_places=2)
    currency = models.CharField(max_length=3)
    paid_on = models.DateField()
    reference = models.CharField(max_length=100, unique=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-paid_on", "-id"]

    def __str__(self) -> str:
        return f"{self.reference}: {self.amount} {self.currency}"


class UploadRun(TrackedRun):
    """The background import of an uploaded file: where the file is kept (the `uploads` storage,
    shared by every machine) and how far the worker got, in the database for every web server."""

    batch = models.OneToOneField(ImportBatch, on_delete=models.PROTECT, related_name="upload_run")
    stored_name = models.CharField(max_length=500, help_text="The file's name in the storage.")
    size = models.BigIntegerField(default=0)
    file_deleted_at = models.DateTimeField(
        null=True, blank=True, help_text="When the stored file was deleted (retention period)."
    )
    file_kept_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="The retention period the file was deleted after."
    )

    def __str__(self) -> str:
        return f"upload #{self.pk} ({self.status})"


class CustomerNumberMapping(models.Model):
    """A 21Vianet 2016 `CustomerNumber` and the customer it is: set by finance on the customer
    page. Lines are matched through it when read, so mapping a number later attributes the
    lines already imported."""

    customer_number = models.CharField(max_length=32, unique=True)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="customer_numbers"
    )
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["customer_number"]

    def __str__(self) -> str:
        return f"{self.customer_number} → {self.customer_id}"


class BillingSubscriptionMapping(models.Model):
    """A billing-platform subscription id (a file's `SubscriptionId`) and the Partner Center
    subscription id it stands for, learned from license-based lines (they carry both) when a
    usage file names the billing id."""

    billing_subscription_id = models.CharField(max_length=64, unique=True)
    subscription_id = models.CharField(max_length=64, help_text="Partner Center subscription id.")
    learned_from = models.ForeignKey(
        ImportBatch, on_delete=models.PROTECT, related_name="+", help_text="The license file."
    )
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.billing_subscription_id} → {self.subscription_id}"
