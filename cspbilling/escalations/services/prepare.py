"""Escalating a case: one action creates the escalation and prepares the whole request (Chinese
title and description, the disputed upstream lines as CSV, a severity), moves the case to
`escalated` and tells the customer what happens next. The agent may edit it before filing."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from cspbilling.audit.actions import AuditAction
from cspbilling.cases.locks import lock_case
from cspbilling.cases.models import Case, CaseStatus, Channel
from cspbilling.cases.services import end_escalation
from cspbilling.cases.services import escalate_case as move_case_to_escalated
from cspbilling.cases.services.cases import publish_staff_message
from cspbilling.core.services import entry_point, transaction_step
from cspbilling.escalations import request_text, texts, transitions
from cspbilling.escalations.clock import business_days_later
from cspbilling.escalations.locks import lock_escalation
from cspbilling.escalations.models import (
    Cause,
    EscalatedLine,
    Escalation,
    EscalationChannel,
    EscalationStatus,
    Severity,
)
from cspbilling.escalations.services.events import EscalationError, record_escalation_event
from cspbilling.escalations.services.holds import hold_for_escalation, release_escalation_hold
from cspbilling.invoicing.models import BilledUpstreamLine
from cspbilling.upstream.models import UpstreamLineItem


class AlreadyEscalated(EscalationError):
    """A disputed line is in an open escalation already: `existing` is that one (shown)."""

    def __init__(self, existing: Escalation, line_ids: Sequence[int]) -> None:
        self.existing = existing
        ids = ", ".join(str(i) for i in line_ids)
        super().__init__(f"upstream line(s) {ids} are already escalated in {existing.reference}")


def channel_for_cloud() -> tuple[str, str]:
    cloud = settings.PARTNER_CENTER.get("CLOUD", "china")
    return cloud, settings.ESCALATIONS_CHANNEL.get(cloud, EscalationChannel.PORTAL)


def disputed_lines(case: Case, upstream_line_ids: Sequence[int] | None) -> list[UpstreamLineItem]:
    """The upstream lines in dispute: those named (the customer's own), else those its case's
    invoice lines bill, else those behind the disputed invoice."""
    customer = case.customer
    lines = UpstreamLineItem.objects.select_related("invoice").order_by("pk")
    if upstream_line_ids:
        found = list(lines.filter(pk__in=upstream_line_ids, customer_tenant_id=customer.tenant_id))
        missing = sorted(set(upstream_line_ids) - {line.pk for line in found})
        if missing:
            raise EscalationError(f"upstream line(s) {missing} are not {customer}'s")
        return found
    billed = BilledUpstreamLine.objects.all()
    if case.invoice_lines.exists():
        billed = billed.filter(invoice_line__in=case.invoice_lines.all())
    elif case.disputed_invoice_id:
        billed = billed.filter(invoice_line__invoice_id=case.disputed_invoice_id)
    else:
        return []
    ids = list(billed.values_list("upstream_line_id", flat=True))
    return list(lines.filter(pk__in=ids, customer_tenant_id=customer.tenant_id))


def _refuse_if_escalated(line_ids: list[int]) -> None:
    taken = (
        EscalatedLine.objects.filter(upstream_line_id__in=line_ids, is_open=True)
        .select_related("escalation")
        .order_by("pk")
    )
    first = taken.first()
    if first is not None:
        raise AlreadyEscalated(
            first.escalation, sorted(t.upstream_line_id for t in taken if t.escalation_id)
        )


@transaction_step
def escalate_case(
    *,
    case: Case,
    actor: str,
    cause: str = Cause.OTHER,
    severity: str = Severity.MODERATE,
    upstream_line_ids: Sequence[int] | None = None,
    checked: str = "",
    asked: str = "",
) -> Escalation:
    """The escalation of `case`, prepared. Refused (AlreadyEscalated, naming the first) when a
    disputed line is escalated already."""
    if cause not in Cause.values:
        raise EscalationError(f"{cause!r} is not a cause ({', '.join(Cause.values)})")
    if severity not in Severity.values:
        raise EscalationError(f"{severity!r} is not a severity ({', '.join(Severity.values)})")
    case = lock_case(case.pk)
    if case.customer_id is None:
        raise EscalationError(f"{case.reference} is in triage: say whose customer it is first")
    if not case.is_open:
        raise EscalationError(f"{case.reference} is {case.status}: reopen it to escalate")
    lines = disputed_lines(case, upstream_line_ids)
    if not lines:
        raise EscalationError(
            f"{case.reference} names no upstream line: link the disputed invoice lines or name "
            "the 21Vianet reconciliation lines"
        )
    _refuse_if_escalated([line.pk for line in lines])
    cloud, channel = channel_for_cloud()
    now = timezone.now()
    escalation = Escalation.objects.create(
        case=case,
        customer=case.customer,
        channel=channel,
        cloud=cloud,
        cause=cause,
        severity=severity,
        title="-",
        description="-",
        lines_csv="",
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    escalation.reference = f"ESC-{escalation.pk:06d}"
    prepared = request_text.prepare(
        reference=escalation.reference,
        case=case,
        lines=lines,
        cause=cause,
        checked=checked,
        asked=asked,
    )
    escalation.title, escalation.description = prepared.title, prepared.description
    escalation.lines_csv, escalation.currency = prepared.lines_csv, prepared.currency
    escalation.disputed_minor = prepared.disputed_minor
    days = settings.ESCALATIONS_CUSTOMER_UPDATE_BUSINESS_DAYS
    escalation.next_customer_update_at = business_days_later(now, days)
    escalation.save()
    try:
        with transaction.atomic():  # a twin escalating the same line at the same time loses
            EscalatedLine.objects.bulk_create(
                EscalatedLine(
                    escalation=escalation,
                    upstream_line_id=line.pk,
                    upstream_invoice_id=line.invoice.invoice_id,
                    subscription_id=line.subscription_id,
                    charge_start=line.charge_start,
                    charge_end=line.charge_end,
                    amount_minor=line.amount_minor,
                )
                for line in lines
            )
    except IntegrityError:
        _refuse_if_escalated([line.pk for line in lines])
        raise
    hold_for_escalation(
        escalation=escalation, upstream_line_ids=[line.pk for line in lines], actor=actor
    )
    if case.status != CaseStatus.ESCALATED:
        move_case_to_escalated(case=case, actor=actor, note=escalation.reference)
    publish_staff_message(
        case,
        body=texts.escalated(
            case.language, case=case.reference, escalation=escalation.reference, days=days
        ),
        actor=actor,
        channel=Channel.CONSOLE,
    )
    record_escalation_event(
        escalation,
        AuditAction.ESCALATION_PREPARED,
        actor=actor,
        after={
            "case": case.reference,
            "channel": channel,
            "lines": [line.pk for line in lines],
            "disputed_minor": escalation.disputed_minor,
        },
    )
    return escalation


@transaction_step
def edit_request(
    *, escalation: Escalation, actor: str, title: str, description: str, severity: str
) -> Escalation:
    """The agent's corrections, before filing."""
    escalation = lock_escalation(escalation.pk)
    if escalation.status != EscalationStatus.PREPARED:
        raise EscalationError(f"{escalation.reference} is {escalation.status}: filed as it was")
    if severity not in Severity.values:
        raise EscalationError(f"{severity!r} is not a severity")
    title, description = " ".join((title or "").split()), (description or "").strip()
    if not title or not description:
        raise EscalationError("the title and the description are required")
    if escalation.reference not in title:
        raise EscalationError(f"keep our reference {escalation.reference} in the title")
    before = {"title": escalation.title, "severity": escalation.severity}
    escalation.title, escalation.description = title[:300], description
    escalation.severity, escalation.updated_at = severity, timezone.now()
    escalation.save()
    record_escalation_event(
        escalation,
        AuditAction.ESCALATION_EDITED,
        actor=actor,
        before=before,
        after={"title": escalation.title, "severity": severity},
    )
    return escalation


@transaction_step
def cancel_escalation(*, escalation: Escalation, actor: str, reason: str) -> Escalation:
    """A prepared request that will not be filed: its lines are free again, and its case is
    ours again (open, its clock running) unless another escalation of it waits on 21Vianet."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise EscalationError("say why the request is not filed: it is kept in the history")
    escalation = lock_escalation(escalation.pk)
    transitions.cancel(escalation, at=timezone.now())
    escalation.save()
    escalation.lines.update(is_open=False)
    release_escalation_hold(escalation=escalation, reason=f"cancelled: {reason}", actor=actor)
    record_escalation_event(
        escalation, AuditAction.ESCALATION_CANCELLED, actor=actor, after={"reason": reason}
    )
    end_escalation(case=escalation.case, actor=actor, note=f"{escalation.reference} cancelled")
    return escalation


do_escalate_case = entry_point(escalate_case)
do_edit_request = entry_point(edit_request)
do_cancel_escalation = entry_point(cancel_escalation)
