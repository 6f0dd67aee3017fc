"""The work of a billing run, inside its one write transaction: the period's drafts made again
from the upstream lines not billed yet, every line billed once or listed as unbilled with its
reason. Set-based: SQL lists, groups and traces the lines; Python prices the groups (one per
invoice line, never one per upstream line), exactly, in integers (`invoicing.pricing_minor`,
held by the tests to `invoicing.pricing`'s Decimal arithmetic)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, Sum

from cspbilling.core.bulk import copy_rows
from cspbilling.core.money import MINOR_UNITS, from_minor_units
from cspbilling.core.progress import ProgressReporter
from cspbilling.core.services import require_transaction
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
from cspbilling.invoicing.pricing_minor import (
    fraction_micro,
    net_by_percent,
    net_by_unit,
    scaled,
    tax_on,
)
from cspbilling.invoicing.selectors import BILLING_STAGES as STAGES
from cspbilling.invoicing.services import billing_writes, settlements
from cspbilling.invoicing.services.corrections import correct_issued_invoices
from cspbilling.upstream.models import UpstreamInvoice

MICRO = -6
PROGRESS_STEP = 5000  # groups priced, or lines written, between two progress reports
LINE_COLUMNS = (
    "invoice_id",
    "subscription_id",
    "offer_id",
    "durable_offer_id",
    "offer_name",
    "charge_type",
    "charge_start",
    "charge_end",
    "quantity",
    "upstream_lines",
    "upstream_amount_micro",
    "price_rule_id",
    "method",
    "percent",
    "unit_price",
    "tax_rate",
    "net_minor",
    "tax_minor",
    "period_fraction",
)


class BillingRunError(ValueError):
    pass


def month_of(day: dt.date) -> tuple[dt.date, dt.date]:
    start = day.replace(day=1)
    return start, (start + dt.timedelta(days=32)).replace(day=1)


@dataclass
class Draft:
    """One invoice being made: its lines (LINE_COLUMNS but the invoice id) and their sums."""

    lines: list[tuple] = field(default_factory=list)
    groups: list[int] = field(default_factory=list)  # each line's group number (`g`)
    net_minor: int = 0
    tax_minor: int = 0
    upstream_micro: int = 0


@dataclass
class Priced:
    drafts: dict[tuple[int, str], Draft]  # by (customer id, currency)
    unbilled: list[tuple[int, None, str]]  # (g, no invoice line, reason)
    lines: int = 0


@dataclass(frozen=True)
class Terms:
    """A rule's terms as a run prices with them (`pricing_minor`), and as its lines copy them."""

    rule_id: int
    method: str
    factor: int  # the percent in thousandths, or the unit price in millionths
    rate_e4: int  # the tax rate in ten-thousandths
    copied: tuple  # price_rule_id, method, percent, unit_price, tax_rate of the line

    @classmethod
    def of(cls, rule: PriceRule) -> Terms:
        rate = rule.tax_category.rate
        percent = rule.method == PricingMethod.PERCENT
        factor = scaled(rule.percent, 3) if percent else scaled(rule.unit_price, 6)
        copied = (rule.pk, rule.method, rule.percent, rule.unit_price, rate)
        return cls(rule.pk, rule.method, factor, scaled(rate, 4), copied)

    def price(
        self, amount_micro: int, quantity_micro: int, list_e12: int, places: int
    ) -> tuple[int, int, Decimal | None]:
        """(net, tax) in minor units: `pricing.price_by_percent` / `price_by_unit`, exactly;
        and the share of a full period a fixed-price line bills (`pricing.period_fraction`)."""
        if self.method == PricingMethod.PERCENT:
            net = net_by_percent(amount_micro, self.factor, places)
            fraction = None
        else:
            net = net_by_unit(
                quantity_micro, self.factor, places, amount_micro=amount_micro, list_e12=list_e12
            )
            fraction = _fraction(amount_micro, list_e12)
        return net, tax_on(net, self.rate_e4), fraction


def _fraction(amount_micro: int, list_e12: int) -> Decimal | None:
    micro = fraction_micro(amount_micro, list_e12)
    return None if micro is None else Decimal(micro).scaleb(MICRO)


