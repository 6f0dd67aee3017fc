"""21Vianet's promised credit, found on a later upstream invoice: a credit line of the customer,
on a disputed subscription, for a period from the disputed one on, on another invoice, and no
other escalation's.

* exactly the promised amount (before tax): matched;
* less than promised (21Vianet credited part of it): matched, the customer credited what
  arrived (`on_arrival`; `on_approval` credited the promise already), and the escalation stays
  flagged "credit short by X" for staff (list, page, report);
* more than promised: never matched by itself, flagged for staff, who may accept it by hand.

Matched (`on_arrival`): the customer's credit notes are issued and the case resolved. Run by
every upstream import and periodically; idempotent."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from cspbilling.audit.actions import AuditAction
from cspbilling.cases.services import add_note
from cspbilling.core.money import from_minor_units
from cspbilling.core.services import entry_point, transaction_step
from cspbilling.escalations.locks import lock_escalation
from cspbilling.escalations.models import Escalation, EscalationStatus
from cspbilling.escalations.services.crediting import issue_credit_notes
from cspbilling.escalations.services.events import EscalationError, record_escalation_event
from cspbilling.escalations.services.settling import close_escalation
from cspbilling.upstream.models import UpstreamLineItem

log = logging.getLogger(__name__)


def credit_lines(escalation: Escalation) -> QuerySet[UpstreamLineItem]:
    """Upstream credit lines (negative, before tax) that may be 21Vianet's promised credit: the
    customer's, on a disputed subscription, for a period from the disputed one on, on an
    invoice other than the disputed ones, and no escalation's credit already."""
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
            pk__in=Escalation.objects.exclude(credit_upstream_line_id=None).values(
                "credit_upstream_line_id"
            )
        )
        .select_related("invoice")
    )


def choose_credit(
    escalation: Escalation,
) -> tuple[UpstreamLineItem | None, UpstreamLineItem | None]:
    """(the line to match, a larger one to flag): the exact amount first, else the largest
    credit below the promise; a credit above it is only ever flagged."""
    promised = escalation.promised_credit_minor or 0
    lines = credit_lines(escalation)
    exact = lines.filter(amount_minor=-promised).order_by("pk").first()
    if exact is not None:
        return exact, None
    partial = lines.filter(amount_minor__gt=-promised).order_by("amount_minor", "pk").first()
    larger = lines.filter(amount_minor__lt=-promised).order_by("pk").first()
    return partial, larger


def _flag_larger(escalation: Escalation, line: UpstreamLineItem, *, actor: str) -> None:
    escalation.oversized_credit_line_id = line.pk
    escalation.save(update_fields=["oversized_credit_line_id"])
    amount = from_minor_units(-line.amount_minor, line.currency)
    add_note(
        case=escalation.case,
        body=f"A credit of {amount} {line.currency} (upstream line {line.pk} on invoice "
        f"{line.invoice.invoice_id}) may be 21Vianet's for {escalation.reference}, but it is "
        f"more than the {escalation.promised_credit} {escalation.currency} promised: not "
        "matched. Check it with 21Vianet; finance may accept it on the escalation's page.",
        actor=actor,
    )
    record_escalation_event(
        escalation,
        AuditAction.ESCALATION_CREDIT_FLAGGED,
        actor=actor,
        after={"upstream_line": line.pk, "amount_minor": -line.amount_minor},
    )


def _match(escalation: Escalation, line: UpstreamLineItem, *, actor: str) -> None:
    """`line` is 21Vianet's credit for `escalation` (locked): recorded; `on_arrival`, the
    customer is credited what arrived (never more than promised) and the case resolved."""
    promised, received = escalation.promised_credit_minor or 0, -line.amount_minor
    escalation.credit_upstream_line_id, escalation.credit_received_minor = line.pk, received
    escalation.credit_received_at = timezone.now()
    if escalation.oversized_credit_line_id == line.pk:
        escalation.oversized_credit_line_id = None
    escalation.save()
    currency = escalation.currency
    said = (
        f"21Vianet's credit for {escalation.reference} arrived: upstream line {line.pk} on "
        f"invoice {line.invoice.invoice_id} ({escalation.credit_received} {currency})."
    )
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
        issue_credit_notes(escalation, actor=actor, credited_minor=min(received, promised))
        close_escalation(escalation, actor=actor)


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
        line, larger = choose_credit(candidate)
        if line is None and (larger is None or larger.pk == candidate.oversized_credit_line_id):
            continue
        try:
            with transaction.atomic():
                escalation = lock_escalation(candidate.pk)
                if larger is not None and larger.pk != escalation.oversized_credit_line_id:
                    _flag_larger(escalation, larger, actor=actor)
                if line is not None:
                    _match(escalation, line, actor=actor)
                    matched.append(escalation.reference)
        except EscalationError:
            log.exception("the credit of %s could not be matched", candidate.reference)
    return matched


@transaction_step
def accept_larger_credit(*, escalation: Escalation, actor: str) -> Escalation:
    """Finance checked the flagged credit (larger than promised) with 21Vianet: it is this
    escalation's. Matched; the customer is credited the promised amount, not more."""
    escalation = lock_escalation(escalation.pk)
    if escalation.oversized_credit_line_id is None:
        raise EscalationError(f"{escalation.reference} has no larger credit waiting to be checked")
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
