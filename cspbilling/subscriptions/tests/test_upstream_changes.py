"""Suspensions done in Partner Center itself are picked up by the sync."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cspbilling.audit.models import AuditEvent
from cspbilling.subscriptions.models import (
    Subscription,
    SubscriptionStatus,
    Suspension,
    SuspensionReason,
    SuspensionStatus,
)
from cspbilling.subscriptions.services import do_suspend_subscription
from cspbilling.sync.services import sync_from_partner_center

pytestmark = pytest.mark.django_db(transaction=True)


def an_active_top_level_subscription() -> Subscription:
    return Subscription.objects.filter(
        status=SubscriptionStatus.ACTIVE, parent_subscription_id=""
    ).first()


def set_upstream(pc_client, sub: Subscription, status: str) -> None:
    tenant = str(sub.customer.tenant_id)
    pc_client.set_subscription_status(
        tenant, pc_client.get_subscription(tenant, sub.subscription_id), status
    )


def test_a_suspension_done_in_partner_center_starts_the_deletion_countdown(pc_sandbox, pc_client):
    sync_from_partner_center(client=pc_client)
    sub = an_active_top_level_subscription()
    set_upstream(pc_client, sub, "suspended")

    sync_from_partner_center(client=pc_client)

    episode = Suspension.objects.get(subscription=sub)
    assert episode.status == SuspensionStatus.SUSPENDED
    assert episode.reason == SuspensionReason.OTHER
    assert "outside cspbilling" in episode.note
    assert episode.data_deletion_on == timezone.localdate() + timedelta(days=60)
    assert AuditEvent.objects.filter(
        action="suspension.seen_upstream", object_id=sub.subscription_id
    ).exists()

    set_upstream(pc_client, sub, "active")
    sync_from_partner_center(client=pc_client)

    episode.refresh_from_db()
    assert episode.status == SuspensionStatus.REACTIVATED and episode.reactivated_at
    assert AuditEvent.objects.filter(
        action="suspension.reactivated_upstream", object_id=sub.subscription_id
    ).exists()
    # Nothing new upstream: nothing new here.
    events = AuditEvent.objects.count()
    sync_from_partner_center(client=pc_client)
    assert AuditEvent.objects.count() == events
    assert Suspension.objects.filter(subscription=sub).count() == 1


def test_our_own_pending_suspension_is_left_to_its_command(pc_sandbox, pc_client):
    sync_from_partner_center(client=pc_client)
    sub = an_active_top_level_subscription()
    ours = do_suspend_subscription(subscription=sub, reason="non_payment", actor="finance")
    set_upstream(pc_client, sub, "suspended")  # as if the command had landed, unconfirmed

    sync_from_partner_center(client=pc_client)

    ours.refresh_from_db()
    assert ours.status == SuspensionStatus.REQUESTED
    assert Suspension.objects.filter(subscription=sub).count() == 1
