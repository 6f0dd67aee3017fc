"""21Vianet's promised credit, found on a later upstream invoice.

A candidate is a credit line of the customer on a disputed subscription (`candidates.py`).
Ordinary credits look the same (a seat removed: "Cancel instance prorate"), so a candidate is
*sure* only when its charge type marks a credit or an adjustment (`marks_credit`) and its charge
period is a disputed line's or lies in the billing period of the invoice that carries it. Then:

* a sure line of exactly the promised amount (before tax): matched;
* else the largest sure line below the promise (21Vianet credited part of it): matched, the
  customer credited what arrived (`on_arrival`; `on_approval` credited the promise already),
  and the escalation stays flagged "credit short by X" for staff (list, page, report);
* a sure line above the promise, or a line that is not sure but has exactly the promised
  amount, or is marked as a credit: never matched by itself, flagged for staff and held out of
  billing (`flagged.py`) until finance accepts it or rejects it as not this escalation's
  (`decisions.py`); one flag at a time. An ordinary credit of another amount is left alone: the
  billing run bills it as usual.

Matched short, a later credit of exactly the shortfall makes it up (`shortfall.py`).

Matched: the customer is credited once (`crediting.credit_customer`: the credit notes, with the
line settled outside billing, or what the billing run already passed on counted) and the case
resolved; credited at approval, the line is only settled. Run by every upstream import, when
21Vianet's decision is recorded, and periodically; idempotent."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone

from cspbilling.audit.actions import AuditAction
from cspbilling.cases.services import add_note
from cspbilling.core.services import entry_point, transaction_step
from cspbilling.escalations.locks import lock_escalation
from cspbilling.escalations.models import (
    CreditNoteWhen,
    Escalation,
    EscalationStatus,
    FlaggedCredit,
)
from cspbilling.escalations.services.candidates import credit_lines, in_period, marks_credit
from cspbilling.escalations.services.crediting import credit_customer, settle_after_approval
from cspbilling.escalations.services.events import EscalationError, record_escalation_event
from cspbilling.escalations.services.flagged import flag_credit_line
from cspbilling.escalations.services.settling import close_escalation
from cspbilling.escalations.services.shortfall import choose_shortfall, match_shortfall_of
from cspbilling.invoicing.services import upstream_line_billing
from cspbilling.upstream.models import UpstreamLineItem

log = logging.getLogger(__name__)


def choose_credit(
    escalation: Escalation,
) -> tuple[UpstreamLineItem | None, UpstreamLineItem | None, str]:
    """(the line to match, a line to flag for staff, why it is flagged): see the module's
    docstring."""
    promised = escalation.promised_credit_minor or 0
    sure, unsure = [], []
    for line in credit_lines(escalation):
        marked = marks_credit(line)
        (sure if marked and in_period(escalation, line) else unsure).append((line, marked))
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


def match_line(escalation: Escalation, line: UpstreamLineItem, *, actor: str) -> None:
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
    if escalation.credit_upstream_line_id is not None:
        return match_shortfall_of(escalation, actor=actor)
    line, flagged, why = choose_credit(escalation)
    if flagged is not None and escalation.oversized_credit_line_id is None:
        flag_credit_line(escalation, flagged, why, actor=actor)
    if line is None:
        return False
    match_line(escalation, line, actor=actor)
    return True


@transaction_step
def match_credits(*, actor: str = "system", nowait: bool = False) -> list[str]:
    """Every upheld escalation whose credit (or the rest of a short one) a later upstream
    invoice now carries: matched (each in its own savepoint: one that cannot be credited stays
    unmatched, the others go on). Returns the references matched this time. `nowait`: an
    escalation whose customer another transaction holds is left for the next time (the
    import calls it so: it holds the audit chain's head already, and waiting for a customer
    then deadlocks with a collections run holding that customer and waiting for the head)."""
    matched = []
    waiting = Escalation.objects.filter(
        Q(credit_upstream_line_id=None)
        | Q(
            credit_received_minor__lt=F("promised_credit_minor"),
            shortfall_credit_line_id=None,
        ),
        status__in=(EscalationStatus.UPHELD, EscalationStatus.CLOSED),
        promised_credit_minor__isnull=False,
    ).order_by("pk")
    for candidate in waiting:
        short = candidate.credit_upstream_line_id is not None
        line, flagged, _ = (choose_shortfall if short else choose_credit)(candidate)
        if line is None and (flagged is None or candidate.oversized_credit_line_id is not None):
            continue
        try:
            with transaction.atomic():
                escalation = lock_escalation(candidate.pk, nowait=nowait)
                if match_credit_of(escalation, actor=actor):
                    matched.append(escalation.reference)
        except EscalationError:
            log.exception("the credit of %s could not be matched", candidate.reference)
        except OperationalError:  # only with nowait: its customer is busy; matched next time
            if not nowait:
                raise
            log.info("the credit of %s waits: its customer is busy", candidate.reference)
    return matched


do_match_credits = entry_point(match_credits)
