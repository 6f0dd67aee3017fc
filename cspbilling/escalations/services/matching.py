"""21Vianet's promised credit, found on a later upstream invoice.

A candidate is a credit line (negative, before tax) of the customer, on a disputed subscription,
for a period from the disputed one on, on another invoice than the disputed ones, and neither
another escalation's credit nor settled outside billing. Ordinary credits look the same (a
seat removed: "Cancel instance prorate"), so a candidate is *sure* only when its charge type
marks a credit or an adjustment (`marks_credit`) and its charge period is a disputed line's or
lies in the billing period of the invoice that carries it. Then:

* a sure line of exactly the promised amount (before tax): matched;
* else the largest sure line below the promise (21Vianet credited part of it): matched, the
  customer credited what arrived (`on_arrival`; `on_approval` credited the promise already),
  and the escalation stays flagged "credit short by X" for staff (list, page, report);
* a sure line above the promise, or a line that is not sure but has exactly the promised
  amount, or is marked as a credit: never matched by itself, flagged for staff, who may accept
  it by hand (`accept_larger_credit`). An ordinary credit of another amount is left alone: the
  billing run bills it as usual.

Matched: the customer is credited once (`crediting.credit_customer`: the credit notes, with the
line settled outside billing, or what the billing run already passed on counted) and the case
resolved; credited at approval, the line is only settled. Run by every upstream import, when
21Vianet's decision is recorded, and periodically; idempotent."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from cspbilling.audit.actions import AuditAction
from cspbilling.cases.services import add_note
from cspbilling.core.money import from_minor_units
from cspbilling.core.services import entry_point, transaction_step
from cspbilling.escalations.locks import lock_escalation
from cspbilling.escalations.models import (
    CreditNoteWhen,
    Escalation,
    EscalationStatus,
    FlaggedCredit,
)
from cspbilling.escalations.services.crediting import credit_customer, settle_after_approval
from cspbilling.escalations.services.events import EscalationError, record_escalation_event
from cspbilling.escalations.services.settling import close_escalation
from cspbilling.invoicing.models import SettledUpstreamLine
from cspbilling.invoicing.services import upstream_line_billing
from cspbilling.upstream.models import UpstreamLineItem

log = logging.getLogger(__name__)

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
        .exclude(
            pk__in=Escalation.objects.exclude(credit_upstream_line_id=None)
            .exclude(pk=escalation.pk)
            .values("credit_upstream_line_id")
        )
        .exclude(pk__in=SettledUpstreamLine.objects.values("upstream_line_id"))
        .select_related("invoice", "batch")
        .order_by("pk")
    )


def _in_period(escalation: Escalation, line: UpstreamLineItem) -> bool:
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


def choose_credit(
    escalation: Escalation,
) -> tuple[UpstreamLineItem | None, UpstreamLineItem | None, str]:
    """(the line to match, a line to flag for staff, why it is flagged): see the module's
    docstring."""
    promised = escalation.promised_credit_minor or 0
    sure, unsure = [], []
    for line in credit_lines(escalation):
        marked = marks_credit(line)
        (sure if marked and _in_period(escalation, line) else unsure).append((line, marked))
    exact = [line for line, _ in sure if -line.amount_minor == promised]
    below = [line for line, _ in sure if -line.amount_minor < promised]
    larger = [line for line, _ in sure if -line.amount_minor > promised]
    match = exact[0] if exact else max(below, key=lambda x: -x.amount_minor, default=None)
    if larger:
        return match, larger[0], FlaggedCredit.LARGER
    if match is None:
        for line, marked in unsure:
            if -line.amount_minor == promised:
                why = FlaggedCredit.PERIOD if marked else FlaggedCredit.UNMARKED
                return None, line, why
        for line, marked in unsure:
            if marked:
                return None, line, FlaggedCredit.PERIOD
    return match, None, ""


def _flag(escalation: Escalation, line: UpstreamLineItem, why: str, *, actor: str) -> None:
    escalation.oversized_credit_line_id, escalation.flagged_credit = line.pk, why
    escalation.save(update_fields=["oversized_credit_line_id", "flagged_credit"])
    amount = from_minor_units(-line.amount_minor, line.currency)
    if why == FlaggedCredit.LARGER:
        doubt = f"more than the {escalation.promised_credit} {escalation.currency} promised"
    else:
        doubt = (
            f"its charge type ({line.charge_type or 'none'}) or its period "
            f"({line.charge_start or '?'} to {line.charge_end or '?'}) does not say it is that "
            f"credit ({FlaggedCredit(why).label}); {escalation.promised_credit} "
            f"{escalation.currency} was promised"
        )
    add_note(
        case=escalation.case,
        body=f"A credit of {amount} {line.currency} (upstream line {line.pk} on invoice "
        f"{line.invoice.invoice_id}) may be 21Vianet's for {escalation.reference}, but "
        f"{doubt}: not matched. Check it with 21Vianet; finance may accept it on the "
        "escalation's page.",
        actor=actor,
    )
    record_escalation_event(
        escalation,
        AuditAction.ESCALATION_CREDIT_FLAGGED,
        actor=actor,
        after={"upstream_line": line.pk, "amount_minor": -line.amount_minor, "why": why},
    )


def _match(escalation: Escalation, line: UpstreamLineItem, *, actor: str) -> None:
    """`line` is 21Vianet's credit for `escalation` (locked): recorded; upheld, the customer is
    credited what arrived (never more than promised; `on_approval`: the promise) once, and the
    case resolved; credited at approval already, the line is settled outside billing."""
    billing = upstream_line_billing(upstream_line_id=line.pk)  # its month's runs wait for us
    promised, received = escalation.promised_credit_minor or 0, -line.amount_minor
    escalation.credit_upstream_line_id, escalation.credit_received_minor = line.pk, received
    escalation.credit_received_at = timezone.now()
    if escalation.oversized_credit_line_id == line.pk:
        escalation.oversized_credit_line_id, escalation.flagged_credit = None, ""
    escalation.save()
    currency = escalation.currency
    said = (
        f"21Vianet's credit for {escalation.reference} arrived: upstream line {line.pk} on "
        f"invoice {line.invoice.invoice_id} ({escalation.credit_received} {currency})."
    )
    if billing.invoice is not None:
        said += f" The billing run had billed it on {billing.invoice}."
    if received < promised:
        said += (
            f" Credit short by {escalation.credit_short} {currency} of the "
            f"{escalation.promised_credit} promised: follow it up with 21Vianet."
        )
    elif received > promised:
        said += (
            f" More than the {escalation.promised_credit} {currency} promised, accepted by "
            f"{actor}: the customer is credited the promise; place the rest by hand."
        )
    add_note(case=escalation.case, body=said, actor=actor)
    record_escalation_event(
        escalation,
        AuditAction.ESCALATION_CREDIT_MATCHED,
        actor=actor,
        after={
            "upstream_line": line.pk,
            "invoice": line.invoice.invoice_id,
            "received_minor": received,
            "promised_minor": promised,
            "short_minor": max(promised - received, 0),
        },
    )
    if escalation.status == EscalationStatus.UPHELD:
        at_approval = settings.ESCALATIONS_CREDIT_NOTE_WHEN == CreditNoteWhen.ON_APPROVAL
        credited = promised if at_approval else min(received, promised)
        credit_customer(escalation, billing, credited_minor=credited, actor=actor)
        close_escalation(escalation, actor=actor)
    else:
        settle_after_approval(escalation, billing, actor=actor)


def match_credit_of(escalation: Escalation, *, actor: str) -> bool:
    """Inside the caller's transaction, the escalation locked: its credit matched if a later
    upstream invoice carries it (flagged for staff if only maybe). Whether it was matched."""
    line, flagged, why = choose_credit(escalation)
    if flagged is not None and flagged.pk != escalation.oversized_credit_line_id:
        _flag(escalation, flagged, why, actor=actor)
    if line is None:
        return False
    _match(escalation, line, actor=actor)
    return True


@transaction_step
def match_credits(*, actor: str = "system") -> list[str]:
    """Every upheld escalation whose credit a later upstream invoice now carries: matched (each
    in its own savepoint: one that cannot be credited stays unmatched, the others go on).
    Returns the references matched this time."""
    matched = []
    waiting = Escalation.objects.filter(
        status__in=(EscalationStatus.UPHELD, EscalationStatus.CLOSED),
        promised_credit_minor__isnull=False,
        credit_upstream_line_id=None,
    ).order_by("pk")
    for candidate in waiting:
        line, flagged, _ = choose_credit(candidate)
        if line is None and (flagged is None or flagged.pk == candidate.oversized_credit_line_id):
            continue
        try:
            with transaction.atomic():
                escalation = lock_escalation(candidate.pk)
                if match_credit_of(escalation, actor=actor):
                    matched.append(escalation.reference)
        except EscalationError:
            log.exception("the credit of %s could not be matched", candidate.reference)
    return matched


@transaction_step
def accept_larger_credit(*, escalation: Escalation, actor: str) -> Escalation:
    """Finance checked the flagged credit (larger than promised, or not surely this
    escalation's) with 21Vianet: it is this escalation's. Matched; the customer is credited at
    most the promised amount."""
    escalation = lock_escalation(escalation.pk)
    if escalation.oversized_credit_line_id is None:
        raise EscalationError(f"{escalation.reference} has no credit waiting to be checked")
    if escalation.credit_upstream_line_id is not None:
        raise EscalationError(
            f"{escalation.reference} is matched already (upstream line "
            f"{escalation.credit_upstream_line_id})"
        )
    line = credit_lines(escalation).filter(pk=escalation.oversized_credit_line_id).first()
    if line is None:
        raise EscalationError(
            f"upstream line {escalation.oversized_credit_line_id} is no longer a credit this "
            f"escalation can take (another escalation matched it)"
        )
    _match(escalation, line, actor=actor)
    return escalation


do_match_credits = entry_point(match_credits)
do_accept_larger_credit = entry_point(accept_larger_credit)