def _day(start: dt.date | str | None, period: dt.date) -> dt.date:
    """The day a charge is priced on: its start (text on SQLite), else the period's first."""
    return start if isinstance(start, dt.date) else dt.date.fromisoformat(start or str(period))


def _why_unbilled(rule: PriceRule | None, currency: str) -> str | None:
    if rule is None:
        return UnbilledReason.NO_PRICE_RULE
    if rule.method == PricingMethod.EXCLUDE:
        return UnbilledReason.EXCLUDED_OFFER
    if rule.method == PricingMethod.UNIT_PRICE and rule.currency != currency:
        return UnbilledReason.CURRENCY_MISMATCH
    return None


def price_groups(
    groups: Iterable[tuple], book: RuleBook, period: dt.date, progress: ProgressReporter
) -> Priced:
    """Each group (`billing_sql.unbilled_groups`) priced by its rule into its draft's lines, or
    left unbilled with the reason."""
    priced = Priced(drafts={}, unbilled=[])
    rules: dict[tuple, PriceRule | None] = {}  # many groups share a customer, offer and day
    terms: dict[int, Terms] = {}
    seen = 0
    for row in groups:
        g, customer_id, currency, sub, offer, durable, charge_type, start, end = row[:9]
        offer_name, count, amount_micro, quantity_micro = row[9:13]
        key = (customer_id, offer, durable, start)
        if key not in rules:
            day = (
                start if isinstance(start, dt.date) else dt.date.fromisoformat(start or str(period))
            )
            rules[key] = book.rule_for(
                customer_id, offer_id=offer, durable_offer_id=durable, on=day
            )
        rule = rules[key]
        reason = _why_unbilled(rule, currency)
        if reason is not None:
            priced.unbilled.append((g, None, reason))
        else:
            if rule.pk not in terms:
                terms[rule.pk] = Terms.of(rule)
            amount_micro, quantity_micro = int(amount_micro), int(quantity_micro)
            listed = billing_sql.list_e12(*row[13:])
            net, tax, fraction = terms[rule.pk].price(
                amount_micro, quantity_micro, listed, MINOR_UNITS.get(currency, 2)
            )
            draft = priced.drafts.get((customer_id, currency))
            if draft is None:
                draft = priced.drafts[(customer_id, currency)] = Draft()
            draft.lines.append(
                (
                    sub,
                    offer,
                    durable,
                    offer_name or "",
                    charge_type,
                    start,
                    end,
                    Decimal(quantity_micro).scaleb(MICRO),
                    int(count),
                    amount_micro,
                    *terms[rule.pk].copied,
                    net,
                    tax,
                    fraction,
                )
            )
            draft.groups.append(g)
            draft.net_minor += net
            draft.tax_minor += tax
            draft.upstream_micro += amount_micro
            priced.lines += 1
        seen += 1
        if seen % PROGRESS_STEP == 0:
            progress.advance(PROGRESS_STEP)
    progress.advance(seen % PROGRESS_STEP)
    return priced


