"""A billing run: a month's upstream lines become draft invoices, every line billed once or
listed as unbilled with its reason. Set-based: SQL groups and traces the lines; Python prices
the groups (one per invoice line, never one per upstream line), exactly, with Decimal."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import record_event
from cspbilling.core.bulk import insert_rows
from cspbilling.core.money import from_minor_units, to_minor_units
from cspbilling.core.runs import RunStatus
from cspbilling.core.services import entry_point, transaction_step
from cspbilling.customers.models import Customer
from cspbilling.invoicing import billing_sql
from cspbilling.invoicing.billing_sql import CUSTOMER, PeriodLines
from cspbilling.invoicing.models import (
    BilledUpstreamLine,
    BillingRun,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    PriceRule,
    PricingMethod,
    UnbilledReason,
)
from cspbilling.invoicing.price_rules import RuleBook, rule_book
from cspbilling.invoicing.pricing import LinePrice, price_by_percent, price_by_unit
from cspbilling.invoicing.services import billing_writes
from cspbilling.invoicing.services.corrections import correct_issued_invoices

MICRO = -6


class BillingRunError(ValueError):
    pass


def month_of(day: dt.date) -> tuple[dt.date, dt.date]:
    start = day.replace(day=1)
    return start, (start + dt.timedelta(days=32)).replace(day=1)


def _price(rule: PriceRule, amount: Decimal, quantity: Decimal, currency: str) -> LinePrice:
    rate = rule.tax_category.rate
    if rule.method == PricingMethod.PERCENT:
        return price_by_percent(
            upstream_amount=amount, percent=rule.percent, tax_rate=rate, currency=currency
        )
    return price_by_unit(
        quantity=quantity, unit_price=rule.unit_price, tax_rate=rate, currency=currency
    )


def _why_unbilled(rule: PriceRule | None, currency: str) -> str | None:
    if rule is None:
        return UnbilledReason.NO_PRICE_RULE
    if rule.method == PricingMethod.EXCLUDE:
        return UnbilledReason.EXCLUDED_OFFER
    if rule.method == PricingMethod.UNIT_PRICE and rule.currency != currency:
        return UnbilledReason.CURRENCY_MISMATCH
    return None


def _delete_drafts(start: dt.date, customer: Customer | None) -> int:
    """The period's drafts go (with their traces); issued invoices are never touched."""
    # Supplementary drafts stay: they correct an issued invoice and wait for review.
    drafts = Invoice.objects.filter(period=start, status=InvoiceStatus.DRAFT, corrects=None)
    if customer is not None:
        drafts = drafts.filter(customer=customer)
    count = drafts.count()
    if not count:
        return 0
    draft_ids = drafts.values("id")  # a subquery: any number of drafts
    BilledUpstreamLine.objects.filter(invoice_line__invoice_id__in=draft_ids).delete()
    # Raw deletes: the ORM would load every line to cascade, and nothing else refers to them.
    InvoiceLine.objects.filter(invoice_id__in=draft_ids)._raw_delete(connection.alias)
    Invoice.objects.filter(id__in=draft_ids)._raw_delete(connection.alias)
    return count


def _price_groups(groups: list[tuple], book: RuleBook, period: dt.date):
    """Invoice lines by (customer, currency), and the groups left unbilled with the reason."""
    invoices: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    unbilled: list[tuple] = []
    for row in groups:
        customer_id, currency, sub, offer, durable, charge_type, start, end = row[:8]
        offer_name, count, amount_micro, quantity_micro = row[8:]
        day = start if isinstance(start, dt.date) else dt.date.fromisoformat(start or str(period))
        rule = book.rule_for(customer_id, offer_id=offer, durable_offer_id=durable, on=day)
        reason = _why_unbilled(rule, currency)
        if reason is not None:
            unbilled.append(
                (customer_id, currency, sub, offer, durable, charge_type, start, end, reason)
            )
            continue
        amount = Decimal(int(amount_micro)).scaleb(MICRO)
        quantity = Decimal(int(quantity_micro)).scaleb(MICRO)
        price = _price(rule, amount, quantity, currency)
        invoices[(customer_id, currency)].append(
            {
                "subscription_id": sub,
                "offer_id": offer,
                "durable_offer_id": durable,
                "offer_name": offer_name or "",
                "charge_type": charge_type,
                "charge_start": start,
                "charge_end": end,
                "quantity": quantity,
                "upstream_lines": int(count),
                "upstream_amount_micro": int(amount_micro),
                "price_rule_id": rule.pk,
                "method": rule.method,
                "percent": rule.percent,
                "unit_price": rule.unit_price,
                "tax_rate": rule.tax_category.rate,
                "net_minor": to_minor_units(price.net, currency),
                "tax_minor": to_minor_units(price.tax, currency),
            }
        )
    return invoices, unbilled


