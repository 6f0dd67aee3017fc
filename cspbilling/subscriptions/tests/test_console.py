"""Staff console: suspend and reactivate from the customer page, the list, the detail."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cspbilling.notifications.models import OutboundMessage
from cspbilling.subscriptions.models import Suspension, SuspensionStatus
from cspbilling.subscriptions.services import do_suspend_subscription
from cspbilling.subscriptions.tests.fixtures import sandbox_control

pytestmark = pytest.mark.django_db


def suspend_url(sub) -> str:
    return reverse("subscriptions:suspend", args=[sub.subscription_id])


FORM = {"reason": "non_payment", "note": "two invoices 45 days late", "confirm": "on"}


def test_the_customer_page_offers_suspend_to_finance_only(customer_a, staff_users, client_for):
    url = reverse("web:customer_detail", args=[customer_a.tenant_id])
    e3 = customer_a.subscriptions.get(subscription_id="sub-a-e3")
    finance = client_for(staff_users["finance"]).get(url).content.decode()
    assert suspend_url(e3) in finance
    assert reverse("subscriptions:reactivate", args=["sub-a-e1"]) in finance
    support = client_for(staff_users["support"]).get(url).content.decode()
    assert suspend_url(e3) not in support


def test_the_form_names_the_subscription_the_customer_and_the_60_days(
    customer_a, staff_users, client_for
):
    e3 = customer_a.subscriptions.get(subscription_id="sub-a-e3")
    page = client_for(staff_users["admin"]).get(suspend_url(e3)).content.decode()
    assert "Microsoft 365 E3" in page and "sub-a-e3" in page
    assert customer_a.display_name in page
    assert "60 days" in page and "deletes its data" in page


def test_suspend_without_confirmation_is_refused(customer_a, staff_users, client_for):
    e3 = customer_a.subscriptions.get(subscription_id="sub-a-e3")
    response = client_for(staff_users["finance"]).post(suspend_url(e3), {"reason": "fraud"})
    assert response.status_code == 400
    assert not Suspension.objects.exists()


def test_double_submit_opens_one_suspension_and_one_command(customer_a, staff_users, client_for):
    e3 = customer_a.subscriptions.get(subscription_id="sub-a-e3")
    client = client_for(staff_users["finance"])

    first = client.post(suspend_url(e3), FORM)
    second = client.post(suspend_url(e3), FORM, follow=True)

    suspension = Suspension.objects.get()
    assert first.status_code == 302
    assert first.url == reverse("subscriptions:suspension_detail", args=[suspension.pk])
    assert second.redirect_chain[-1][0] == first.url
    assert "already has an open suspension" in second.content.decode()
    assert OutboundMessage.objects.filter(kind="partner_center").count() == 1
    assert OutboundMessage.objects.filter(kind="email").count() == 1
    assert suspension.requested_by == staff_users["finance"].username
    assert suspension.note == FORM["note"]


@pytest.mark.parametrize("role", ["readonly", "support"])
def test_readonly_and_support_cannot_suspend_or_reactivate(
    customer_a, staff_users, client_for, role
):
    client = client_for(staff_users[role])
    e3 = customer_a.subscriptions.get(subscription_id="sub-a-e3")
    assert client.get(suspend_url(e3)).status_code == 403
    assert client.post(suspend_url(e3), FORM).status_code == 403
    reactivate = reverse("subscriptions:reactivate", args=["sub-a-e1"])
    assert client.post(reactivate, {}).status_code == 403
    assert client.get(reverse("subscriptions:suspension_list")).status_code == 200
    assert not Suspension.objects.exists()


def test_csrf_is_enforced(customer_a, staff_users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_users["admin"])
    e3 = customer_a.subscriptions.get(subscription_id="sub-a-e3")
    assert client.post(suspend_url(e3), FORM).status_code == 403
    assert not Suspension.objects.exists()


def test_anonymous_is_sent_to_login(customer_a):
    response = Client().get(reverse("subscriptions:suspension_list"))
    assert response.status_code == 302 and "login" in response.url


def test_reactivating_a_subscription_suspended_outside_cspbilling_adopts_it(
    customer_a, staff_users, client_for
):
    e1 = customer_a.subscriptions.get(subscription_id="sub-a-e1")
    response = client_for(staff_users["admin"]).post(
        reverse("subscriptions:reactivate", args=[e1.subscription_id]), {"note": "paid"}
    )
    suspension = Suspension.objects.get(subscription=e1)
    assert response.status_code == 302
    assert suspension.status == SuspensionStatus.REACTIVATION_REQUESTED
    assert suspension.requested_by == "partner-center"
    assert suspension.reactivate_notice.payload["language"] == "zh-hans"


def test_the_list_counts_down_and_warns_in_red_within_14_days(
    customer_a, staff_users, client_for, monkeypatch
):
    e3 = customer_a.subscriptions.get(subscription_id="sub-a-e3")
    pbi = customer_a.subscriptions.get(subscription_id="sub-a-pbi")
    near = do_suspend_subscription(subscription=e3, reason="non_payment", actor="finance1")
    far = do_suspend_subscription(subscription=pbi, reason="fraud", actor="admin1")
    day0 = dt.date(2026, 3, 1)
    Suspension.objects.filter(pk__in=[near.pk, far.pk]).update(
        status="suspended", suspended_at=timezone.now()
    )
    Suspension.objects.filter(pk=near.pk).update(data_deletion_on=day0 + timedelta(days=60))
    Suspension.objects.filter(pk=far.pk).update(data_deletion_on=day0 + timedelta(days=75))
    # The clock: 50 days after day0, 10 days are left for `near`, 25 for `far`.
    frozen = timezone.make_aware(dt.datetime(2026, 4, 20, 10, 0))
    monkeypatch.setattr(timezone, "now", lambda: frozen)

    page = (
        client_for(staff_users["readonly"])
        .get(reverse("subscriptions:suspension_list"))
        .content.decode()
    )

    near_row = page[page.index(f'data-suspension="{near.pk}"') :].split("</tr>")[0]
    far_row = page[page.index(f'data-suspension="{far.pk}"') :].split("</tr>")[0]
    assert page.index(f'data-suspension="{near.pk}"') < page.index(f'data-suspension="{far.pk}"')
    assert "10 days left" in near_row and "countdown-warn" in near_row
    assert "25 days left" in far_row and "countdown-warn" not in far_row
    assert "Non-payment" in near_row and "finance1" in near_row
    from cspbilling.subscriptions.selectors import suspensions_near_deletion

    assert list(suspensions_near_deletion(today=timezone.localdate())) == [near]
    filtered = (
        client_for(staff_users["readonly"])
        .get(reverse("subscriptions:suspension_list"), {"reason": "fraud"})
        .content.decode()
    )
    assert (
        f'data-suspension="{far.pk}"' in filtered and f'data-suspension="{near.pk}"' not in filtered
    )


def test_a_subscription_deleted_upstream_shows_staff_the_error(
    pc_settings, pc_sandbox, mirror_from_sandbox, deliver_commands, staff_users, client_for
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
    deliver_commands()
    client = client_for(staff_users["support"])

    detail = client.get(
        reverse("subscriptions:suspension_detail", args=[suspension.pk])
    ).content.decode()

    assert 'id="upstream-error"' in detail and "deleted in Partner Center" in detail
    listing = client.get(reverse("subscriptions:suspension_list")).content.decode()
    assert f'data-suspension="{suspension.pk}"' not in listing  # failed episodes are closed
    failed = client.get(reverse("subscriptions:suspension_list"), {"status": "failed"})
    row = failed.content.decode().split(f'data-suspension="{suspension.pk}"')[1].split("</tr>")[0]
    assert "failed" in row and "deleted" in row
