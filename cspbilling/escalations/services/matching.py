"""21Vianet's promised credit, found on a later upstream invoice: matched by customer,
subscription, amount and period; then (on_arrival) the customer's credit notes are issued and
the case resolved. Run by every upstream import and periodically; idempotent."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from cspbilling.audit.actions import AuditAction
from cspbilling.cases.services import add_note
from cspbilling.core.services import entry_point, transaction_step
from cspbilling.escalations.locks import lock_escalation
from cspbilling.escalations.models import Escalation, EscalationStatus
from cspbilling.escalations.services.crediting import issue_credit_notes
from cspbilling.escalations.services.events import record_escalation_event
from cspbilling.escalations.services.settling import close_escalation
from cspbilling.upstream.models import UpstreamLineItem


def credit_candidates(escalation: Escalation):
    """Upstream lines that may be 21Vianet's promised credit: the customer's, on a disputed
    subscription, exactly minus the promised amount (before tax), for a period from the
    disputed one on, on an invoice other than the disputed ones, and no other escalation's."""
    lines = list(escalation.lines.all())
    start = min((line.charge_start for line in lines if line.charge_start), default=None)
    period = Q(charge_start__gte=start) | Q(charge_start=None) if start else Q()
    return (
        UpstreamLineItem.objects.filter(
            period,
            customer_tenant_id=escalation.customer.tenant_id,
            subscription_id__in={line.subscription_id for line in lines},
            amount_minor=-(escalation.promised_credit_minor or 0),
        )
        .exclude(invoice__invoice_id__in={line.upstream_invoice_id for line in lines})
        .exclude(
            pk__in=Escalation.objects.exclude(credit_upstream_line_id=None).values(
                "credit_upstream_line_id"
            )
        )
        .order_by("pk")
    )


@transaction_step
def match_credits(*, actor: str = "system") -> list[str]:
    """Every upheld escalation whose credit a later upstream invoice now carries: matched, and
    (on_arrival) the customer's credit note issued and the case resolved. Idempotent."""
    matched = []
    waiting = Escalation.objects.filter(
        status__in=(EscalationStatus.UPHELD, EscalationStatus.CLOSED),
        promised_credit_minor__isnull=False,
        credit_upstream_line_id=None,
    ).order_by("pk")
    for candidate in waiting:
        line = credit_candidates(candidate).first()
        if line is None:
            continue
        escalation = lock_escalation(candidate.pk)
        escalation.credit_upstream_line_id = line.pk
        escalation.credit_received_at = timezone.now()
        escalation.save(update_fields=["credit_upstream_line_id", "credit_received_at"])
        add_note(
            case=escalation.case,
            body=f"21Vianet's credit for {escalation.reference} arrived: upstream line "
            f"{line.pk} on invoice {line.invoice.invoice_id} ({escalation.promised_credit} "
            f"{escalation.currency}).",
            actor=actor,
        )
        record_escalation_event(
            escalation,
            AuditAction.ESCALATION_CREDIT_MATCHED,
            actor=actor,
            after={"upstream_line": line.pk, "invoice": line.invoice.invoice_id},
        )
        if escalation.status == EscalationStatus.UPHELD:
            issue_credit_notes(escalation, actor=actor)
            close_escalation(escalation, actor=actor)
        matched.append(escalation.reference)
    return matched


do_match_credits = entry_point(match_credits)
