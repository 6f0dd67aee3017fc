"""A second credit from 21Vianet making up a short first one.

21Vianet credited less than it promised: the escalation was matched "credit short by X". A later
candidate (`candidates.py`: same customer and subscriptions, neither matched, settled nor held
elsewhere) that is *sure* (marked as a credit or an adjustment, for a disputed or the carrying
invoice's period) and of exactly X is matched by itself: the customer credited X once (a second
credit note per invoice, `on_arrival`; credited the promise at approval already, nothing more),
the line settled outside billing in the same transaction, the shortfall cleared, audited. Any
other candidate that may be it (sure of another amount, or of exactly X but not sure) is flagged
for staff and held out of billing (`flagged.py`), as for a first credit."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from cspbilling.audit.actions import AuditAction
from cspbilling.cases.models import Channel
from cspbilling.cases.services import add_note
from cspbilling.cases.services.cases import publish_staff_message
from cspbilling.core.money import from_minor_units
from cspbilling.escalations import texts
from cspbilling.escalations.models import (
    CreditNoteWhen,
    CreditPart,
    Escalation,
    FlaggedCredit,
)
from cspbilling.escalations.services.candidates import credit_lines, in_period, marks_credit
from cspbilling.escalations.services.crediting import credit_amounts, issue_part, settle_credited
from cspbilling.escalations.services.events import record_escalation_event
from cspbilling.escalations.services.flagged import flag_credit_line
from cspbilling.invoicing.models import CreditNote
from cspbilling.invoicing.services import LineBilling, upstream_line_billing
from cspbilling.upstream.models import UpstreamLineItem


def _short_minor(escalation: Escalation) -> int:
    return max((escalation.promised_credit_minor or 0) - (escalation.credit_received_minor or 0), 0)


def choose_shortfall(
    escalation: Escalation,
) -> tuple[UpstreamLineItem | None, UpstreamLineItem | None, str]:
    """(the line that makes up the shortfall, a line to flag for staff, why it is flagged)."""
    short = _short_minor(escalation)
    if not short or escalation.shortfall_credit_line_id is not None:
        return None, None, ""
    flagged: tuple[UpstreamLineItem | None, str] = (None, "")
    for line in credit_lines(escalation):
        marked = marks_credit(line)
        sure = marked and in_period(escalation, line)
        exact = -line.amount_minor == short
        if sure and exact:
            return line, None, ""
        if flagged[0] is None and (sure or exact):
            why = (
                FlaggedCredit.SHORTFALL
                if sure
                else FlaggedCredit.PERIOD
                if marked
                else FlaggedCredit.UNMARKED
            )
            flagged = (line, why)
    return None, flagged[0], flagged[1]


def _credit_rest(escalation: Escalation, billing: LineBilling, *, actor: str) -> list[CreditNote]:
    """`on_arrival`: the customer credited the rest (a second credit note on each invoice that
    billed the disputed lines: what both credits together owe it, less what it was given for
    the first), told in its language; the line settled."""
    given = sum(
        link.credit_note.subtotal_minor
        for link in escalation.credit_notes.select_related("credit_note")
    ) + (escalation.credit_billed_minor or 0)
    both = min(escalation.credit_received_minor or 0, escalation.promised_credit_minor or 0)
    amounts = credit_amounts(escalation, credited_minor=both, less_minor=given)
    notes = issue_part(escalation, amounts, part=CreditPart.SHORTFALL, actor=actor)
    settle_credited(escalation, billing, notes, actor=actor, when=", 21Vianet's second credit")
    case = escalation.case
    rows = [
        (n.number, from_minor_units(n.total_minor, n.currency), n.currency, n.invoice.number)
        for n in notes
    ]
    publish_staff_message(
        case,
        body=texts.shortfall_credited(case.language, notes=rows),
        actor=actor,
        channel=Channel.CONSOLE,
    )
    return notes


def make_up_shortfall(escalation: Escalation, line: UpstreamLineItem, *, actor: str) -> None:
    """Inside the caller's transaction, the escalation locked and short: `line` is 21Vianet's
    second credit. Recorded, the customer credited the shortfall (at most) once, the line
    settled, the shortfall cleared; audited."""
    billing = upstream_line_billing(upstream_line_id=line.pk)  # its month's runs wait for us
    short, received = _short_minor(escalation), -line.amount_minor
    escalation.shortfall_credit_line_id = line.pk
    escalation.credit_received_minor = (escalation.credit_received_minor or 0) + received
    escalation.credit_received_at = timezone.now()
    if escalation.oversized_credit_line_id == line.pk:
        escalation.oversized_credit_line_id, escalation.flagged_credit = None, ""
    escalation.updated_at = timezone.now()
    escalation.save()
    at_approval = settings.ESCALATIONS_CREDIT_NOTE_WHEN == CreditNoteWhen.ON_APPROVAL
    notes: list[CreditNote] = []
    if billing.on_issued_invoice:
        passed_on = f"invoice {billing.invoice.number} passed it on to the customer already"
        if at_approval:  # and the credit note at approval gave the whole promise
            twice = max(-billing.net_minor, 0)
            escalation.credited_twice_minor = (escalation.credited_twice_minor or 0) + twice
            escalation.save(update_fields=["credited_twice_minor"])
            passed_on += (
                "; the credit note at approval gave it too, so the customer was credited "
                "twice: recover it by hand (tell the customer first)"
            )
    elif at_approval:
        settle_credited(escalation, billing, [], actor=actor, when=", issued when upheld")
        passed_on = "the credit note issued when 21Vianet upheld it gave it already"
    else:
        notes = _credit_rest(escalation, billing, actor=actor)
        passed_on = f"credit note {', '.join(n.number for n in notes)} gives it"
    add_note(
        case=escalation.case,
        body=f"21Vianet's second credit for {escalation.reference} arrived: upstream line "
        f"{line.pk} on invoice {line.invoice.invoice_id} "
        f"({from_minor_units(received, escalation.currency)} {escalation.currency}), the "
        f"{from_minor_units(short, escalation.currency)} it was short: {passed_on}.",
        actor=actor,
    )
    record_escalation_event(
        escalation,
        AuditAction.ESCALATION_SHORTFALL_MATCHED,
        actor=actor,
        after={
            "upstream_line": line.pk,
            "invoice": line.invoice.invoice_id,
            "received_minor": received,
            "short_minor": short,
            "credit_notes": [n.number for n in notes],
            "on_issued_invoice": billing.invoice.number if billing.on_issued_invoice else None,
        },
    )


def match_shortfall_of(escalation: Escalation, *, actor: str) -> bool:
    """Inside the caller's transaction, the escalation locked: the rest of its short credit
    matched if a later upstream invoice carries exactly that (flagged for staff if only maybe).
    Whether it was matched."""
    line, flagged, why = choose_shortfall(escalation)
    if flagged is not None and escalation.oversized_credit_line_id is None:
        flag_credit_line(escalation, flagged, why, actor=actor)
    if line is None:
        return False
    make_up_shortfall(escalation, line, actor=actor)
    return True
