"""What our customers pay: tax categories and price rules; the invoices, credit notes and fapiao
requests made from them."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils import timezone

from cspbilling.core.money import from_minor_units
from cspbilling.core.runs import TrackedRun


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
    EXCLUDE = "exclude", "Not billed (excluded offer)"


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


class BillingRun(TrackedRun):
    """One billing run over a month's upstream lines: drafts made, and what was left unbilled."""

    period = models.DateField(help_text="The first day of the billed month.")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, null=True, blank=True
    )
    dry_run = models.BooleanField(default=False)
    summary = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"billing run #{self.pk} {self.period:%Y-%m}"


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ISSUED = "issued", "Issued"
    DISCARDED = "discarded", "Discarded"  # a supplementary draft finance chose not to bill


class Invoice(models.Model):
    """Our invoice to one customer for one month, in one currency. Amounts are integer minor
    units (fen): exact on both databases; `core.money.from_minor_units` reads them."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT)
    period = models.DateField(help_text="The first day of the billed month.")
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT
    )
    number = models.CharField(max_length=32, null=True, blank=True, unique=True)
    billing_run = models.ForeignKey(BillingRun, on_delete=models.PROTECT, related_name="invoices")
    lines_count = models.IntegerField(default=0)
    subtotal_minor = models.BigIntegerField(default=0)
    tax_minor = models.BigIntegerField(default=0)
    total_minor = models.BigIntegerField(default=0)
    upstream_cost_micro = models.BigIntegerField(
        default=0, help_text="What 21Vianet billed for these lines, in millionths (exact)."
    )
    issued_on = models.DateField(null=True, blank=True)
    due_on = models.DateField(null=True, blank=True)
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supplements",
        help_text="A supplementary invoice: what 21Vianet's corrected invoice adds to this one.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-period", "customer_id", "id"]
        indexes = [models.Index(fields=["period", "status"], name="invoice_period_status")]

    def __str__(self) -> str:
        return self.number or f"draft #{self.pk}"

    @property
    def subtotal(self) -> Decimal:
        return from_minor_units(self.subtotal_minor, self.currency)

    @property
    def tax(self) -> Decimal:
        return from_minor_units(self.tax_minor, self.currency)

    @property
    def total(self) -> Decimal:
        return from_minor_units(self.total_minor, self.currency)


class InvoiceLine(models.Model):
    """Upstream lines of one subscription, offer, charge type and charge period, priced by one
    rule (whose terms are copied here: a later change of the rule changes no invoice)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    subscription_id = models.CharField(max_length=64, blank=True)
    offer_id = models.CharField(max_length=128, blank=True)
    durable_offer_id = models.CharField(max_length=128, blank=True)
    offer_name = models.CharField(max_length=255, blank=True)
    charge_type = models.CharField(max_length=100, blank=True)
    charge_start = models.DateField(null=True, blank=True)
    charge_end = models.DateField(null=True, blank=True)
    quantity = models.DecimalField(max_digits=20, decimal_places=6)
    upstream_lines = models.IntegerField()
    upstream_amount_micro = models.BigIntegerField(help_text="Millionths: exact.")
    price_rule = models.ForeignKey(PriceRule, on_delete=models.PROTECT)
    method = models.CharField(max_length=12, choices=PricingMethod.choices)
    percent = models.DecimalField(max_digits=7, decimal_places=3, null=True, blank=True)
    unit_price = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    tax_rate = models.DecimalField(max_digits=6, decimal_places=4)
    net_minor = models.BigIntegerField()
    tax_minor = models.BigIntegerField()
    period_fraction = models.DecimalField(
        max_digits=12,
        decimal_places=6,
        null=True,
        blank=True,
        help_text="A fixed-price line: the share of a full period its upstream lines carry "
        "(their amount ÷ Σ their unit price × quantity; 10 of 31 days: 0.322581), which its "
        "price is for. Empty when there is none to read (no upstream unit price, nothing billed).",
    )
    corrects_line = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supplements",
        help_text="On a supplementary invoice: the issued line whose upstream lines it bills more.",
    )

    class Meta:
        ordering = ["invoice_id", "id"]

    def __str__(self) -> str:
        return f"{self.invoice_id}: {self.offer_name or self.offer_id}"

    @property
    def tax_percent(self) -> str:
        return f"{(self.tax_rate * 100).normalize():f}"

    @property
    def period_percent(self) -> str | None:
        """The share of a full period billed, in percent to 2 places ("32.26"), when it is not
        the whole period."""
        if self.period_fraction is None or self.period_fraction == 1:
            return None
        return f"{(self.period_fraction * 100).quantize(Decimal('0.01'), ROUND_HALF_UP):f}"

    @property
    def upstream_amount(self) -> Decimal:
        return Decimal(self.upstream_amount_micro).scaleb(-6)

    @property
    def net(self) -> Decimal:
        return from_minor_units(self.net_minor, self.invoice.currency)

    @property
    def tax(self) -> Decimal:
        return from_minor_units(self.tax_minor, self.invoice.currency)


