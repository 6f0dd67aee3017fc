"""The emails a case sends to its customer, in the customer's language, threaded.

Only public messages are ever passed here: an internal note has no function that emails it.
The subject carries the case reference (`[CASE-000123] …`), the headers thread the reply under
the customer's last message (In-Reply-To, References), and Reply-To is the support mailbox, so
the customer's answer comes back to the case.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from cspbilling.cases.links import action_url
from cspbilling.cases.models import Case, CaseMessage, CaseStatus
from cspbilling.notifications.models import OutboundMessage
from cspbilling.notifications.services import queue_email
from cspbilling.notifications.transports import message_id_for

RATINGS = (5, 4, 3, 2, 1)


def case_subject(case: Case) -> str:
    subject = " ".join(case.subject.split())[:200]
    return f"[{case.reference}] {subject}"


def recipients(case: Case) -> list[str]:
    """Who reads the case's public messages: its contact (the sender), else the customer's
    billing contacts."""
    if case.contact_email:
        return [case.contact_email]
    if case.customer is None:
        return []
    from cspbilling.customers.selectors import billing_emails

    return billing_emails(case.customer)


def threading_headers(case: Case) -> dict[str, str]:
    ids = list(
        case.messages.exclude(message_id=None)
        .exclude(message_id="")
        .order_by("created_at", "id")
        .values_list("message_id", flat=True)
    )
    headers = {"Reply-To": settings.CASES_MAILBOX_ADDRESS, "X-CSPBilling-Case": case.reference}
    if ids:
        headers["In-Reply-To"] = ids[-1]
        headers["References"] = " ".join(ids[-20:])
    return headers


def _resolution_footer(case: Case) -> list[str]:
    ref = case.reference
    lines = [
        _("If this answers your question, please confirm: %(url)s")
        % {"url": action_url(reference=ref, action="confirm")},
        _("If it does not, reopen the case: %(url)s (or simply reply to this email)")
        % {"url": action_url(reference=ref, action="reopen")},
        _("Without an answer from you, the case closes itself in %(days)s days.")
        % {"days": settings.CASES_CONFIRMATION_WINDOW_DAYS},
        _("How did we do? Rate our answer with one click:"),
    ]
    for score in RATINGS:
        stars = "★" * score + "☆" * (5 - score)
        lines.append(f"  {stars}  {action_url(reference=ref, action='rate', rating=score)}")
    return lines


def queue_case_message_email(
    case: Case, message: CaseMessage, *, actor: str
) -> OutboundMessage | None:
    """Email one public message of the case to its customer (in the caller's transaction).
    None when nobody can receive it (a triage case from an unknown sender is never answered)."""
    if not message.is_public:
        raise ValueError("an internal note is never emailed")
    to = recipients(case)
    if not to or case.customer is None:
        return None
    key = f"case-message:{case.reference}:{message.pk}"
    headers = threading_headers(case)
    with translation.override(case.language):
        parts = [message.body.strip()]
        if message.is_resolution and case.status == CaseStatus.RESOLVED:
            parts.append("\n".join(_resolution_footer(case)))
        parts.append(
            _("Case %(reference)s. Reply to this email to add to it.")
            % {"reference": case.reference}
        )
        body = "\n\n".join(parts)
    outbound = queue_email(
        to=to,
        subject=case_subject(case),
        body=body,
        idempotency_key=key,
        related=("case", case.reference),
        actor=actor,
        language=case.language,
        headers=headers,
    )
    message.outbound_message_id = outbound.pk
    message.message_id = message_id_for(key)
    message.save(update_fields=["outbound_message_id", "message_id"])
    return outbound


def queue_staff_email(*, to: list[str], subject: str, body: str, key: str, actor: str) -> None:
    """A message to staff (SLA warnings, technical support hand-over), in English."""
    if to:
        queue_email(to=to, subject=subject, body=body, idempotency_key=key, actor=actor)
