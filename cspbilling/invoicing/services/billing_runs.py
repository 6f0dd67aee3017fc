"""A billing run: a month's upstream lines become draft invoices, every line billed once or
listed as unbilled with its reason. Set-based: SQL groups and traces the lines; Python prices
the groups (one per invoice line, never one per upstream line), exactly, with Decimal."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import record_event
from cspbilling.core.bulk import insert_rows
from cspbilling.core.money import from_minor_units, to_minor_units
from cspbilling.core.runs import RunStatus
from cspbilling.core.services import entry_point, transaction_step
from cspbilling.customers.models import Customer
from cspbilling.invoicing import billing_sql
from cspbilling.invoicing.billing_sql import PeriodLines
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
    drafts = Invoice.objects.filter(period=start, status=InvoiceStatus.DRAFT)
    if customer is not None:
        drafts = drafts.filter(customer=customer)
    draft_ids = list(drafts.values_list("id", flat=True))
    if not draft_ids:
        return 0
    BilledUpstreamLine.objects.filter(invoice_line__invoice_id__in=draft_ids).delete()
    InvoiceLine.objects.filter(invoice_id__in=draft_ids)._raw_delete(connection.alias)
    Invoice.objects.filter(id__in=draft_ids).delete()
    return len(draft_ids)


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


def _write_invoices(invoices: dict, run: BillingRun) -> list[Invoice]:
    headers = []
    for (customer_id, currency), lines in invoices.items():
        subtotal = sum(line["net_minor"] for line in lines)
        tax = sum(line["tax_minor"] for line in lines)
        headers.append(
            Invoice(
                customer_id=customer_id,
                period=run.period,
                currency=currency,
                billing_run=run,
                lines_count=len(lines),
                subtotal_minor=subtotal,
                tax_minor=tax,
                total_minor=subtotal + tax,
                upstream_cost_micro=sum(line["upstream_amount_micro"] for line in lines),
            )
        )
    created = Invoice.objects.bulk_create(headers, batch_size=2000)
    rows = [
        {**line, "invoice_id": invoice.pk}
        for invoice, lines in zip(created, invoices.values(), strict=True)
        for line in lines
    ]
    insert_rows(InvoiceLine, rows)
    return created


def _summary(lines: PeriodLines, run: BillingRun, invoices: list[Invoice]) -> dict[str, Any]:
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
    by_currency: dict[str, dict[str, int]] = defaultdict(lambda: Counter())
    for invoice in invoices:
        money = by_currency[invoice.currency]
        money["subtotal"] += invoice.subtotal_minor
        money["tax"] += invoice.tax_minor
        money["total"] += invoice.total_minor
    return {
        "upstream_lines": total,
        "billed_lines": billed,
        "unbilled_lines": unbilled,
        "unbilled_by_reason": dict(sorted(reasons.items())),
        "invoices": len(invoices),
        "invoice_lines": sum(invoice.lines_count for invoice in invoices),
        "amounts": {
            currency: {key: str(from_minor_units(value, currency)) for key, value in money.items()}
            for currency, money in sorted(by_currency.items())
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
            billing_writes.record_unbilled(
                lines, run.pk, UnbilledReason.CUSTOMER_UNKNOWN, "c.id IS NULL"
            )
        billing_writes.record_unbilled(
            lines, run.pk, UnbilledReason.ALREADY_BILLED, "c.id IS NOT NULL AND b.id IS NOT NULL"
        )
        groups = billing_sql.unbilled_groups(lines)
        invoices, unbilled_groups = _price_groups(groups, rule_book(), start)
        created = _write_invoices(invoices, run)
        billing_writes.trace_billed_lines(lines, run.pk)
        billing_writes.record_unbilled_groups(lines, run.pk, unbilled_groups)
        summary = {**_summary(lines, run, created), "drafts_replaced": replaced}
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
