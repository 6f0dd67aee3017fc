"""The read side of upstream: sums, unknown references, payables and aging."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import asdict, dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef, Sum
from django.db.models.functions import Coalesce

from cspbilling.core.money import from_minor_units
from cspbilling.customers.models import Customer
from cspbilling.subscriptions.models import Subscription
from cspbilling.upstream.models import (
    ImportBatch,
    InvoiceStatus,
    UploadRun,
    UpstreamInvoice,
    UpstreamLineItem,
    UpstreamPayment,
)

CHUNK = 900  # SQLite allows 999 parameters per statement on old builds
AGING_BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")


def unknown_references(*, invoice_id: str, limit: int = 20) -> dict:
    """Customers and subscriptions named by an invoice's lines that we do not know locally."""
    lines = UpstreamLineItem.objects.filter(invoice__invoice_id=invoice_id)
    customers = (
        lines.filter(customer_tenant_id__isnull=False)
        .exclude(Exists(Customer.objects.filter(tenant_id=OuterRef("customer_tenant_id"))))
        .values_list("customer_tenant_id", flat=True)
        .distinct()
        .order_by("customer_tenant_id")
    )
    subscriptions = (
        lines.exclude(subscription_id="")
        .exclude(Exists(Subscription.objects.filter(subscription_id=OuterRef("subscription_id"))))
        .values_list("subscription_id", flat=True)
        .distinct()
        .order_by("subscription_id")
    )
    unknown_customers = [str(c) for c in customers]
    unknown_subscriptions = list(subscriptions)
    return {
        "unknown_customers": unknown_customers[:limit],
        "unknown_customers_count": len(unknown_customers),
        "unknown_subscriptions": unknown_subscriptions[:limit],
        "unknown_subscriptions_count": len(unknown_subscriptions),
    }


def unknown_among(*, tenant_ids: set[str], subscription_ids: set[str], limit: int = 20) -> dict:
    """Which of these ids (tenant ids as 32 hex digits) are not known locally: IN-list queries
    against the unique indexes, a few thousand ids at a time."""
    tenants = sorted(t for t in tenant_ids if t)
    subs = sorted(s for s in subscription_ids if s)
    known_tenants: set[str] = set()
    known_subs: set[str] = set()
    # More ids than the mirror holds: reading the mirror's ids is cheaper than asking for each.
    if len(tenants) > Customer.objects.count():
        known_tenants = {u.hex for u in Customer.objects.values_list("tenant_id", flat=True)}
        tenants_to_ask: list[str] = []
    else:
        tenants_to_ask = tenants
    if len(subs) > Subscription.objects.count():
        known_subs = set(Subscription.objects.values_list("subscription_id", flat=True))
        subs_to_ask: list[str] = []
    else:
        subs_to_ask = subs
    for start in range(0, len(tenants_to_ask), CHUNK):
        chunk = [uuid.UUID(hex=t) for t in tenants_to_ask[start : start + CHUNK]]
        known_tenants.update(
            u.hex
            for u in Customer.objects.filter(tenant_id__in=chunk).values_list(
                "tenant_id", flat=True
            )
        )
    for start in range(0, len(subs_to_ask), CHUNK):
        known_subs.update(
            Subscription.objects.filter(
                subscription_id__in=subs_to_ask[start : start + CHUNK]
            ).values_list("subscription_id", flat=True)
        )
    unknown_tenants = [str(uuid.UUID(hex=t)) for t in tenants if t not in known_tenants]
    unknown_subs = [s for s in subs if s not in known_subs]
    return {
        "unknown_customers": unknown_tenants[:limit],
        "unknown_customers_count": len(unknown_tenants),
        "unknown_subscriptions": unknown_subs[:limit],
        "unknown_subscriptions_count": len(unknown_subs),
    }


def invoice_list():
    return UpstreamInvoice.objects.annotate(
        paid=Coalesce(Sum("payments__amount"), Decimal("0"))
    ).order_by("-invoice_date", "-id")


RUNNING_IMPORT = (ImportBatch.Status.PENDING, ImportBatch.Status.RUNNING)


def import_progress(batch: ImportBatch) -> dict:
    """How far an import got, from its run's row (any machine's worker writes it): bytes read of
    the file, the percent, and whether it is still going (its run's error if it failed)."""
    run = UploadRun.objects.filter(batch=batch).first()
    running = batch.status in RUNNING_IMPORT
    if not running:
        done = batch.bytes_total
    elif run is not None and run.phase == "importing":
        done = min(run.progress_done, batch.bytes_total)
    else:
        done = 0
    return {
        "bytes_done": done,
        "bytes_total": batch.bytes_total,
        "percent": int(100 * done / batch.bytes_total) if batch.bytes_total else 0,
        "running": running,
        "phase": run.phase if run else "",
        "error": run.error if run else "",
        "file_deleted_at": run.file_deleted_at if run else None,
        "file_kept_days": run.file_kept_days if run else None,
    }


def has_abandoned_uploads(*, silent_for: dt.timedelta, now: dt.datetime) -> bool:
    """Whether a running upload import showed no sign of life for `silent_for` (read only)."""
    return UploadRun.objects.filter(status="running", heartbeat_at__lt=now - silent_for).exists()


def uploads_past_retention(*, uploaded_before: dt.datetime):
    """The upload runs of finished imports (imported, unchanged, rejected or failed) uploaded
    before `uploaded_before` whose stored file is not yet deleted, oldest first."""
    return (
        UploadRun.objects.filter(requested_at__lt=uploaded_before, file_deleted_at__isnull=True)
        .exclude(batch__status__in=RUNNING_IMPORT)
        .order_by("pk")
    )


