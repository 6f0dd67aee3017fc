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

    At most one open hold per source (`source`, `source_ref`) and invoice: a dispute spanning
    several invoices holds its part of each; placing again changes that invoice's amount.
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
                fields=["source", "source_ref", "invoice"],
                condition=models.Q(released_at__isnull=True),
                name="dispute_hold_one_open_per_source_invoice",
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


# Policies (issue 16): a policy is data, versioned; a published version never changes.

LANGUAGES = ("zh-hans", "en", "fr")


class PolicyVersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class DayKind(models.TextChoices):
    CALENDAR = "calendar", "Calendar days"
    BUSINESS = "business", "Business days (China calendar)"


class SuspendMode(models.TextChoices):
    NONE = "", "No suspension"
    AUTO = "auto", "Suspend automatically"
    APPROVAL = "approval", "Suspend after staff approval"


class Policy(models.Model):
    name = models.CharField(max_length=100, unique=True)
    is_default = models.BooleanField(
        default=False, help_text="Customers who acknowledged no version are collected under it."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="collections_one_default_policy",
            )
        ]

    def __str__(self) -> str:
        return self.name


class PolicyVersion(models.Model):
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(
        max_length=10, choices=PolicyVersionStatus.choices, default=PolicyVersionStatus.DRAFT
    )
    min_notice_days = models.PositiveIntegerField(
        default=7, help_text="Days a delivered notice must precede any suspension."
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.CharField(max_length=150)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["policy_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="policy_version_number")
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """How notices, suspensions and the invoice quote it: 'Standard v2'."""
        return f"{self.policy.name} v{self.number}"

    @property
    def is_published(self) -> bool:
        return self.status == PolicyVersionStatus.PUBLISHED


class Stage(models.Model):
    """A step of a version: reached `offset_days` after the oldest overdue invoice's due day."""

    version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="stages")
    position = models.PositiveIntegerField()
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=100)
    # The name in each language the customer reads ({"zh-hans": …, "en": …, "fr": …}); empty
    # when the policy gave one name for all.
    names = models.JSONField(default=dict, blank=True)
    offset_days = models.IntegerField()
    day_kind = models.CharField(max_length=10, choices=DayKind.choices, default=DayKind.CALENDAR)
    min_overdue_minor = models.BigIntegerField(
        default=0, help_text="Reached only when at least this much is overdue (minor units)."
    )
    notify = models.BooleanField(default=False)
    restrict = models.BooleanField(default=False)
    suspend = models.CharField(
        max_length=10, choices=SuspendMode.choices, default=SuspendMode.NONE, blank=True
    )
    escalate = models.BooleanField(default=False)
    # {"zh-hans": {"subject": …, "body": …}, "en": …, "fr": …}; placeholders in str.format style.
    templates = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["version_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "position"], name="stage_position"),
            models.UniqueConstraint(fields=["version", "code"], name="stage_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} (+{self.offset_days} {self.day_kind})"

    def name_in(self, language: str) -> str:
        """The stage's name as a customer reading `language` sees it."""
        return self.names.get(language.lower()) or self.name

    @property
    def action_kinds(self) -> list[str]:
        kinds = []
        if self.notify:
            kinds.append(ActionKind.NOTIFY)
        if self.restrict:
            kinds.append(ActionKind.RESTRICT)
        if self.suspend:
            kinds.append(ActionKind.SUSPEND)
        if self.escalate:
            kinds.append(ActionKind.ESCALATE)
        return kinds


class AcknowledgementMethod(models.TextChoices):
    PORTAL = "portal", "Portal click"
    SIGNED_COPY = "signed_copy", "Signed copy recorded by staff"


class Acknowledgement(models.Model):
    """A customer agreed to a version; it is collected under its latest acknowledgement."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="policy_acknowledgements"
    )
    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="+")
    method = models.CharField(max_length=12, choices=AcknowledgementMethod.choices)
    acknowledged_by = models.CharField(max_length=150)
    acknowledged_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.CharField(max_length=150)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-acknowledged_at", "-id"]
        indexes = [models.Index(fields=["customer", "-acknowledged_at"], name="ack_customer")]

    def __str__(self) -> str:
        return f"{self.customer_id} acknowledged {self.version_id} ({self.method})"


# Dunning: episodes and the actions taken in them.


class Episode(models.Model):
    """One stretch of a customer being overdue: from the run that found it to the day it was not."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="collections_episodes"
    )
    opened_on = models.DateField()
    closed_on = models.DateField(null=True, blank=True)
    close_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-opened_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=models.Q(closed_on__isnull=True),
                name="collections_one_open_episode",
            )
        ]

    def __str__(self) -> str:
        return f"episode of customer {self.customer_id} from {self.opened_on}"

    @property
    def is_open(self) -> bool:
        return self.closed_on is None


