"""What every case change leaves behind, in its transaction: an audit event and, when a webhook
is configured, a signed webhook through the outbox (never with internal text)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import record_event
from cspbilling.cases.models import Case, CaseMessage
from cspbilling.notifications.services import queue_webhook

WEBHOOK_EVENTS = {
    AuditAction.CASE_OPENED,
    AuditAction.CASE_REPLIED,
    AuditAction.CASE_CUSTOMER_WROTE,
    AuditAction.CASE_WAITING_ON_CUSTOMER,
    AuditAction.CASE_ESCALATED,
    AuditAction.CASE_RESOLVED,
    AuditAction.CASE_REOPENED,
    AuditAction.CASE_CLOSED,
    AuditAction.CASE_RATED,
    AuditAction.CASE_NOTE_ADDED,
}


def case_facts(case: Case) -> dict[str, Any]:
    return {
        "reference": case.reference,
        "status": case.status,
        "category": case.category,
        "priority": case.priority,
        "customer_tenant_id": str(case.customer.tenant_id) if case.customer_id else None,
        "subject": case.subject,
        "assignee": case.assignee.username if case.assignee_id else None,
    }


def webhook_body(
    case: Case, action: AuditAction, message: CaseMessage | None, sequence: int
) -> dict[str, Any]:
    body: dict[str, Any] = {"event": action.value, "sequence": sequence, "case": case_facts(case)}
    if message is not None and message.is_public:
        body["message"] = {
            "id": message.pk,
            "author_kind": message.author_kind,
            "body": message.body,
            "created_at": message.created_at.isoformat(),
        }
    return body


def record_case_event(
    case: Case,
    action: AuditAction,
    *,
    actor: str,
    before: Any = None,
    after: Any = None,
    message: CaseMessage | None = None,
) -> None:
    event = record_event(
        actor=actor,
        action=action,
        object_type="case",
        object_id=case.reference,
        before=before,
        after=after,
        context={"customer": case.customer_id, "message": message.pk if message else None},
    )
    if settings.CASES_WEBHOOK_URL and action in WEBHOOK_EVENTS:
        queue_webhook(
            url=settings.CASES_WEBHOOK_URL,
            body=webhook_body(case, action, message, event.pk),
            secret_name=settings.CASES_WEBHOOK_SECRET_NAME,
            idempotency_key=f"case-event:{case.reference}:{event.pk}",
            related=("case", case.reference),
            actor=actor,
        )
