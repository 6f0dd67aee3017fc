"""Finance decides on a credit line flagged for an escalation (`flagged.py`), after checking it
with 21Vianet. Both decisions name the line they were shown, so a line flagged meanwhile is
never decided by mistake.

- It is this escalation's credit (`accept_larger_credit`): matched (`matching.match_line`), or,
  the escalation matched short already, taken as the rest (`shortfall.make_up_shortfall`); the
  customer is credited at most what was promised, once; the line settled outside billing.
- It is not (`reject_credit_line`, with the reason): recorded on the escalation (never flagged
  for it again), released to ordinary billing (the next billing run bills it), audited; the
  escalation keeps waiting for its credit (another candidate may be flagged at once).
"""

from __future__ import annotations

from cspbilling.audit.actions import AuditAction
from cspbilling.cases.services import add_note
from cspbilling.core.services import entry_point, transaction_step
from cspbilling.escalations.locks import lock_escalation
from cspbilling.escalations.models import Escalation, EscalationStatus, RejectedCreditLine
from cspbilling.escalations.services.candidates import credit_lines
from cspbilling.escalations.services.events import EscalationError, record_escalation_event
from cspbilling.escalations.services.matching import match_credit_of, match_line
from cspbilling.escalations.services.shortfall import make_up_shortfall
from cspbilling.invoicing.services import HoldError, release_upstream_line
from cspbilling.upstream.models import UpstreamLineItem

MAX_REASON = 500


def _flagged(escalation: Escalation, upstream_line_id: int | None) -> int:
    """The flagged line's id; refused if none is flagged, or another line than the one named."""
    flagged = escalation.oversized_credit_line_id
    if (
        upstream_line_id not in (None, flagged)
        and not UpstreamLineItem.objects.filter(pk=upstream_line_id).exists()
    ):
        raise EscalationError(f"there is no upstream line {upstream_line_id}")
    if flagged is None:
        raise EscalationError(f"{escalation.reference} has no credit waiting to be checked")
    if upstream_line_id is not None and upstream_line_id != flagged:
        raise EscalationError(
            f"upstream line {upstream_line_id} is not the credit flagged for "
            f"{escalation.reference} (that is upstream line {flagged})"
        )
    return flagged


@transaction_step
def accept_larger_credit(
    *, escalation: Escalation, actor: str, upstream_line_id: int | None = None
) -> Escalation:
    """Finance checked the flagged credit (larger than promised, or not surely this
    escalation's) with 21Vianet: it is this escalation's. Matched (or, matched short already,
    taken as the rest); the customer is credited at most the promised amount."""
    escalation = lock_escalation(escalation.pk)
    flagged = _flagged(escalation, upstream_line_id)
    if not escalation.waits_for_credit:
        raise EscalationError(
            f"{escalation.reference} is matched already (upstream line "
            f"{escalation.credit_upstream_line_id}): reject upstream line {flagged} as not "
            "this escalation's if it is not"
        )
    line = credit_lines(escalation).filter(pk=flagged).first()
    if line is None:
        raise EscalationError(
            f"upstream line {flagged} is no longer a credit this escalation can take (another "
            "escalation matched it)"
        )
    if escalation.credit_upstream_line_id is None:
        match_line(escalation, line, actor=actor)
    else:
        make_up_shortfall(escalation, line, actor=actor)
    return escalation


@transaction_step
def reject_credit_line(
    *, escalation: Escalation, upstream_line_id: int, reason: str, actor: str
) -> Escalation:
    """Finance checked the flagged credit line with 21Vianet: it is not this escalation's
    (`reason`, staff read it). Billed as usual from the next billing run; the escalation keeps
    waiting for its credit."""
    reason = " ".join((reason or "").split())
    if not reason or len(reason) > MAX_REASON:
        raise EscalationError(
            f"say why the line is not this escalation's credit, in at most {MAX_REASON} characters"
        )
    escalation = lock_escalation(escalation.pk)
    flagged = _flagged(escalation, upstream_line_id)
    try:
        released = release_upstream_line(
            upstream_line_id=flagged,
            reference=escalation.reference,
            reason=f"not escalation {escalation.reference}'s credit: {reason}"[:300],
            actor=actor,
        )
    except HoldError as exc:
        raise EscalationError(str(exc)) from exc
    RejectedCreditLine.objects.create(
        escalation=escalation, upstream_line_id=flagged, reason=reason, rejected_by=actor
    )
    escalation.oversized_credit_line_id, escalation.flagged_credit = None, ""
    escalation.save(update_fields=["oversized_credit_line_id", "flagged_credit"])
    record_escalation_event(
        escalation,
        AuditAction.ESCALATION_CREDIT_LINE_REJECTED,
        actor=actor,
        after={"upstream_line": flagged, "reason": reason},
    )
    billing = "billed as usual from the next billing run" if released else "left as it was billed"
    add_note(
        case=escalation.case,
        body=f"Upstream line {flagged} is not 21Vianet's credit for {escalation.reference} "
        f"({reason}): {billing}. {escalation.reference} keeps waiting for its credit.",
        actor=actor,
    )
    if escalation.status in (EscalationStatus.UPHELD, EscalationStatus.CLOSED):
        match_credit_of(escalation, actor=actor)  # the next candidate, if one waits
    return escalation


do_accept_larger_credit = entry_point(accept_larger_credit)
do_reject_credit_line = entry_point(reject_credit_line)
