"""A credit line that may be 21Vianet's for an escalation, but not surely (larger than
promised, not marked as a credit, for another period, not the shortfall's amount): flagged for
staff, and held out of billing until finance decides (`decisions.py`), so that no billing run
passes it on to the customer meanwhile (in `on_approval` mode the customer has its credit note
already: billing the line too would credit it twice). A line already on an issued invoice
cannot be held: it is flagged only, and accepting it counts what that invoice gave (as
`crediting.py` does)."""

from __future__ import annotations

from cspbilling.audit.actions import AuditAction
from cspbilling.cases.services import add_note
from cspbilling.core.money import from_minor_units
from cspbilling.escalations.models import Escalation, FlaggedCredit
from cspbilling.escalations.services.events import record_escalation_event
from cspbilling.invoicing.services import HoldError, hold_upstream_line
from cspbilling.upstream.models import UpstreamLineItem


def hold_reason(escalation: Escalation, why: str) -> str:
    """What the billing run page and the unbilled list say about the held line."""
    return (
        f"waiting for finance: possibly escalation {escalation.reference}'s credit "
        f"({FlaggedCredit(why).label})"
    )


def _doubt(escalation: Escalation, line: UpstreamLineItem, why: str) -> str:
    currency = escalation.currency
    if why == FlaggedCredit.LARGER:
        return f"more than the {escalation.promised_credit} {currency} promised"
    if why == FlaggedCredit.SHORTFALL:
        return (
            f"21Vianet's first credit came short by {escalation.credit_short} {currency}, "
            "and this one is not of that amount"
        )
    return (
        f"its charge type ({line.charge_type or 'none'}) or its period "
        f"({line.charge_start or '?'} to {line.charge_end or '?'}) does not say it is that "
        f"credit ({FlaggedCredit(why).label}); {escalation.promised_credit} {currency} was "
        "promised"
    )


def flag_credit_line(
    escalation: Escalation, line: UpstreamLineItem, why: str, *, actor: str
) -> bool:
    """Inside the caller's transaction, the escalation locked: `line` flagged for staff and held
    out of billing (taken off a draft that bills it). Whether it is held (not: billed on an
    issued invoice already)."""
    escalation.oversized_credit_line_id, escalation.flagged_credit = line.pk, why
    escalation.save(update_fields=["oversized_credit_line_id", "flagged_credit"])
    try:
        hold_upstream_line(
            upstream_line_id=line.pk,
            reason=hold_reason(escalation, why),
            reference=escalation.reference,
            actor=actor,
        )
        held = True
        billing = "No billing run bills it until finance decides."
    except HoldError as exc:
        held = False
        billing = f"It cannot be held out of billing: {exc}."
    amount = from_minor_units(-line.amount_minor, line.currency)
    add_note(
        case=escalation.case,
        body=f"A credit of {amount} {line.currency} (upstream line {line.pk} on invoice "
        f"{line.invoice.invoice_id}) may be 21Vianet's for {escalation.reference}, but "
        f"{_doubt(escalation, line, why)}: not matched. {billing} Check it with 21Vianet; "
        "finance accepts it on the escalation's page, or rejects it as not this escalation's.",
        actor=actor,
    )
    record_escalation_event(
        escalation,
        AuditAction.ESCALATION_CREDIT_FLAGGED,
        actor=actor,
        after={
            "upstream_line": line.pk,
            "amount_minor": -line.amount_minor,
            "why": why,
            "held_out_of_billing": held,
        },
    )
    return held
