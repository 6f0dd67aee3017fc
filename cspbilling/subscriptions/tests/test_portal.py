"""The customer sees why its subscription is suspended and when its data goes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import formats, timezone, translation

from cspbilling.subscriptions.models import Suspension
from cspbilling.subscriptions.services import do_suspend_subscription

pytestmark = pytest.mark.django_db


SUSPENDED_DAYS_AGO = 10


@pytest.fixture
def suspended_e3(customer_a):
    e3 = customer_a.subscriptions.get(subscription_id="sub-a-e3")
    suspension = do_suspend_subscription(subscription=e3, reason="non_payment", actor="finance1")
    confirmed = timezone.now() - timedelta(days=SUSPENDED_DAYS_AGO)
    Suspension.objects.filter(pk=suspension.pk).update(
        status="suspended",
        suspended_at=confirmed,
        data_deletion_on=timezone.localdate(confirmed) + timedelta(days=60),
    )
    e3.status = "suspended"
    e3.save()
    return Suspension.objects.get(pk=suspension.pk)


def localized(day, language: str) -> str:
    with translation.override(language):
        return formats.date_format(day, "DATE_FORMAT")


def detail(client, sub_id: str, language: str | None = None):
    if language:
        client.cookies["django_language"] = language
    return client.get(reverse("portal:subscription_detail", args=[sub_id]))


@pytest.mark.parametrize(
    ("language", "phrases"),
    [
        ("en", ["suspended since", "payment for your account is overdue", "Pay the overdue"]),
        ("zh-hans", ["暂停", "逾期"]),
        ("fr", ["suspendu", "paiement de votre compte est en retard"]),
    ],
)
def test_a_portal_user_sees_the_notice_in_its_language(
    suspended_e3, portal_user_a, client_for, language, phrases
):
    response = detail(client_for(portal_user_a), "sub-a-e3", language)
    assert response.status_code == 200
    page = response.content.decode()
    notice = page[page.index('id="suspension-notice"') :].split("</div>")[0]
    for phrase in phrases:
        assert phrase in notice, phrase
    assert localized(suspended_e3.data_deletion_on, language) in notice
    assert localized(timezone.localdate(suspended_e3.suspended_at), language) in notice
    assert "50" in notice  # days left


def test_an_active_subscription_shows_no_notice(customer_a, portal_user_a, client_for):
    page = detail(client_for(portal_user_a), "sub-a-e3", "en").content.decode()
    assert 'id="suspension-notice"' not in page


def test_another_customers_subscription_is_not_found(
    suspended_e3, customer_b, portal_user_b, client_for
):
    assert detail(client_for(portal_user_b), "sub-a-e3").status_code == 404
    assert detail(client_for(portal_user_b), "sub-b-exo").status_code == 200
