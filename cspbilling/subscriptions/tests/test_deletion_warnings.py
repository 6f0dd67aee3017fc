"""Before the cloud deletes a suspended subscription's data, the customer and staff are warned."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from cspbilling.audit.models import AuditEvent
from cspbilling.customers.models import BillingContact
from cspbilling.notifications.models import OutboundMessage
from cspbilling.notifications.services import do_deliver_message
from cspbilling.subscriptions.models import Suspension, SuspensionStatus
from cspbilling.subscriptions.services import do_send_data_deletion_warnings

TODAY = date(2026, 11, 24)


@pytest.fixture
def suspended(make_customer, make_subscription):
    def make(*, days_left: int, language: str = "fr", email: str = "compta@example.fr"):
        customer = make_customer("Boulangerie Paris Chine", language=language)
        if email:
            BillingContact.objects.create(customer=customer, email=email, is_primary=True)
        sub = make_subscription(customer, offer_name="Office 365 E3", status="suspended")
        return Suspension.objects.create(
            subscription=sub,
            reason="non_payment",
            status=SuspensionStatus.SUSPENDED,
            requested_by="finance",
            suspended_at=timezone.now() - timedelta(days=60 - days_left),
            data_deletion_on=TODAY + timedelta(days=days_left),
        )

    return make


def warnings_for(suspension) -> list[OutboundMessage]:
    return list(
        OutboundMessage.objects.filter(
            idempotency_key__startswith=f"suspension:{suspension.pk}:deletion-warning"
        ).order_by("id")
    )


@pytest.mark.django_db
def test_a_warning_in_the_customers_language_and_one_for_staff(suspended, settings):
    settings.STAFF_ALERT_EMAILS = ["collections@partner.example"]
    suspension = suspended(days_left=10)

    assert do_send_data_deletion_warnings(today=TODAY) == 1

    customer_mail, staff_mail = warnings_for(suspension)
    assert customer_mail.payload["to"] == ["compta@example.fr"]
    assert "seront supprimées dans 10 jours" in customer_mail.payload["subject"]
    assert "4 décembre 2026" in customer_mail.payload["body"]
    assert staff_mail.payload["to"] == ["collections@partner.example"]
    assert "10 day(s) left" in staff_mail.payload["body"]
    event = AuditEvent.objects.get(action="suspension.deletion_warning_sent")
    assert event.context["customer_notified"] and event.context["staff_notified"]


@pytest.mark.django_db
def test_one_warning_per_threshold_however_often_the_job_runs(suspended, settings):
    settings.STAFF_ALERT_EMAILS = []
    suspension = suspended(days_left=10, language="zh-hans")

    do_send_data_deletion_warnings(today=TODAY)
    do_send_data_deletion_warnings(today=TODAY)  # the same day again
    do_send_data_deletion_warnings(today=TODAY + timedelta(days=1))  # 9 days left: still "14"
    assert len(warnings_for(suspension)) == 1
    assert "10 天后" in warnings_for(suspension)[0].payload["subject"]

    do_send_data_deletion_warnings(today=TODAY + timedelta(days=3))  # 7 days left
    do_send_data_deletion_warnings(today=TODAY + timedelta(days=9))  # 1 day left
    subjects = [m.payload["subject"] for m in warnings_for(suspension)]
    assert len(subjects) == 3 and "1 天后" in subjects[-1]


@pytest.mark.django_db
def test_nothing_for_reactivated_or_far_away_suspensions(suspended):
    far = suspended(days_left=45)
    done = suspended(days_left=5)
    done.status = SuspensionStatus.REACTIVATED
    done.save()

    assert do_send_data_deletion_warnings(today=TODAY) == 0
    assert warnings_for(far) == [] and warnings_for(done) == []


@pytest.mark.django_db
def test_a_customer_without_email_is_recorded_and_staff_still_told(suspended, settings):
    settings.STAFF_ALERT_EMAILS = ["collections@partner.example"]
    suspension = suspended(days_left=1, email="")

    do_send_data_deletion_warnings(today=TODAY)

    [staff_mail] = warnings_for(suspension)
    assert staff_mail.payload["to"] == ["collections@partner.example"]
    event = AuditEvent.objects.get(action="suspension.deletion_warning_sent")
    assert event.context["customer_notified"] is False


@pytest.mark.django_db(transaction=True)
def test_the_warning_reaches_a_real_mail_server(suspended, smtp_server, settings):
    settings.STAFF_ALERT_EMAILS = []
    suspension = suspended(days_left=14, language="en", email="ap@contoso.example")
    do_send_data_deletion_warnings(today=TODAY)
    [message] = warnings_for(suspension)

    assert do_deliver_message(message_id=message.pk, worker_id="test") == "delivered"

    [received] = smtp_server.received
    assert "its data will be deleted in 14 days" in received["subject"]
    body = received.get_payload(decode=True).decode(received.get_content_charset() or "utf-8")
    assert "Dec. 8, 2026" in body and "Deleted data cannot be recovered" in body