class ActionKind(models.TextChoices):
    NOTIFY = "notify", "Notice"
    RESTRICT = "restrict", "Restriction of new orders"
    SUSPEND = "suspend", "Suspension"
    ESCALATE = "escalate", "Task for a person"


class ActionStatus(models.TextChoices):
    DONE = "done", "Done"
    HELD = "held", "Held"  # tried again by the next run; `reason` says why
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
    REJECTED = "rejected", "Rejected by staff"
    SKIPPED = "skipped", "Skipped"
    OPEN = "open", "Open task"  # an escalation a person has not closed yet


# Statuses that end the anti-join: the action is not decided again in this episode.
SETTLED_STATUSES = (
    ActionStatus.DONE,
    ActionStatus.AWAITING_APPROVAL,
    ActionStatus.REJECTED,
    ActionStatus.SKIPPED,
    ActionStatus.OPEN,
)


class Action(models.Model):
    """A stage's action for one customer in one episode: exactly once (the unique key), with why."""

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="collections_actions",
        db_index=False,  # the action key's unique index starts with the customer: one fewer
    )  # index to write per action (a catch-up writes hundreds of thousands)
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="actions")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=ActionKind.choices)
    status = models.CharField(max_length=20, choices=ActionStatus.choices)
    reason = models.CharField(max_length=500, blank=True, help_text="Why held, skipped, …")
    # Why: the version, the invoices and the overdue amount that caused it.
    policy_version = models.CharField(max_length=120)
    invoice_refs = models.JSONField(default=list)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    oldest_due_on = models.DateField()
    acknowledged = models.BooleanField(default=True)
    as_of = models.DateField()
    message = models.ForeignKey(
        "notifications.OutboundMessage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    suspension_ids = models.JSONField(default=list, blank=True)
    # A suspension held for proof of notice: the day it is possible from at the earliest, and
    # the notice's outbox message it waits on (while that is undelivered, or before that day
    # when it waits on nothing, the daily run does not decide it again).
    possible_from = models.DateField(null=True, blank=True)
    waiting_for = models.ForeignKey(
        "notifications.OutboundMessage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "episode", "stage", "kind"], name="collections_action_key"
            )
        ]
        indexes = [models.Index(fields=["status", "kind"], name="collections_action_status")]

    def __str__(self) -> str:
        return f"{self.kind} {self.stage.code} for customer {self.customer_id} ({self.status})"

    @property
    def amount(self) -> Decimal:
        return from_minor_units(self.amount_minor, self.currency)


class PromiseToPay(models.Model):
    """Pauses the customer's stages until `promised_on`; the day after, unpaid, it is broken."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="payment_promises"
    )
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    promised_on = models.DateField()
    note = models.CharField(max_length=500, blank=True)
    recorded_by = models.CharField(max_length=150)
    recorded_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-promised_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_minor__gt=0), name="promise_positive")
        ]

    def __str__(self) -> str:
        return f"promise of customer {self.customer_id} by {self.promised_on}"

    @property
    def amount(self) -> Decimal:
        return from_minor_units(self.amount_minor, self.currency)


class Exemption(models.Model):
    """No collections actions for the customer until `expires_on` (inclusive)."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="collections_exemptions"
    )
    reason = models.CharField(max_length=500)
    expires_on = models.DateField()
    granted_by = models.CharField(max_length=150)
    granted_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-expires_on", "-id"]

    def __str__(self) -> str:
        return f"exemption of customer {self.customer_id} until {self.expires_on}"


class PauseSwitch(models.Model):
    """One row: while paused, no run suspends anyone (notices go on); staff see who and why."""

    paused = models.BooleanField(default=False)
    reason = models.CharField(max_length=500, blank=True)
    changed_by = models.CharField(max_length=150, blank=True)
    changed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return "paused" if self.paused else "running"


class CollectionsRun(models.Model):
    """What a daily run (or a dry run) decided: its summary, for the console and the JSON."""

    as_of = models.DateField()
    dry_run = models.BooleanField(default=False)
    started_by = models.CharField(max_length=150)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    breaker_tripped = models.BooleanField(default=False)
    summary = models.JSONField(default=dict)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"collections run of {self.as_of}"