def _write_invoices(invoices: dict, run: BillingRun) -> int:
    """Headers with their totals, then their lines: plain multi-row inserts (no RETURNING); the
    headers' ids are read back by (customer, currency), unique within a run."""
    headers = []
    for (customer_id, currency), lines in invoices.items():
        subtotal = sum(line["net_minor"] for line in lines)
        tax = sum(line["tax_minor"] for line in lines)
        headers.append(
            {
                "customer_id": customer_id,
                "period": run.period,
                "currency": currency,
                "billing_run_id": run.pk,
                "lines_count": len(lines),
                "subtotal_minor": subtotal,
                "tax_minor": tax,
                "total_minor": subtotal + tax,
                "upstream_cost_micro": sum(line["upstream_amount_micro"] for line in lines),
            }
        )
    insert_rows(Invoice, headers)
    ids = {
        (customer_id, currency): pk
        for pk, customer_id, currency in Invoice.objects.filter(billing_run=run).values_list(
            "id", "customer_id", "currency"
        )
    }
    insert_rows(
        InvoiceLine,
        [{**line, "invoice_id": ids[key]} for key, lines in invoices.items() for line in lines],
    )
    return len(headers)


def _summary(lines: PeriodLines, run: BillingRun) -> dict[str, Any]:
    total = billing_sql.count_lines(lines, "1 = 1")
    billed = BilledUpstreamLine.objects.filter(invoice_line__invoice__billing_run=run).count()
    reasons = {
        row["reason"]: row["lines"]
        for row in run.unbilled.values("reason").annotate(lines=Count("id")).order_by()
    }
    unbilled = sum(reasons.values())
    if billed + unbilled != total:
        raise BillingRunError(
            f"the run accounts for {billed} billed and {unbilled} unbilled of {total} lines"
        )
    invoices = (
        Invoice.objects.filter(billing_run=run)
        .values("currency")
        .annotate(
            count=Count("id"),
            lines=Sum("lines_count"),
            subtotal=Sum("subtotal_minor"),
            tax=Sum("tax_minor"),
            total=Sum("total_minor"),
        )
        .order_by("currency")
    )
    return {
        "upstream_lines": total,
        "billed_lines": billed,
        "unbilled_lines": unbilled,
        "unbilled_by_reason": dict(sorted(reasons.items())),
        "invoices": sum(row["count"] for row in invoices),
        "invoice_lines": sum(row["lines"] for row in invoices),
        "amounts": {
            row["currency"]: {
                key: str(from_minor_units(row[key], row["currency"]))
                for key in ("subtotal", "tax", "total")
            }
            for row in invoices
        },
    }


@transaction_step
def run_billing(
    *, period: dt.date, actor: str, customer: Customer | None = None, dry_run: bool = False
) -> BillingRun:
    """Bill one month (any day of it): the period's drafts are made again from the upstream
    lines not billed yet; issued invoices are never touched. A dry run reports the same summary
    and keeps nothing but the run's record."""
    start, end = month_of(period)
    now = timezone.now()
    run = BillingRun.objects.create(
        period=start,
        customer=customer,
        dry_run=dry_run,
        requested_by=actor,
        status=RunStatus.RUNNING,
        started_at=now,
        heartbeat_at=now,
    )
    lines = PeriodLines(start, end, customer.pk if customer else None)
    with transaction.atomic():  # a savepoint: a dry run rolls it back, keeping the run's row
        replaced = _delete_drafts(start, customer)
        if customer is None:
            unmapped = f"{CUSTOMER} IS NULL AND l.customer_number <> ''"
            billing_writes.record_unbilled(
                lines, run.pk, UnbilledReason.CUSTOMER_NUMBER_NOT_MAPPED, unmapped
            )
            unknown = f"{CUSTOMER} IS NULL AND l.customer_number = ''"
            billing_writes.record_unbilled(lines, run.pk, UnbilledReason.CUSTOMER_UNKNOWN, unknown)
        corrections = correct_issued_invoices(lines, run, actor)
        billed_before = f"{CUSTOMER} IS NOT NULL AND b.id IS NOT NULL"
        billing_writes.record_unbilled(lines, run.pk, UnbilledReason.ALREADY_BILLED, billed_before)
        groups = billing_sql.unbilled_groups(lines)
        invoices, unbilled_groups = _price_groups(groups, rule_book(), start)
        _write_invoices(invoices, run)
        billing_writes.trace_billed_lines(lines, run.pk)
        billing_writes.record_unbilled_groups(lines, run.pk, unbilled_groups)
        summary = {**_summary(lines, run), "drafts_replaced": replaced, "corrections": corrections}
        if dry_run:
            transaction.set_rollback(True)
    BillingRun.objects.filter(pk=run.pk).update(
        status=RunStatus.SUCCEEDED, finished_at=timezone.now(), summary=summary
    )
    run.refresh_from_db()
    if not dry_run:
        record_event(
            actor=actor,
            action=AuditAction.BILLING_RUN_COMPLETED,
            object_type="billing_run",
            object_id=run.pk,
            after={"period": start.isoformat(), **summary},
        )
    return run


do_run_billing = entry_point(run_billing)
