"""Upstream lines held out of billing while someone decides how they reach the customer (a
credit that may be 21Vianet's for an upheld escalation: finance checks it with 21Vianet). Until
the decision no billing run bills the line: each lists it as unbilled, "held for a decision",
with the reason staff read. Invoicing knows nothing of who holds: the caller names the reason
and its reference.

- `hold_upstream_line`: not billed, held; billed on a draft, held and the draft's line made
  again without it (as `settlements.settle_upstream_line` does); billed on an issued invoice,
  refused (the customer has it already: the caller decides).
- The decision: settled (`settle_upstream_line`, the settlement replaces the hold), or released
  to ordinary billing (`release_upstream_line`: the next billing run bills it).

A held line follows a re-issue of its invoice as a settled one does (`line_keys.py`).
"""

from __future__ import annotations

from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import record_event
from cspbilling.core.services import transaction_step
from cspbilling.invoicing.models import HeldUpstreamLine
from cspbilling.invoicing.services.line_keys import line_key
from cspbilling.invoicing.services.settlements import (
    MAX_REASON,
    take_off_draft,
    upstream_line_billing,
)
from cspbilling.upstream.models import UpstreamLineItem


class HoldError(ValueError):
    """The line cannot be held (or released); the message says why."""


def _clean(text: str, what: str) -> str:
    text = " ".join((text or "").split())
    if not text or len(text) > MAX_REASON:
        raise HoldError(f"say {what}, in at most {MAX_REASON} characters")
    return text


@transaction_step
def hold_upstream_line(
    *, upstream_line_id: int, reason: str, reference: str, actor: str
) -> HeldUpstreamLine:
    """No billing run bills the line until `reference` decides (`reason`: who decides what,
    staff read it). Taken off the draft that bills it, if any; refused if it is settled, held
    for another reference, or billed on an issued invoice. Holding it again for the same
    reference changes nothing."""
    reason = _clean(reason, "who decides what about the line")
    billing = upstream_line_billing(upstream_line_id=upstream_line_id)
    if billing.hold is not None:
        if billing.hold.reference == reference:
            return billing.hold
        raise HoldError(f"upstream line {upstream_line_id} is held already: {billing.hold.reason}")
    if billing.settlement is not None:
        raise HoldError(
            f"upstream line {upstream_line_id} is settled outside billing: "
            f"{billing.settlement.reason}"
        )
    if billing.on_issued_invoice:
        raise HoldError(
            f"upstream line {upstream_line_id} is billed on issued invoice "
            f"{billing.invoice.number}: the customer has it already"
        )
    taken_off = take_off_draft(billing.invoice_line, upstream_line_id) if billing.on_draft else None
    held = HeldUpstreamLine.objects.create(
        upstream_line_id=upstream_line_id,
        upstream_invoice_id=billing.upstream.invoice_id,
        line_key=line_key(billing.upstream),
        reason=reason,
        reference=reference,
        held_by=actor,
    )
    record_event(
        actor=actor,
        action=AuditAction.UPSTREAM_LINE_HELD,
        object_type="upstream_line",
        object_id=upstream_line_id,
        after={"reason": reason, "reference": reference, "taken_off_draft": taken_off},
    )
    return held


@transaction_step
def release_upstream_line(
    *, upstream_line_id: int, reference: str, reason: str, actor: str
) -> bool:
    """`reference` decided the held line is billed as usual (`reason`, staff read it): the
    hold goes, audited, and the next billing run bills the line. Whether it was held (a line
    that was not, say billed on an issued invoice when it was flagged, changes nothing)."""
    reason = _clean(reason, "why it is billed as usual")
    if UpstreamLineItem.objects.filter(pk=upstream_line_id).exists():
        hold = upstream_line_billing(upstream_line_id=upstream_line_id).hold
    else:  # 21Vianet took the line off a re-issue: nothing is left to bill, the hold goes
        hold = HeldUpstreamLine.objects.filter(upstream_line_id=upstream_line_id).first()
    if hold is None:
        return False
    if hold.reference != reference:
        raise HoldError(
            f"upstream line {upstream_line_id} is held for {hold.reference}, not {reference}"
        )
    before = {"reason": hold.reason, "reference": reference}
    hold.delete()
    record_event(
        actor=actor,
        action=AuditAction.UPSTREAM_LINE_RELEASED,
        object_type="upstream_line",
        object_id=upstream_line_id,
        before=before,
        after={"reason": reason},
    )
    return True
