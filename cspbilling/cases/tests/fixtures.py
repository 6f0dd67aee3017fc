"""Fixtures of cases tests: a case factory and the outbox delivered to a real SMTP server."""

from __future__ import annotations

import pytest

from cspbilling.notifications.models import MessageStatus, OutboundMessage


@pytest.fixture
def make_case(customer_a):
    """make_case(customer=customer_a, **open_case kwargs) -> a Case opened from the portal."""
    from cspbilling.cases.services import do_open_case

    def make(customer=None, **kwargs):
        customer = customer if customer is not None else customer_a
        kwargs.setdefault("subject", "发票金额不对 Invoice amount looks wrong")
        kwargs.setdefault("body", "Our October invoice seems too high. Please check.")
        kwargs.setdefault("category", "invoice_question")
        kwargs.setdefault("channel", "portal")
        kwargs.setdefault("actor", "portal-a")
        if customer is not None:
            kwargs.setdefault(
                "contact_email", customer.contacts.values_list("email", flat=True).first() or ""
            )
        return do_open_case(customer=customer, **kwargs)

    return make


@pytest.fixture
def deliver_outbox():
    """deliver_outbox() -> delivers every pending outbox message once (emails to the test SMTP
    server of `smtp_server`), returns {idempotency_key: outcome}."""
    from cspbilling.notifications.services import do_deliver_message

    def deliver() -> dict[str, str]:
        pending = OutboundMessage.objects.filter(status=MessageStatus.PENDING).order_by("pk")
        return {
            m.idempotency_key: do_deliver_message(message_id=m.pk, worker_id="test")
            for m in pending
        }

    return deliver


def case_emails(case) -> list[OutboundMessage]:
    return list(
        OutboundMessage.objects.filter(
            object_type="case", object_id=case.reference, kind="email"
        ).order_by("pk")
    )
