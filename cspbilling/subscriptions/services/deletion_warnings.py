"""Queueing the warnings before a suspended subscription's data is deleted (see
`subscriptions.deletion_warnings` for the thresholds)."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.translation import ngettext

from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import record_event
from cspbilling.core.services import entry_point, transaction_step
from cspbilling.customers.selectors import billing_emails
from cspbilling.notifications.models import OutboundMessage
from cspbilling.notifications.services import queue_email
from cspbilling.subscriptions.deletion_warnings import WARNING_DAYS, warning_threshold
from cspbilling.subscriptions.models import Suspension, SuspensionStatus


def _customer_warning(suspension: Suspension, *, days_left: int, key: str, actor: str) -> bool:
    sub = suspension.subscription
    to = billing_emails(sub.customer)
    if not to:
        return False
    language = sub.customer.language or "zh-hans"
    with translation.override(language):
        body = render_to_string(
            "subscriptions/email/deletion_warning.txt",
            {
                "customer": sub.customer,
                "subscription": sub,
                "days_left": days_left,
                "deletion_date": formats.date_format(suspension.data_deletion_on, "DATE_FORMAT"),
            },
        )
        subject = ngettext(
            "%(name)s: its data will be deleted tomorrow",
            "%(name)s: its data will be deleted in %(days)d days",
            days_left,
        ) % {"name": str(sub), "days": days_left}
    queue_email(
        to=to,
        subject=subject,
        body=body.strip() + "\n",
        idempotency_key=key,
        related=("suspension", suspension.pk),
        actor=actor,
        language=language,
    )
    return True


def _staff_warning(suspension: Suspension, *, days_left: int, key: str, actor: str) -> None:
    if not settings.STAFF_ALERT_EMAILS:
        return
    sub = suspension.subscription
    queue_email(
        to=list(settings.STAFF_ALERT_EMAILS),
        subject=f"[cspbilling] data deletion in {days_left} day(s): {sub} "
        f"({sub.customer.display_name})",
        body=(
            f"Subscription {sub} ({sub.subscription_id}) of {sub.customer.display_name} has been "
            f"suspended since {suspension.suspended_at:%Y-%m-%d} "
            f"({suspension.get_reason_display()}).\n"
            f"Its data will be deleted by the cloud on {suspension.data_deletion_on} "
            f"({days_left} day(s) left) unless it is reactivated.\n"
        ),
        idempotency_key=key + ":staff",
        related=("suspension", suspension.pk),
        actor=actor,
    )


@transaction_step
def send_data_deletion_warnings(*, today: date, actor: str = "system") -> int:
    """Queue the warnings due today; returns how many suspensions were warned."""
    warned = 0
    due = (
        Suspension.objects.filter(
            status=SuspensionStatus.SUSPENDED,
            data_deletion_on__gte=today,
            data_deletion_on__lte=today + timedelta(days=max(WARNING_DAYS)),
        )
        .select_related("subscription__customer")
        .order_by("data_deletion_on", "pk")
    )
    for suspension in due:
        days_left = (suspension.data_deletion_on - today).days
        threshold = warning_threshold(days_left)
        key = f"suspension:{suspension.pk}:deletion-warning:{threshold}"
        if threshold is None or OutboundMessage.objects.filter(idempotency_key=key).exists():
            continue
        told_customer = _customer_warning(suspension, days_left=days_left, key=key, actor=actor)
        _staff_warning(suspension, days_left=days_left, key=key, actor=actor)
        record_event(
            actor=actor,
            action=AuditAction.SUSPENSION_DELETION_WARNING_SENT,
            object_type="subscription",
            object_id=suspension.subscription.subscription_id,
            after={"days_left": days_left, "data_deletion_on": suspension.data_deletion_on},
            context={
                "suspension_id": suspension.pk,
                "customer_notified": told_customer,
                "staff_notified": bool(settings.STAFF_ALERT_EMAILS),
            },
        )
        warned += 1
    return warned


do_send_data_deletion_warnings = entry_point(send_data_deletion_warnings)
