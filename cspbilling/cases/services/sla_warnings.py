"""Warning staff by email of cases whose resolution target is due soon or breached. Each
warning is sent once per case, kind and due time (the outbox key says so): re-running the job
sends nothing twice."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from cspbilling.audit.actions import AuditAction
from cspbilling.cases.models import Case, CaseStatus
from cspbilling.cases.services.events import record_case_event
from cspbilling.cases.services.mail import queue_staff_email
from cspbilling.core.services import entry_point, transaction_step

WARNED_STATUSES = (CaseStatus.NEW, CaseStatus.OPEN, CaseStatus.ESCALATED)


@transaction_step
def warn_sla(*, now: datetime | None = None) -> list[str]:
    """Queue one warning per case due within CASES_SLA_DUE_SOON_HOURS or past due; returns the
    references warned this time."""
    now = now or timezone.now()
    soon = now + timedelta(hours=settings.CASES_SLA_DUE_SOON_HOURS)
    cases = (
        Case.objects.filter(status__in=WARNED_STATUSES, resolution_due_at__lte=soon)
        .select_related("assignee")
        .order_by("resolution_due_at", "pk")
    )
    warned = []
    for case in cases:
        kind = "breached" if case.resolution_due_at <= now else "due-soon"
        key = f"case-sla:{case.reference}:{kind}:{case.resolution_due_at:%Y%m%dT%H%M%S}"
        to = list(settings.CASES_SLA_WARNING_EMAILS)
        if case.assignee_id and case.assignee.email:
            to.insert(0, case.assignee.email)
        to = list(dict.fromkeys(to))
        if not to:
            continue
        due = timezone.localtime(case.resolution_due_at)
        text = "is past its resolution target" if kind == "breached" else "is due soon"
        from cspbilling.notifications.models import OutboundMessage

        if OutboundMessage.objects.filter(idempotency_key=key).exists():
            continue
        queue_staff_email(
            to=to,
            subject=f"[{case.reference}] {text}: {case.subject}"[:250],
            body=f"{case.reference} ({case.priority}) {text}: due {due:%Y-%m-%d %H:%M}.",
            key=key,
            actor="system",
        )
        case.sla_warned_at = now
        case.save(update_fields=["sla_warned_at"])
        record_case_event(case, AuditAction.CASE_SLA_WARNED, actor="system", after={"kind": kind})
        warned.append(case.reference)
    return warned


do_warn_sla = entry_point(warn_sla)