class BilledUpstreamLine(models.Model):
    """Which invoice line bills an upstream line: the trace both ways. An upstream line is
    billed at most once (unique), whatever the runs."""

    upstream_line_id = models.BigIntegerField(unique=True)
    invoice_line = models.ForeignKey(
        InvoiceLine, on_delete=models.CASCADE, related_name="billed_upstream_lines"
    )

    def __str__(self) -> str:
        return f"{self.upstream_line_id} → {self.invoice_line_id}"


class UnbilledReason(models.TextChoices):
    CUSTOMER_UNKNOWN = "customer_unknown", "Customer unknown"
    CUSTOMER_NUMBER_NOT_MAPPED = "customer_number_not_mapped", "Customer number not mapped"
    NO_PRICE_RULE = "no_price_rule", "No price rule"
    EXCLUDED_OFFER = "excluded_offer", "Excluded offer"
    CURRENCY_MISMATCH = "currency_mismatch", "Fixed price in another currency"
    ALREADY_BILLED = "already_billed", "Already billed"
    SETTLED_OUTSIDE_BILLING = "settled_outside_billing", "Settled outside billing"
    HELD_FOR_DECISION = "held_for_decision", "Held for a decision"


class UnbilledUpstreamLine(models.Model):
    """An upstream line a run did not bill, and why (as of that run)."""

    billing_run = models.ForeignKey(BillingRun, on_delete=models.CASCADE, related_name="unbilled")
    upstream_line_id = models.BigIntegerField()
    reason = models.CharField(max_length=32, choices=UnbilledReason.choices)

    class Meta:
        indexes = [models.Index(fields=["billing_run", "reason"], name="unbilled_run_reason")]

    def __str__(self) -> str:
        return f"{self.upstream_line_id}: {self.reason}"


class NumberSeries(models.Model):
    """The last number given in one series and year (INV 2026: 41 → the next is INV-2026-000042).
    Locked while a number is taken, so numbers are unique and gap-free: an issue that fails
    rolls its number back with it."""

    series = models.CharField(max_length=8)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["series", "year"], name="number_series_unique")
        ]

    def __str__(self) -> str:
        return f"{self.series} {self.year}: {self.last_number}"


class CreditNoteStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ISSUED = "issued", "Issued"
    DISCARDED = "discarded", "Discarded"


class CreditNoteOrigin(models.TextChoices):
    MANUAL = "manual", "Made by staff"
    UPSTREAM_CORRECTION = "upstream_correction", "21Vianet corrected its invoice"


