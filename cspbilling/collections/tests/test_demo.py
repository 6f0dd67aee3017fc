"""The demo's collections: a customer at each stage today, one that collections suspended after
its notices had been delivered for the policy's days (replayed under a moved clock), and one
that was suspended and then paid, its subscriptions back at once."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from cspbilling.collections.models import Action
from cspbilling.notifications.models import MessageStatus
from cspbilling.ops.demo import load_demo_data
from cspbilling.subscriptions.models import Suspension, SuspensionStatus
from cspbilling.subscriptions.tests.fixtures import upstream_subscription


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_demo_has_a_customer_suspended_by_collections_and_one_its_payment_reactivated(
    pc_sandbox, settings, cloud, smtp_server, tmp_path, make_user, client_for
):
    settings.VAR_DIR = tmp_path
    settings.PARTNER_CENTER = {
        **settings.PARTNER_CENTER,
        "BASE_URL": pc_sandbox.base_url,
        "SANDBOX_TOKEN": pc_sandbox.token,
    }
    said = load_demo_data()
    assert "2 suspended after their notices, one reactivated by its payment" in said, said
    by_collections = Suspension.objects.exclude(policy_version="").select_related(
        "subscription__customer"
    )
    still = [s for s in by_collections if s.status == SuspensionStatus.SUSPENDED]
    back = [s for s in by_collections if s.status == SuspensionStatus.REACTIVATED]
    assert still and back
    assert {s.subscription.customer_id for s in still}.isdisjoint(
        {s.subscription.customer_id for s in back}
    )
    for suspension, status in [(still[0], "suspended"), (back[0], "active")]:
        sub = suspension.subscription
        assert (
            upstream_subscription(pc_sandbox, str(sub.customer.tenant_id), sub.subscription_id)[
                "status"
            ]
            == status
        )
    # Proof of notice, in the past: each suspended customer's notices were delivered days
    # before the suspension, on the days of their stages, to the real SMTP server.
    customer = still[0].subscription.customer_id
    notices = Action.objects.filter(customer=customer, kind="notify", status="done")
    suspend = Action.objects.get(customer=customer, kind="suspend")
    assert notices.count() == 3 and suspend.as_of < timezone.localdate()
    for notice in notices:
        assert notice.message.status == MessageStatus.DELIVERED
        assert timezone.localtime(notice.message.delivered_at).date() == notice.as_of
        assert notice.as_of < suspend.as_of
    assert any(m["To"] for m in smtp_server.received)
    # Today's customers, one per stage (the suspension stage held for its notice's days).
    assert "6 customers overdue" in said
    # Staff read the whole story on the reactivated customer's timeline.
    paid = back[0].subscription.customer
    page = client_for(make_user("finance")).get(
        reverse("collections:customer", args=[paid.tenant_id])
    )
    text = page.content.decode()
    for words in (
        "Friendly reminder: Notice",
        "Suspension of the subscriptions: Suspension",
        "Reactivated",
        "Payment received",
        "(DEMO-PAID-INV-",
    ):
        assert words in text, words
