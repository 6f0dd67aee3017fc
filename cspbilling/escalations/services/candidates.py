"""Which upstream lines may be 21Vianet's credit for an escalation (see `matching.py`): a
credit line (negative, before tax) of the customer, on a disputed subscription, for a period
from the disputed one on, on another invoice than the disputed ones; neither another
escalation's credit, its own matched one, settled outside billing, held for another record, nor
one staff rejected as not this escalation's. A candidate is *sure* when its charge type marks a
credit or an adjustment and its period is a disputed line's or lies in the billing period of the
invoice that carries it."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from cspbilling.escalations.models import Escalation
from cspbilling.invoicing.models import HeldUpstreamLine, SettledUpstreamLine
from cspbilling.upstream.models import UpstreamLineItem

# What marks a line as a credit or an adjustment (its charge type, or a new-commerce file's
# credit reason): 21Vianet's "offset lines" (2016 edition: OFFSET_LINEITEM), credits, refunds.
CREDIT_WORDS = (
    "credit",
    "offset",
    "adjust",
    "refund",
    "rebate",
    "compensat",
    "goodwill",
    "correction",
    "补偿",
    "赔偿",
    "退款",
    "调整",
    "抵扣",
    "冲销",
)
# The license-based charge types of ordinary subscription changes (partner-center.md §4), in
# lower case with the 2016 edition's underscores as spaces: never a promised credit by type.
ORDINARY_CHARGE_TYPES = {
    "activation fee",
    "cancel fee",
    "cancel instance prorate",
    "cancel instanceprorate",
    "cycle fee",
    "cycle instance prorate",
    "prorate fees when cancel",
    "prorate fees when convert away from current offering",
    "prorate fees when convert to a new offering",
    "prorate fees when purchase",
    "prorate fee when renew",
    "prorate fees when activate",
    "purchase fee",
    "renew fee",
    "assess usage fee for current cycle",
    "assess usage fee when cancel",
}
REASON_COLUMNS = ("CreditReasonCode", "PriceAdjustmentDescription")


def marks_credit(line: UpstreamLineItem) -> bool:
    """Whether the line says it is a credit or an adjustment (not an ordinary charge type)."""
    kind = " ".join(line.charge_type.replace("_", " ").lower().split())
    if kind in ORDINARY_CHARGE_TYPES:
        return False
    if any(word in kind for word in CREDIT_WORDS):
        return True
    try:
        columns = line.source_columns
    except (ValueError, TypeError, IndexError):  # a line written by hand, not by an import
        return False
    return any(str(columns.get(name) or "").strip() for name in REASON_COLUMNS)


def _others_credits(escalation: Escalation, field: str) -> QuerySet:
    """The credit lines (`field`) other escalations matched (a subquery; never NULL in it)."""
    others = Escalation.objects.exclude(pk=escalation.pk).exclude(**{field: None})
    return others.values(field)


def credit_lines(escalation: Escalation) -> QuerySet[UpstreamLineItem]:
    """Upstream lines that may be 21Vianet's promised credit (see the module's docstring)."""
    lines = list(escalation.lines.all())
    start = min((line.charge_start for line in lines if line.charge_start), default=None)
    period = Q(charge_start__gte=start) | Q(charge_start=None) if start else Q()
    return (
        UpstreamLineItem.objects.filter(
            period,
            customer_tenant_id=escalation.customer.tenant_id,
            subscription_id__in={line.subscription_id for line in lines},
            amount_minor__lt=0,
        )
        .exclude(invoice__invoice_id__in={line.upstream_invoice_id for line in lines})
        .exclude(pk__in=_others_credits(escalation, "credit_upstream_line_id"))
        .exclude(pk__in=_others_credits(escalation, "shortfall_credit_line_id"))
        .exclude(pk__in=[escalation.credit_upstream_line_id or 0])
        .exclude(pk__in=SettledUpstreamLine.objects.values("upstream_line_id"))
        .exclude(
            pk__in=HeldUpstreamLine.objects.exclude(reference=escalation.reference).values(
                "upstream_line_id"
            )
        )
        .exclude(pk__in=escalation.rejected_credit_lines.values("upstream_line_id"))
        .select_related("invoice", "batch")
        .order_by("pk")
    )


def in_period(escalation: Escalation, line: UpstreamLineItem) -> bool:
    """A disputed line's charge period (same subscription), or within the billing period of
    the invoice that carries the line."""
    if line.charge_start is None:
        return True
    disputed = {(d.subscription_id, d.charge_start, d.charge_end) for d in escalation.lines.all()}
    if (line.subscription_id, line.charge_start, line.charge_end) in disputed:
        return True
    first, last = line.invoice.billing_period_start, line.invoice.billing_period_end
    if first is None:
        return False
    if last is None:  # a file gives no period: its month, from its first charge
        last = (first.replace(day=1) + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return first <= line.charge_start and (line.charge_end or line.charge_start) <= last


def is_sure(escalation: Escalation, line: UpstreamLineItem) -> bool:
    """Marked as a credit or an adjustment, and for a disputed or the carrying invoice's period."""
    return marks_credit(line) and in_period(escalation, line)