def write_drafts(priced: Priced, run: BillingRun, progress: ProgressReporter) -> None:
    """The headers with their totals, then their lines, by COPY on PostgreSQL; then what became
    of each group. The headers' ids are read back by (customer, currency), unique within a run;
    the lines' in id order, which is the order they were written in (one statement, ids from
    one increasing sequence)."""
    copy_rows(
        Invoice,
        (
            "customer_id",
            "period",
            "currency",
            "status",
            "billing_run_id",
            "lines_count",
            "subtotal_minor",
            "tax_minor",
            "total_minor",
            "upstream_cost_micro",
        ),
        (
            (
                customer_id,
                run.period,
                currency,
                InvoiceStatus.DRAFT.value,
                run.pk,
                len(draft.lines),
                draft.net_minor,
                draft.tax_minor,
                draft.net_minor + draft.tax_minor,
                draft.upstream_micro,
            )
            for (customer_id, currency), draft in priced.drafts.items()
        ),
    )
    ids = {
        (customer_id, currency): pk
        for pk, customer_id, currency in Invoice.objects.filter(
            billing_run=run,
            corrects=None,  # not the supplementary ones corrections drafted
        ).values_list("id", "customer_id", "currency")
    }

    def lines() -> Iterator[tuple]:
        written = 0
        for key, draft in priced.drafts.items():
            invoice_id = ids[key]
            for line in draft.lines:
                yield (invoice_id, *line)
            written += len(draft.lines)
            if written >= PROGRESS_STEP:
                progress.advance(written)
                written = 0
        progress.advance(written)

    copy_rows(InvoiceLine, LINE_COLUMNS, lines())
    line_ids = InvoiceLine.objects.filter(
        invoice__billing_run=run, invoice__corrects=None
    ).order_by("id")
    line_ids = line_ids.values_list("id", flat=True)
    written = [g for draft in priced.drafts.values() for g in draft.groups]
    if len(line_ids) != len(written):
        raise BillingRunError(f"{len(written)} invoice lines written, {len(line_ids)} read back")
    billing_writes.record_groups(
        [*((g, pk, None) for g, pk in zip(written, line_ids, strict=True)), *priced.unbilled]
    )


def delete_drafts(start: dt.date, customer_id: int | None) -> int:
    """The period's drafts go (with their traces); issued invoices are never touched."""
    # Supplementary drafts stay: they correct an issued invoice and wait for review.
    drafts = Invoice.objects.filter(period=start, status=InvoiceStatus.DRAFT, corrects=None)
    if customer_id is not None:
        drafts = drafts.filter(customer_id=customer_id)
    count = drafts.count()
    if not count:
        return 0
    draft_ids = drafts.values("id")  # a subquery: any number of drafts
    BilledUpstreamLine.objects.filter(invoice_line__invoice_id__in=draft_ids).delete()
    # Raw deletes: the ORM would load every line to cascade, and nothing else refers to them.
    InvoiceLine.objects.filter(invoice_id__in=draft_ids)._raw_delete(connection.alias)
    Invoice.objects.filter(id__in=draft_ids)._raw_delete(connection.alias)
    return count


def bill_period(*, run: BillingRun, progress: ProgressReporter) -> dict[str, Any]:
    """Make the run's drafts (in the caller's transaction) and return its summary."""
    require_transaction("bill_period")
    start, end = month_of(run.period)
    replaced = delete_drafts(start, run.customer_id)
    lines = PeriodLines(start, end, run.customer_id)
    # Before the lines are read: the issued lines it re-traces are then billed already, and
    # the settled lines a re-issue replaced are settled still.
    corrections = correct_issued_invoices(lines, run, run.requested_by)
    settlements.retrace_settled_lines(
        upstream_invoice_ids=UpstreamInvoice.objects.filter(
            billing_period_start__gte=start, billing_period_start__lt=end
        ).values_list("id", flat=True),
        actor=run.requested_by,
    )
    # A stage that is one statement counts as one step (so a bar shows it done).
    progress.start(STAGES[0], total=1)
    total = billing_writes.fill_run_lines(lines)
    billing_writes.record_unbilled_lines(run.pk)
    progress.advance()
    progress.start(STAGES[1], total=1)
    groups = billing_sql.unbilled_groups()
    progress.advance()
    progress.start(STAGES[2], total=len(groups))
    priced = price_groups(groups, rule_book(), start, progress)
    del groups
    progress.start(STAGES[3], total=priced.lines)
    write_drafts(priced, run, progress)
    unpriced = bool(priced.unbilled)
    del priced
    progress.start(STAGES[4], total=1)
    billed = billing_writes.trace_billed_lines()
    if unpriced:
        billing_writes.record_unbilled_groups(run.pk)
    billing_writes.drop_scratch_tables()
    progress.advance()
    return {
        **summarise(run, total=total, billed=billed),
        "drafts_replaced": replaced,
        "corrections": corrections,
    }


def summarise(run: BillingRun, *, total: int, billed: int) -> dict[str, Any]:
    """What the run did; raises if billed and unbilled lines do not add up to all of them."""
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
