"""Corrections upstream: 21Vianet re-issued an invoice we already billed from.

Re-importing a corrected invoice replaces its lines (new ids), so an issued invoice line can
trace upstream lines that no longer exist. A billing run finds those lines first, compares what
the line billed with what the current upstream lines of the same charge come to (priced with the
terms the line recorded: a changed price rule is not a correction), points the trace at the
current lines, and puts the difference up for review, never changing the issued invoice:

- less: a draft credit note on the issued invoice, for the difference;
- more: a draft supplementary invoice for the difference, linked to the invoice it corrects;
- the same: nothing but the new trace.

Drafts of the month are rebuilt by the run itself; only issued invoices need this.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Q

from cspbilling.core.money import from_minor_units, to_minor_units
from cspbilling.core.services import require_transaction
from cspbilling.invoicing.billing_sql import PeriodLines, table_name
from cspbilling.invoicing.credits import CreditError, creditable_lines
from cspbilling.invoicing.models import (
    BilledUpstreamLine,
    BillingRun,
    CreditNoteOrigin,
    HeldUpstreamLine,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    PricingMethod,
    SettledUpstreamLine,
)
from cspbilling.invoicing.pricing import (
    period_fraction,
    price_by_percent,
    price_by_unit,
    upstream_list,
)
from cspbilling.invoicing.services.credit_notes import draft_credit_note
from cspbilling.upstream.models import CustomerNumberMapping, UpstreamLineItem

MICRO = Decimal("0.000001")
# An upstream line as a line of ours is priced over: (id, amount, quantity, unit price).
Upstream = tuple[int, Decimal, Decimal | None, Decimal | None]


@dataclass(frozen=True)
class Correction:
    line: InvoiceLine
    upstream_ids: list[int]  # the current lines of the charge
    quantity: Decimal
    amount: Decimal  # what 21Vianet bills for the charge now
    net_minor: int
    tax_minor: int
    period_fraction: Decimal | None  # a fixed-price line's share of a full period

    @property
    def difference(self) -> int:
        return self.net_minor - self.line.net_minor


def _stale_lines(lines: PeriodLines) -> list[InvoiceLine]:
    """Issued lines of the month with at least one trace to an upstream line that is gone."""
    tables = (
        f"{table_name(InvoiceLine)} il "
        f"JOIN {table_name(Invoice)} inv ON inv.id = il.invoice_id "
        f"JOIN {table_name(BilledUpstreamLine)} b ON b.invoice_line_id = il.id "
        f"LEFT JOIN {table_name(UpstreamLineItem)} l ON l.id = b.upstream_line_id"
    )
    where = "inv.status = %s AND inv.period = %s AND l.id IS NULL"
    sql = f"SELECT DISTINCT il.id FROM {tables} WHERE {where}"  # noqa: S608 (names from models)
    params: list = [InvoiceStatus.ISSUED, lines.start]
    if lines.customer_id is not None:
        sql += " AND inv.customer_id = %s"
        params.append(lines.customer_id)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [row[0] for row in cursor.fetchall()]
    return list(
        InvoiceLine.objects.filter(id__in=ids)
        .select_related("invoice", "invoice__customer")
        .order_by("invoice_id", "id")
    )


def _current_upstream(line: InvoiceLine, lines: PeriodLines) -> list[Upstream]:
    """(id, amount, quantity, unit price) of the upstream lines of this line's charge as they
    are now: the ones it still traces, and the unbilled ones of the same customer, currency and
    charge."""
    customer = line.invoice.customer
    numbers = CustomerNumberMapping.objects.filter(customer=customer).values("customer_number")
    same_charge = UpstreamLineItem.objects.filter(
        invoice__billing_period_start__gte=lines.start,
        invoice__billing_period_start__lt=lines.end,
        currency=line.invoice.currency,
        subscription_id=line.subscription_id,
        offer_id=line.offer_id,
        durable_offer_id=line.durable_offer_id,
        charge_type=line.charge_type,
        charge_start=line.charge_start,
        charge_end=line.charge_end,
    ).filter(Q(customer_tenant_id=customer.tenant_id) | Q(customer_number__in=numbers))
    traced = BilledUpstreamLine.objects.filter(invoice_line=line).values("upstream_line_id")
    billed = BilledUpstreamLine.objects.values("upstream_line_id")
    settled = SettledUpstreamLine.objects.values("upstream_line_id")  # never billed
    held = HeldUpstreamLine.objects.values("upstream_line_id")  # not until decided
    current = (
        same_charge.filter(Q(id__in=traced) | ~Q(id__in=billed))
        .exclude(id__in=settled)
        .exclude(id__in=held)
    )
    return list(current.values_list("id", "amount", "quantity", "unit_price").order_by("id"))


def _micro(value: Decimal | None) -> Decimal:
    # Exact on both engines: values as stored (6 places; SQLite may hand back a float's digits).
    return Decimal(value or 0).quantize(MICRO)


def reprice_line(line: InvoiceLine, current: list[Upstream]) -> Correction:
    """What `line` comes to over `current` upstream lines (id, amount, quantity, unit price),
    priced with the terms it recorded, as a billing run prices a group (`pricing`)."""
    currency = line.invoice.currency
    amount = sum((_micro(a) for _, a, _, _ in current), Decimal(0))
    quantity = sum((_micro(q) for _, _, q, _ in current), Decimal(0))
    listed = upstream_list((_micro(p), _micro(q)) for _, _, q, p in current)
    fraction = None
    if not current:
        net, tax = Decimal(0), Decimal(0)
    elif line.method == PricingMethod.PERCENT:
        price = price_by_percent(
            upstream_amount=amount, percent=line.percent, tax_rate=line.tax_rate, currency=currency
        )
        net, tax = price.net, price.tax
    else:
        price = price_by_unit(
            quantity=quantity,
            unit_price=line.unit_price,
            tax_rate=line.tax_rate,
            currency=currency,
            upstream_amount=amount,
            upstream_list=listed,
        )
        net, tax = price.net, price.tax
        fraction = period_fraction(upstream_amount=amount, upstream_list=listed)
    return Correction(
        line=line,
        upstream_ids=[pk for pk, *_ in current],
        quantity=quantity,
        amount=amount,
        net_minor=to_minor_units(net, currency),
        tax_minor=to_minor_units(tax, currency),
        period_fraction=fraction,
    )


def _retrace(correction: Correction) -> None:
    """The issued line now bills the current lines of its charge (and no vanished one)."""
    BilledUpstreamLine.objects.filter(invoice_line=correction.line).delete()
    BilledUpstreamLine.objects.bulk_create(
        BilledUpstreamLine(upstream_line_id=pk, invoice_line=correction.line)
        for pk in correction.upstream_ids
    )


def _describe(correction: Correction) -> str:
    line = correction.line
    before = Decimal(line.upstream_amount_micro).scaleb(-6).normalize()
    period = ""
    if line.charge_start and line.charge_end:
        period = f", {line.charge_start:%Y-%m-%d} – {line.charge_end:%Y-%m-%d}"
    return (
        f"{line.offer_name or line.offer_id} ({line.charge_type}{period}): 21Vianet's corrected "
        f"invoice bills {correction.amount.normalize():f} instead of {before:f}"
    )


def _credit(
    invoice: Invoice,
    corrections: list[Correction],
    run: BillingRun,
    actor: str,
    not_passed_on: list[dict[str, str]],
) -> int:
    """One draft credit note per issued invoice for the lines 21Vianet now bills less.

    A charge billed less is credited on its own line (up to what is left on it). A credit line
    21Vianet made bigger cannot be: a credit note gives back what a line charged, and that line
    charged nothing. What it owes more is credited on the invoice's charges instead, in line
    order, as far as they have anything left; a rest they cannot hold is said in the reason."""
    left = {item.line.pk: item.net_minor for item in creditable_lines(invoice)}
    taken: dict[int, int] = {}
    more_credit = 0
    for correction in corrections:
        if correction.line.net_minor < 0:  # a credit, now bigger
            more_credit += -correction.difference
            continue
        owed = min(-correction.difference, left.get(correction.line.pk, 0))
        if owed > 0:
            taken[correction.line.pk] = owed
    for pk, room in left.items():  # the bigger credits, on the charges with room left
        if more_credit <= 0:
            break
        share = min(room - taken.get(pk, 0), more_credit)
        if share > 0:
            taken[pk] = taken.get(pk, 0) + share
            more_credit -= share
    if more_credit > 0:  # staff read it on the run's page
        rest = from_minor_units(more_credit, invoice.currency)
        not_passed_on.append(
            {"invoice": invoice.number, "amount": str(rest), "currency": invoice.currency}
        )
    if not taken:
        return 0
    amounts = {pk: from_minor_units(minor, invoice.currency) for pk, minor in taken.items()}
    reason = "21Vianet corrected its invoice. "
    if more_credit > 0:  # said first: the reason is cut at 1,000 characters
        rest = from_minor_units(more_credit, invoice.currency)
        reason += f"{rest} {invoice.currency} more is owed than this invoice can credit. "
    reason += "; ".join(_describe(c) for c in corrections)
    try:
        draft_credit_note(
            invoice=invoice,
            reason=reason[:1000],
            actor=actor,
            amounts=amounts,
            origin=CreditNoteOrigin.UPSTREAM_CORRECTION,
            billing_run=run,
        )
    except CreditError:  # e.g. a negative total: left for a person, the report shows it
        return 0
    return 1


def _supplement(invoice: Invoice, corrections: list[Correction], run: BillingRun) -> int:
    """A draft supplementary invoice for the lines 21Vianet now bills more."""
    supplement = Invoice.objects.create(
        customer=invoice.customer,
        period=invoice.period,
        currency=invoice.currency,
        billing_run=run,
        corrects=invoice,
        lines_count=len(corrections),
        subtotal_minor=sum(c.difference for c in corrections),
        tax_minor=sum(c.tax_minor - c.line.tax_minor for c in corrections),
        upstream_cost_micro=sum(
            int(c.amount.scaleb(6)) - c.line.upstream_amount_micro for c in corrections
        ),
    )
    supplement.total_minor = supplement.subtotal_minor + supplement.tax_minor
    supplement.save(update_fields=["total_minor"])
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=supplement,
            corrects_line=c.line,
            subscription_id=c.line.subscription_id,
            offer_id=c.line.offer_id,
            durable_offer_id=c.line.durable_offer_id,
            offer_name=c.line.offer_name,
            charge_type=c.line.charge_type,
            charge_start=c.line.charge_start,
            charge_end=c.line.charge_end,
            quantity=c.quantity - c.line.quantity,
            upstream_lines=len(c.upstream_ids),
            upstream_amount_micro=int(c.amount.scaleb(6)) - c.line.upstream_amount_micro,
            price_rule_id=c.line.price_rule_id,
            method=c.line.method,
            percent=c.line.percent,
            unit_price=c.line.unit_price,
            tax_rate=c.line.tax_rate,
            net_minor=c.difference,
            tax_minor=c.tax_minor - c.line.tax_minor,
        )
        for c in corrections
    )
    return 1


def correct_issued_invoices(lines: PeriodLines, run: BillingRun, actor: str) -> dict[str, int]:
    """Find issued lines whose upstream lines were replaced, and put the difference up for
    review (see the module's docstring). Runs inside the billing run's transaction, before the
    month's lines are grouped: the lines it traces are then already billed."""
    require_transaction("correct_issued_invoices")
    less: dict[Invoice, list[Correction]] = defaultdict(list)
    more: dict[Invoice, list[Correction]] = defaultdict(list)
    stale = _stale_lines(lines)
    for line in stale:
        correction = reprice_line(line, _current_upstream(line, lines))
        _retrace(correction)
        if correction.difference < 0:
            less[line.invoice].append(correction)
        elif correction.difference > 0:
            more[line.invoice].append(correction)
    not_passed_on: list[dict[str, str]] = []  # credits bigger than their invoice can credit
    credit_notes = sum(
        _credit(inv, found, run, actor, not_passed_on) for inv, found in less.items()
    )
    return {
        "corrected_lines": len(stale),
        "credit_notes": credit_notes,
        "supplementary_invoices": sum(_supplement(inv, found, run) for inv, found in more.items()),
        "credits_not_passed_on": not_passed_on,
    }
