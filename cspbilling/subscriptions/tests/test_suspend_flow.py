"""Suspend and reactivate through the outbox against the Partner Center sandbox over HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cspbilling.audit.models import AuditEvent
from cspbilling.audit.selectors import verify_chain
from cspbilling.notifications.models import OutboundMessage
from cspbilling.subscriptions import tasks
from cspbilling.subscriptions.models import Suspension, SuspensionStatus
from cspbilling.subscriptions.services import (
    SuspensionError,
    do_reactivate_subscription,
    do_suspend_subscription,
)
from cspbilling.subscriptions.tests.fixtures import sandbox_control, upstream_subscription

pytestmark = pytest.mark.django_db


def actions_for(subscription_id: str) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_id=subscription_id)
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_suspend_then_reactivate_round_trip(
    pc_settings, pc_sandbox, mirror_from_sandbox, deliver_commands
):
    m = mirror_from_sandbox(language="fr")
    sid = m.subscription.subscription_id

    suspension = do_suspend_subscription(
        subscription=m.subscription, reason="non_payment", actor="finance1", note="3 invoices late"
    )

    assert suspension.status == SuspensionStatus.REQUESTED
    command = suspension.suspend_command
    assert command.idempotency_key == f"suspension:{suspension.pk}:suspend"
    assert command.payload == {
        "operation": "subscriptions.suspend",
        "args": {"suspension_id": suspension.pk},
    }
    assert upstream_subscription(pc_sandbox, m.tenant_id, sid)["status"] == "active"
    # The customer is told, in French, what, why and when its data goes.
    notice = suspension.suspend_notice
    assert notice.payload["language"] == "fr"
    assert notice.payload["to"] == [m.customer.contacts.get().email]
    deletion = timezone.localdate() + timedelta(days=60)
    assert "suspendu" in notice.payload["subject"]
    assert sid in notice.payload["body"]
    assert "le paiement de votre compte est en retard" in notice.payload["body"]
    assert str(deletion.year) in notice.payload["body"]

    assert deliver_commands() == {command.idempotency_key: "delivered"}

    assert upstream_subscription(pc_sandbox, m.tenant_id, sid)["status"] == "suspended"
    suspension.refresh_from_db()
    m.subscription.refresh_from_db()
    assert suspension.status == SuspensionStatus.SUSPENDED
    assert suspension.suspended_at is not None
    assert suspension.data_deletion_on == timezone.localdate(suspension.suspended_at) + timedelta(
        days=60
    )
    assert m.subscription.status == "suspended"
    assert m.subscription.suspension_reasons == ["PartnerInitiated"]

    suspension = do_reactivate_subscription(
        subscription=m.subscription, actor="finance1", note="paid"
    )
    assert suspension.status == SuspensionStatus.REACTIVATION_REQUESTED
    assert suspension.reactivate_notice.payload["language"] == "fr"
    assert deliver_commands() == {f"suspension:{suspension.pk}:reactivate": "delivered"}

    assert upstream_subscription(pc_sandbox, m.tenant_id, sid)["status"] == "active"
    suspension.refresh_from_db()
    m.subscription.refresh_from_db()
    assert suspension.status == SuspensionStatus.REACTIVATED and suspension.reactivated_at
    assert m.subscription.status == "active" and m.subscription.suspension_reasons == []
    assert actions_for(sid) == [
        "subscription.suspension_requested",
        "subscription.suspended",
        "subscription.reactivation_requested",
        "subscription.reactivated",
    ]
    assert verify_chain().ok


def test_running_the_handler_twice_changes_nothing(
    pc_settings, pc_sandbox, mirror_from_sandbox, deliver_commands
):
    m = mirror_from_sandbox()
    suspension = do_suspend_subscription(
        subscription=m.subscription, reason="fraud", actor="admin1"
    )
    deliver_commands()
    suspension.refresh_from_db()
    patches = len(pc_sandbox.requests("/v1/customers", "PATCH"))
    events = AuditEvent.objects.count()
    etag = upstream_subscription(pc_sandbox, m.tenant_id, m.subscription.subscription_id)[
        "attributes"
    ]["etag"]

    tasks.suspend(
        {"suspension_id": suspension.pk}, idempotency_key=f"suspension:{suspension.pk}:suspend"
    )

    after = Suspension.objects.get(pk=suspension.pk)
    assert (after.status, after.suspended_at, after.data_deletion_on) == (
        suspension.status,
        suspension.suspended_at,
        suspension.data_deletion_on,
    )
    assert len(pc_sandbox.requests("/v1/customers", "PATCH")) == patches
    assert AuditEvent.objects.count() == events
    assert (
        upstream_subscription(pc_sandbox, m.tenant_id, m.subscription.subscription_id)[
            "attributes"
        ]["etag"]
        == etag
    )


def test_a_crash_after_the_patch_is_finished_by_the_retry(
    pc_settings, pc_sandbox, mirror_from_sandbox, pc_client
):
    """Partner Center already suspended it (our worker died before saving): the next run only
    confirms, without a second PATCH."""
    m = mirror_from_sandbox()
    suspension = do_suspend_subscription(
        subscription=m.subscription, reason="misuse", actor="admin1"
    )
    current = pc_client.get_subscription(m.tenant_id, m.subscription.subscription_id)
    pc_client.set_subscription_status(m.tenant_id, current, "suspended")
    patches = len(pc_sandbox.requests("/v1/customers", "PATCH"))

    tasks.suspend({"suspension_id": suspension.pk}, idempotency_key="k")

    assert len(pc_sandbox.requests("/v1/customers", "PATCH")) == patches
    suspension.refresh_from_db()
    assert suspension.status == SuspensionStatus.SUSPENDED


def test_a_stale_etag_is_read_again_and_decided_again(
    pc_settings, pc_sandbox, mirror_from_sandbox, pc_client
):
    m = mirror_from_sandbox()
    sid = m.subscription.subscription_id
    suspension = do_suspend_subscription(
        subscription=m.subscription, reason="non_payment", actor="finance1"
    )
    # Someone else changes the subscription between our read and our write.
    real_get = pc_client.get_subscription
    bumped = []

    def get_then_change(cid, sub_id):
        read = real_get(cid, sub_id)
        if not bumped:
            sandbox_control(
                pc_sandbox,
                "PATCH",
                f"/_sandbox/customers/{cid}/subscriptions/{sub_id}",
                {"friendlyName": "Renamed by the customer's admin"},
            )
            bumped.append(True)
        return read

    pc_client.get_subscription = get_then_change
    upstream = tasks.set_upstream_status(pc_client, m.tenant_id, sid, "suspended")

    assert str(upstream.status) == "suspended"
    assert upstream.friendly_name == "Renamed by the customer's admin"  # not overwritten
    patches = pc_sandbox.requests(f"/v1/customers/{m.tenant_id}/subscriptions/{sid}", "PATCH")
    assert [p["status"] for p in patches] == [400, 200]
    assert suspension.status == SuspensionStatus.REQUESTED


def test_a_subscription_deleted_upstream_fails_the_suspension_with_a_clear_error(
    pc_settings, pc_sandbox, mirror_from_sandbox, deliver_commands
):
    m = mirror_from_sandbox()
    sid = m.subscription.subscription_id
    suspension = do_suspend_subscription(
        subscription=m.subscription, reason="fraud", actor="admin1"
    )
    sandbox_control(
        pc_sandbox,
        "PATCH",
        f"/_sandbox/customers/{m.tenant_id}/subscriptions/{sid}",
        {"status": "deleted"},
    )

    assert deliver_commands() == {f"suspension:{suspension.pk}:suspend": "failed"}

    suspension.refresh_from_db()
    message = OutboundMessage.objects.get(pk=suspension.suspend_command_id)
    assert suspension.status == SuspensionStatus.FAILED
    assert "deleted" in suspension.failure and sid in suspension.failure
    assert "PermanentDeliveryError" in message.last_error and "deleted" in message.last_error
    m.subscription.refresh_from_db()
    assert m.subscription.status == "deleted"
    assert "subscription.suspension_failed" in actions_for(sid)
    # A failed episode is closed: the subscription cannot be suspended again (it is deleted).
    with pytest.raises(SuspensionError, match="deleted"):
        do_suspend_subscription(subscription=m.subscription, reason="fraud", actor="admin1")


def test_suspending_a_parent_suspends_its_add_ons_and_reactivates_them_together(
    pc_settings, pc_sandbox, mirror_from_sandbox, deliver_commands
):
    m = mirror_from_sandbox(with_add_on=True)
    add_on = m.add_ons[0]

    parent_suspension = do_suspend_subscription(
        subscription=m.subscription, reason="non_payment", actor="finance1"
    )

    child = Suspension.objects.get(subscription=add_on)
    assert child.parent_suspension == parent_suspension
    assert len(deliver_commands()) == 1 + len(m.add_ons)
    for sub in [m.subscription, *m.add_ons]:
        assert (
            upstream_subscription(pc_sandbox, m.tenant_id, sub.subscription_id)["status"]
            == "suspended"
        )
    # The add-on cannot come back while its parent is suspended.
    with pytest.raises(SuspensionError, match="parent subscription .* first.*27009"):
        do_reactivate_subscription(subscription=add_on, actor="finance1")

    do_reactivate_subscription(subscription=m.subscription, actor="finance1", note="paid")

    assert set(deliver_commands().values()) == {"delivered"}
    for sub in [m.subscription, *m.add_ons]:
        assert (
            upstream_subscription(pc_sandbox, m.tenant_id, sub.subscription_id)["status"]
            == "active"
        )
        sub.refresh_from_db()
        assert sub.status == "active"
    child.refresh_from_db()
    assert child.status == SuspensionStatus.REACTIVATED


def test_what_cannot_be_suspended_or_reactivated_is_refused_and_changes_nothing(
    make_customer, make_subscription
):
    customer = make_customer("Northwind")
    active = make_subscription(customer, "Microsoft 365 E3")
    deleted = make_subscription(customer, "Office 365 E1", status="deleted")
    removed = make_subscription(customer, "Visio", removed_upstream_at=timezone.now())
    events = AuditEvent.objects.count()

    with pytest.raises(SuspensionError, match="deleted in Partner Center"):
        do_suspend_subscription(subscription=deleted, reason="fraud", actor="a")
    with pytest.raises(SuspensionError, match="no longer in Partner Center"):
        do_suspend_subscription(subscription=removed, reason="fraud", actor="a")
    with pytest.raises(SuspensionError, match="unknown suspension reason 'late'"):
        do_suspend_subscription(subscription=active, reason="late", actor="a")
    with pytest.raises(SuspensionError, match="not suspended"):
        do_reactivate_subscription(subscription=active, actor="a")
    do_suspend_subscription(subscription=active, reason="other", actor="a")
    with pytest.raises(SuspensionError, match="already has an open suspension"):
        do_suspend_subscription(subscription=active, reason="other", actor="a")
    with pytest.raises(SuspensionError, match="still waiting for Partner Center"):
        do_reactivate_subscription(subscription=active, actor="a")

    assert Suspension.objects.count() == 1
    assert OutboundMessage.objects.count() == 1
    assert AuditEvent.objects.count() == events + 1


def test_no_contact_email_skips_the_notice_with_a_note(pc_settings, mirror_from_sandbox):
    m = mirror_from_sandbox(email="")

    suspension = do_suspend_subscription(
        subscription=m.subscription, reason="non_payment", actor="finance1"
    )

    assert suspension.suspend_notice is None
    assert "no billing contact with an email" in suspension.notice_note
    assert OutboundMessage.objects.filter(kind="email").count() == 0
    event = AuditEvent.objects.get(action="subscription.suspension_requested")
    assert "no billing contact" in event.context["notice"]


@pytest.mark.parametrize(
    ("language", "expected"),
    [("zh-hans", "逾期"), ("en", "payment for your account is overdue")],
)
def test_the_notice_speaks_the_customers_language(
    pc_settings, mirror_from_sandbox, language, expected
):
    m = mirror_from_sandbox(language=language)
    suspension = do_suspend_subscription(
        subscription=m.subscription,
        reason="non_payment",
        actor="f",
        cause={"amount": "1234.50", "currency": "CNY", "stage": "day-30"},
    )
    body = suspension.suspend_notice.payload["body"]
    assert expected in body
    assert "1234.50 CNY" in body
    assert (
        suspension.amount == suspension.amount.__class__("1234.50") and suspension.stage == "day-30"
    )


def test_a_suspension_for_fraud_sends_no_customer_notice(pc_settings, mirror_from_sandbox):
    m = mirror_from_sandbox()
    suspension = do_suspend_subscription(
        subscription=m.subscription, reason="fraud", actor="admin1"
    )
    assert suspension.suspend_notice is None
    assert not OutboundMessage.objects.filter(kind="email").exists()