def recent_batches(limit: int = 20):
    return ImportBatch.objects.order_by("-id")[:limit]


def paid_total(invoice: UpstreamInvoice) -> Decimal:
    paid = invoice.payments.aggregate(s=Sum("amount"))["s"] or Decimal("0")
    return Decimal(paid).quantize(Decimal("0.01"))


def invoice_amount(invoice: UpstreamInvoice) -> Decimal:
    """What 21Vianet bills: the invoice's own total, else the sum of its lines."""
    if invoice.total_charges is not None:
        return Decimal(invoice.total_charges).quantize(Decimal("0.01"))
    return from_minor_units(invoice.lines_total_minor, invoice.currency)


def open_balance(invoice: UpstreamInvoice) -> Decimal:
    return invoice_amount(invoice) - paid_total(invoice)


def days_to_due(invoice: UpstreamInvoice, today: dt.date) -> int | None:
    """Days until an open invoice is due (negative: overdue); None when paid, void or undated."""
    if invoice.status != InvoiceStatus.OPEN or invoice.due_date is None:
        return None
    return (invoice.due_date - today).days


@dataclass(frozen=True)
class InvoiceFacts:
    """What the console and the API show of an invoice, computed once, here."""

    amount: Decimal
    paid: Decimal
    balance: Decimal
    lines_total: Decimal
    lines_tax: Decimal
    tax: Decimal
    difference: Decimal
    days_to_due: int | None

    def as_dict(self) -> dict:
        return asdict(self)


def invoice_facts(invoice: UpstreamInvoice, *, today: dt.date) -> InvoiceFacts:
    """Amount, paid, open balance, lines total and tax, and days to due. Uses the `paid`
    annotation of `invoice_list()` when the invoice has it (no query per row)."""
    amount = invoice_amount(invoice)
    annotated = getattr(invoice, "paid", None)
    paid = (
        paid_total(invoice) if annotated is None else Decimal(annotated).quantize(Decimal("0.01"))
    )
    lines_total = from_minor_units(invoice.lines_total_minor, invoice.currency)
    lines_tax = from_minor_units(invoice.lines_tax_minor, invoice.currency)
    return InvoiceFacts(
        amount=amount,
        paid=paid,
        balance=amount - paid,
        lines_total=lines_total,
        lines_tax=lines_tax,
        tax=invoice.tax_total if invoice.tax_total is not None else lines_tax,
        difference=amount - lines_total,
        days_to_due=days_to_due(invoice, today),
    )


def aging_bucket(due_date: dt.date | None, today: dt.date) -> str:
    if due_date is None or due_date >= today:
        return "current"
    days = (today - due_date).days
    if days <= 30:
        return "1-30"
    if days <= 60:
        return "31-60"
    if days <= 90:
        return "61-90"
    return "90+"


def payables(*, today: dt.date) -> list[dict]:
    """Open upstream invoices with their balance, due date, days to due and aging bucket."""
    rows = []
    invoices = UpstreamInvoice.objects.filter(status=InvoiceStatus.OPEN).order_by(
        "due_date", "invoice_id"
    )
    paid = dict(
        UpstreamPayment.objects.filter(invoice__in=invoices)
        .values("invoice_id")
        .annotate(s=Sum("amount"))
        .values_list("invoice_id", "s")
    )
    for invoice in invoices:
        balance = invoice_amount(invoice) - Decimal(paid.get(invoice.pk) or 0).quantize(
            Decimal("0.01")
        )
        if balance <= 0:
            continue
        rows.append(
            {
                "invoice": invoice,
                "amount": invoice_amount(invoice),
                "balance": balance,
                "currency": invoice.currency,
                "due_date": invoice.due_date,
                "days_to_due": (invoice.due_date - today).days if invoice.due_date else None,
                "bucket": aging_bucket(invoice.due_date, today),
            }
        )
    return rows


def aging(*, today: dt.date) -> dict[str, dict[str, Decimal]]:
    """Open balance per currency per aging bucket."""
    result: dict[str, dict[str, Decimal]] = {}
    for row in payables(today=today):
        per = result.setdefault(row["currency"], {b: Decimal("0.00") for b in AGING_BUCKETS})
        per[row["bucket"]] += row["balance"]
    return result


def due_within(*, today: dt.date, days: int) -> list[dict]:
    end = today + dt.timedelta(days=days)
    return [r for r in payables(today=today) if r["due_date"] and today <= r["due_date"] <= end]


def payables_warnings(*, today: dt.date, within_days: int = 7) -> list[dict]:
    """For the dashboard: open invoices due within `within_days` days, or already overdue."""
    warnings = []
    for row in payables(today=today):
        if row["due_date"] is None:
            continue
        if row["days_to_due"] < 0:
            level, text = "danger", f"overdue by {-row['days_to_due']} day(s)"
        elif row["days_to_due"] <= within_days:
            level, text = "warning", f"due in {row['days_to_due']} day(s)"
        else:
            continue
        warnings.append(
            {
                "invoice_id": row["invoice"].invoice_id,
                "due_date": row["due_date"],
                "balance": row["balance"],
                "currency": row["currency"],
                "level": level,
                "message": f"21Vianet invoice {row['invoice'].invoice_id}: "
                f"{row['balance']} {row['currency']} {text}",
            }
        )
    return warnings


def invoice_lines(invoice: UpstreamInvoice):
    return UpstreamLineItem.objects.filter(invoice=invoice).order_by("kind", "line_number")
