"""A cancelled Partner Center command never wedges its suspension, and only money roles may
cancel one (it changes a customer's access)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cspbilling.audit.models import AuditEvent
from cspbilling.notifications.models import MessageStatus
from cspbilling.subscriptions.models import SuspensionStatus
from cspbilling.subscriptions.services import do_reactivate_subscription, do_suspend_subscription

pytestmark = pytest.mark.django_db


def test_a_support_agent_cannot_cancel_a_partner_center_command(
    pc_settings, mirror_from_sandbox, staff_users, client_for
):
    m = mirror_from_sandbox()
    suspension = do_suspend_subscription(
        subscription=m.subscription, reason="non_payment", actor="finance1"
    )
    command = suspension.suspend_command
    url = reverse("notifications:message_cancel", args=[command.pk])
    assert client_for(staff_users["support"]).post(url).status_code == 403
    command.refresh_from_db()
    assert command.status == MessageStatus.PENDING
    # The email notice is still theirs to cancel.
    notice = suspension.suspend_notice
    client_for(staff_users["support"]).post(
        reverse("notifications:message_cancel", args=[notice.pk])
    )
    notice.refresh_from_db()
    assert notice.status == MessageStatus.CANCELLED


def test_cancelling_the_suspend_command_fails_the_suspension_and_frees_the_subscription(
    pc_settings, mirror_from_sandbox, staff_users, client_for
):
    m = mirror_from_sandbox()
    suspension = do_suspend_subscription(
        subscription=m.subscription, reason="non_payment", actor="finance1"
    )
    client = client_for(staff_users["finance"])
    client.post(
        reverse("notifications:message_cancel", args=[suspension.suspend_command.pk]),
        {"reason": "wrong customer"},
    )
    suspension.refresh_from_db()
    assert suspension.status == SuspensionStatus.FAILED
    assert "cancelled by staff-finance: wrong customer" in suspension.failure
    # Not wedged: the subscription can be suspended again.
    again = do_suspend_subscription(subscription=m.subscription, reason="fraud", actor="finance1")
    assert again.status == SuspensionStatus.REQUESTED


def test_cancelling_a_reactivation_command_puts_the_suspension_back(
    pc_settings, mirror_from_sandbox, deliver_commands, staff_users, client_for
):
    m = mirror_from_sandbox()
    suspension = do_suspend_subscription(
        subscription=m.subscription, reason="non_payment", actor="finance1"
    )
    deliver_commands()
    m.subscription.refresh_from_db()
    reactivation = do_reactivate_subscription(subscription=m.subscription, actor="finance1")
    client_for(staff_users["admin"]).post(
        reverse("notifications:message_cancel", args=[reactivation.reactivate_command.pk])
    )
    suspension.refresh_from_db()
    assert suspension.status == SuspensionStatus.SUSPENDED
    assert AuditEvent.objects.filter(action="subscription.reactivation_withdrawn").exists()
    # Not wedged: it can be reactivated again.
    m.subscription.refresh_from_db()
    again = do_reactivate_subscription(subscription=m.subscription, actor="finance1")
    assert again.status == SuspensionStatus.REACTIVATION_REQUESTED
    assert again.reactivate_command.status == MessageStatus.PENDING
    assert again.reactivate_command.pk != reactivation.reactivate_command.pk
