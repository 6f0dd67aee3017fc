"""Customer notices about suspensions: written to the outbox in the caller's transaction, in the
customer's language, to its billing contacts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.translation import gettext, ngettext

from cspbilling.customers.models import Customer
from cspbilling.customers.selectors import billing_emails
from cspbilling.notifications.models import OutboundMessage
from cspbilling.notifications.services import OutboxError, queue_email
from cspbilling.subscriptions.models import Subscription, Suspension
from cspbilling.subscriptions.wording import customer_next_step, customer_reason

NO_CONTACT_NOTE = "no customer notice: the customer has no billing contact with an email address"


def _language(customer: Customer) -> str:
    return customer.language or "zh-hans"


def _queue(
    suspension, to, subject, body, *, kind: str, lang: str, actor: str
) -> OutboundMessage | None:
    """The notice in the outbox; None, and the reason on the suspension for staff to see, when
    it cannot be built (a bad address or header from outside): the decision goes through."""
    try:
        with transaction.atomic():  # a savepoint: a refused notice leaves nothing behind
            return queue_email(
                to=to,
                subject=subject,
                body=body.strip() + "\n",
                idempotency_key=f"suspension:{suspension.pk}:{kind}",
                related=("suspension", suspension.pk),
                actor=actor,
                language=lang,
            )
    except OutboxError as exc:
        suspension.notice_note = f"the customer notice could not be sent: {exc}"
        return None


def queue_suspension_notice(
    *,
    suspension: Suspension,
    subscriptions: Sequence[Subscription],
    deletion_date: date,
    actor: str,
) -> OutboundMessage | None:
    """The non-payment notice; None (and a note on the suspension) when nobody can receive it."""
    customer = subscriptions[0].customer
    to = billing_emails(customer)
    if not to:
        suspension.notice_note = NO_CONTACT_NOTE
        return None
    language = _language(customer)
    with translation.override(language):
        context = {
            "customer": customer,
            "subscriptions": subscriptions,
            "reason": customer_reason(suspension.reason),
            "next_step": customer_next_step(suspension.reason),
            "deletion_date": formats.date_format(deletion_date, "DATE_FORMAT"),
            "amount": suspension.amount,
            "currency": suspension.currency or customer.currency,
        }
        body = render_to_string("subscriptions/email/suspended.txt", context)
        subject = ngettext(
            "Your subscription is suspended: %(name)s",
            "Your subscriptions are suspended: %(name)s and others",
            len(subscriptions),
        ) % {"name": str(subscriptions[0])}
    return _queue(suspension, to, subject, body, kind="suspend-notice", lang=language, actor=actor)


def queue_reactivation_notice(
    *, suspension: Suspension, subscriptions: Sequence[Subscription], actor: str
) -> OutboundMessage | None:
    customer = subscriptions[0].customer
    to = billing_emails(customer)
    if not to:
        suspension.notice_note = NO_CONTACT_NOTE
        return None
    language = _language(customer)
    with translation.override(language):
        body = render_to_string(
            "subscriptions/email/reactivated.txt",
            {"customer": customer, "subscriptions": subscriptions},
        )
        subject = gettext("Your subscription is being reactivated: %(name)s") % {
            "name": str(subscriptions[0])
        }
    return _queue(
        suspension, to, subject, body, kind="reactivate-notice", lang=language, actor=actor
    )
