"""Values from outside cannot wedge a suspension: cleaned where they enter, and a notice that
cannot be built never blocks the decision (the reason is shown to staff)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cspbilling.audit.models import AuditEvent
from cspbilling.notifications.models import OutboundMessage
from cspbilling.subscriptions.models import Subscription, SuspensionStatus
from cspbilling.subscriptions.services import do_reactivate_subscription, do_suspend_subscription
from cspbilling.subscriptions.tests.fixtures import sandbox_control
from cspbilling.sync.services import sync_from_partner_center

pytestmark = pytest.mark.django_db


def test_a_crlf_in_a_name_from_partner_center_is_cleaned_by_the_sync(
    pc_settings, pc_sandbox, pc_client
):
    customer = sandbox_control(pc_sandbox, "GET", "/v1/customers?size=1")["items"][0]
    subs = sandbox_control(pc_sandbox, "GET", f"/v1/customers/{customer['id']}/subscriptions")
    target = subs["items"][0]
    hostile = "Office 365 E3\r\nBcc: attacker@evil.example"
    sandbox_control(
        pc_sandbox,
        "PATCH",
        f"/v1/customers/{customer['id']}/subscriptions/{target['id']}",
        json={**target, "friendlyName": hostile},
    )
    sync_from_partner_center(client=pc_client)
    stored = Subscription.objects.get(subscription_id=target["id"])
    assert stored.friendly_name == "Office 365 E3  Bcc: attacker@evil.example"


def test_a_notice_that_cannot_be_built_does_not_block_suspension_or_reactivation(
    pc_settings, mirror_from_sandbox, staff_users, client_for
):
    m = mirror_from_sandbox()
    # A name stored before values were cleaned where they enter.
    Subscription.objects.filter(pk=m.subscription.pk).update(friendly_name="E3\r\nBcc: x@evil")
    m.subscription.refresh_from_db()

    suspension = do_suspend_subscription(
        subscription=m.subscription, reason="non_payment", actor="finance1"
    )
    assert suspension.status == SuspensionStatus.REQUESTED and suspension.suspend_command
    assert suspension.suspend_notice is None
    assert "the customer notice could not be sent" in suspension.notice_note
    assert not OutboundMessage.objects.filter(kind="email").exists()
    event = AuditEvent.objects.get(action="subscription.suspension_requested")
    assert "could not be sent" in event.context["notice"]
    page = client_for(staff_users["support"]).get(
        reverse("subscriptions:suspension_detail", args=[suspension.pk])
    )
    assert "the customer notice could not be sent" in page.content.decode()

    suspension.status = SuspensionStatus.SUSPENDED
    suspension.save(update_fields=["status"])
    reactivated = do_reactivate_subscription(subscription=m.subscription, actor="finance1")
    assert reactivated.status == SuspensionStatus.REACTIVATION_REQUESTED
    assert reactivated.reactivate_command is not None
