"""The people page: administrators see who can sign in and lift a lock sooner."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cspbilling.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def locked(make_user):
    user = make_user("support", username="locked-out")
    user.failed_login_count = 5
    user.locked_until = timezone.now() + timedelta(minutes=15)
    user.save()
    return user


def test_an_administrator_unlocks_a_locked_out_agent(staff_users, client_for, locked):
    client = client_for(staff_users["admin"])
    page = client.get(reverse("accounts:people")).content.decode()
    assert 'data-user="locked-out" data-locked="1"' in page and "Unlock" in page
    response = client.post(reverse("accounts:unlock", args=[locked.pk]), follow=True)
    assert "locked-out can sign in again." in response.content.decode()
    locked.refresh_from_db()
    assert (locked.failed_login_count, locked.locked_until) == (0, None)
    event = AuditEvent.objects.get(action="user.unlocked")
    assert event.actor == "staff-admin" and event.before["failed_login_count"] == 5


@pytest.mark.parametrize("role", ["finance", "support", "readonly"])
def test_only_administrators_see_people_or_unlock(staff_users, client_for, locked, role):
    client = client_for(staff_users[role])
    assert client.get(reverse("accounts:people")).status_code == 403
    assert client.post(reverse("accounts:unlock", args=[locked.pk])).status_code == 403
    locked.refresh_from_db()
    assert locked.locked_until is not None


def test_unlock_needs_a_post_with_the_csrf_token(staff_users, locked):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_users["admin"])
    assert client.get(reverse("accounts:unlock", args=[locked.pk])).status_code == 405
    assert client.post(reverse("accounts:unlock", args=[locked.pk])).status_code == 403
    locked.refresh_from_db()
    assert locked.locked_until is not None


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_browser_an_administrator_unlocks_from_the_people_page(
    live_server, staff_users, locked, portal_user_a, artifacts_dir, browser
):
    from cspbilling.web.tests.browser import sign_in

    page = browser.new_page(viewport={"width": 1360, "height": 900}, locale="en-US")
    sign_in(page, live_server, "staff-admin")
    page.wait_for_url(f"{live_server.url}/console/")
    page.click("nav.sidenav >> text=People")
    page.wait_for_url("**/console/people/")
    row = page.locator('tr[data-user="locked-out"]')
    assert "Locked until" in row.inner_text()
    assert "Contoso China" in page.locator('tr[data-user="portal-a"]').inner_text()
    page.screenshot(path=str(artifacts_dir / "console-people.png"), full_page=True)
    row.locator("button", has_text="Unlock").click()
    page.wait_for_selector("text=locked-out can sign in again.")
    assert "Allowed" in page.locator('tr[data-user="locked-out"]').inner_text()