class CreditNote(models.Model):
    """Money given back on one issued invoice, whole or per line, with the reason. Numbered in
    its own series when issued (CN-2026-000001); issued credit notes never change. Amounts are
    positive minor units: what the customer is credited."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT)
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=10, choices=CreditNoteStatus.choices, default=CreditNoteStatus.DRAFT
    )
    number = models.CharField(max_length=32, null=True, blank=True, unique=True)
    origin = models.CharField(
        max_length=20, choices=CreditNoteOrigin.choices, default=CreditNoteOrigin.MANUAL
    )
    reason = models.TextField(max_length=1000)
    billing_run = models.ForeignKey(
        BillingRun, on_delete=models.PROTECT, null=True, blank=True, related_name="credit_notes"
    )
    subtotal_minor = models.BigIntegerField(default=0)
    tax_minor = models.BigIntegerField(default=0)
    total_minor = models.BigIntegerField(default=0)
    issued_on = models.DateField(null=True, blank=True)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number or f"draft credit note #{self.pk}"

    @property
    def subtotal(self) -> Decimal:
        return from_minor_units(self.subtotal_minor, self.currency)

    @property
    def tax(self) -> Decimal:
        return from_minor_units(self.tax_minor, self.currency)

    @property
    def total(self) -> Decimal:
        return from_minor_units(self.total_minor, self.currency)


class CreditNoteLine(models.Model):
    """What one credit note gives back on one invoice line (the same sign as the line)."""

    credit_note = models.ForeignKey(CreditNote, on_delete=models.CASCADE, related_name="lines")
    invoice_line = models.ForeignKey(
        InvoiceLine, on_delete=models.PROTECT, related_name="credit_lines"
    )
    net_minor = models.BigIntegerField()
    tax_minor = models.BigIntegerField()

    class Meta:
        ordering = ["credit_note_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["credit_note", "invoice_line"], name="credit_note_line_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.credit_note_id}: line {self.invoice_line_id}"


class UpstreamLineRecord(models.Model):
    """An upstream line billing treats apart, found again when 21Vianet re-issues its invoice
    (its lines get new ids: `services/line_keys.py`). Once per line."""

    upstream_line_id = models.BigIntegerField(unique=True)
    upstream_invoice = models.ForeignKey(
        "upstream.UpstreamInvoice", on_delete=models.PROTECT, related_name="+"
    )
    line_key = models.JSONField(
        default=dict, help_text="Customer, subscription, offer, charge type and period, amount."
    )

    class Meta:
        abstract = True


class SettledUpstreamLine(UpstreamLineRecord):
    """An upstream line whose money reached the customer outside billing (say, 21Vianet's credit
    for an upheld escalation, given by the escalation's credit note): no billing run bills it;
    each lists it as unbilled, "settled outside billing", and staff read `reason`. Once per line
    (unique); only re-pointed, audited, when a re-issue replaced the line (`services/
    settlements.py` writes it)."""

    reason = models.CharField(
        max_length=300, help_text="How the customer got it, e.g. credited by credit note CN-…"
    )
    reference = models.CharField(
        max_length=64, help_text="The record that settled it, e.g. an escalation's reference."
    )
    credit_note = models.ForeignKey(
        CreditNote,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="settled_upstream_lines",
    )
    settled_by = models.CharField(max_length=150)
    settled_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-settled_at", "-id"]

    def __str__(self) -> str:
        return f"{self.upstream_line_id}: {self.reason}"


class HeldUpstreamLine(UpstreamLineRecord):
    """An upstream line held out of billing while someone decides how it reaches the customer
    (say, a credit that may be 21Vianet's for an upheld escalation: finance checks it). No
    billing run bills it; each lists it as unbilled, "held for a decision", and staff read
    `reason`. Once per line (unique); released (deleted, audited) when the decision sends it to
    ordinary billing, replaced by a `SettledUpstreamLine` when it is settled; re-pointed,
    audited, when a re-issue replaced the line (`services/holds.py` writes it)."""

    reason = models.CharField(
        max_length=300, help_text="Who decides what, e.g. waiting for finance: possibly …"
    )
    reference = models.CharField(
        max_length=64, help_text="The record that holds it, e.g. an escalation's reference."
    )
    held_by = models.CharField(max_length=150)
    held_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-held_at", "-id"]

    def __str__(self) -> str:
        return f"{self.upstream_line_id}: {self.reason}"


class FapiaoKind(models.TextChoices):
    GENERAL = "general", "General VAT fapiao (普通发票)"
    SPECIAL = "special", "Special VAT fapiao (专用发票)"


class FapiaoStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    ISSUED = "issued", "Issued"
    RED_LETTERED = "red_lettered", "Red-lettered"


class Fapiao(models.Model):
    """The legal VAT invoice for one of our invoices, issued in the tax authority's system (not
    by us): we record the request, then its number and date. A red-letter fapiao (`red_letter_of`
    set, negative amounts) reverses an issued one for a credit note; once the red-letter ones
    cover it whole, the original is red-lettered."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="fapiaos")
    kind = models.CharField(max_length=8, choices=FapiaoKind.choices)
    status = models.CharField(
        max_length=12, choices=FapiaoStatus.choices, default=FapiaoStatus.REQUESTED
    )
    red_letter_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="red_letters"
    )
    credit_note = models.ForeignKey(
        CreditNote, on_delete=models.PROTECT, null=True, blank=True, related_name="fapiaos"
    )
    number = models.CharField(max_length=20, null=True, blank=True, unique=True)
    issued_on = models.DateField(null=True, blank=True)
    # Set when issued (what the tax system printed); a request's amounts are computed.
    net_minor = models.BigIntegerField(null=True, blank=True)
    tax_minor = models.BigIntegerField(null=True, blank=True)
    buyer = models.JSONField(default=dict, help_text="The buyer's tax details when requested.")
    requested_by = models.CharField(max_length=150)
    requested_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice"],
                condition=models.Q(red_letter_of__isnull=True),
                name="fapiao_one_per_invoice",
            ),
            models.UniqueConstraint(
                fields=["credit_note"],
                condition=models.Q(credit_note__isnull=False),
                name="fapiao_one_red_letter_per_credit_note",
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"fapiao request #{self.pk}"

    @property
    def is_red_letter(self) -> bool:
        return self.red_letter_of_id is not None
