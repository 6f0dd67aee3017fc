from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cspbilling.accounts.models import Role, User
from cspbilling.audit.models import AuditEvent
from cspbilling.audit.selectors import verify_chain
from cspbilling.web.tests.fixtures import TEST_PASSWORD

pytestmark = pytest.mark.django_db

LOCKED_TEXT = "locked until"


@pytest.fixture(autouse=True)
def small_lockout(settings):
    settings.LOGIN_LOCKOUT_THRESHOLD = 3
    settings.LOGIN_LOCKOUT_MINUTES = 15


def sign_in(client: Client, username: str, password: str):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_correct_password_signs_in_and_staff_lands_on_the_console(make_user):
    make_user(Role.FINANCE, username="fiona")
    client = Client()
    response = sign_in(client, "fiona", TEST_PASSWORD)
    assert response.status_code == 302
    landing = client.get(response["Location"])
    assert landing.status_code == 302 and landing["Location"] == reverse("web:dashboard")


def test_portal_user_lands_on_the_portal(make_user, customer_a):
    make_user(Role.CUSTOMER, customer=customer_a, username="carol")
    client = Client()
    sign_in(client, "carol", TEST_PASSWORD)
    assert client.get(reverse("accounts:home"))["Location"] == reverse("portal:home")


def test_wrong_password_says_so_without_locking_before_the_threshold(make_user):
    make_user(Role.FINANCE, username="fiona")
    client = Client()
    for _ in range(2):
        response = sign_in(client, "fiona", "wrong")
        assert response.status_code == 200
        assert LOCKED_TEXT not in response.content.decode()
        assert "correct username and password" in response.content.decode()
    assert sign_in(client, "fiona", TEST_PASSWORD).status_code == 302


def test_threshold_failures_lock_the_account_even_for_the_right_password(make_user):
    user = make_user(Role.FINANCE, username="fiona")
    client = Client()
    for _ in range(3):
        response = sign_in(client, "fiona", "wrong")
    assert LOCKED_TEXT in response.content.decode()
    response = sign_in(client, "fiona", TEST_PASSWORD)
    assert response.status_code == 200
    assert LOCKED_TEXT in response.content.decode()
    assert "_auth_user_id" not in client.session
    user.refresh_from_db()
    assert user.is_locked()
    actions = list(
        AuditEvent.objects.filter(object_type="user", object_id=str(user.pk)).values_list(
            "action", flat=True
        )
    )
    assert actions == ["user.created", "login.failed", "login.failed", "login.locked"]
    assert verify_chain().ok


def test_unknown_username_locks_the_same_way(make_user):
    client = Client()
    messages = [sign_in(client, "nobody", "wrong").content.decode() for _ in range(4)]
    assert LOCKED_TEXT not in messages[0]
    assert LOCKED_TEXT in messages[2] and LOCKED_TEXT in messages[3]
    assert not User.objects.filter(username="nobody").exists()


def test_the_lock_opens_after_the_window(make_user):
    user = make_user(Role.SUPPORT, username="sam")
    client = Client()
    for _ in range(3):
        sign_in(client, "sam", "wrong")
    later = timezone.now() + timedelta(minutes=16)
    with mock.patch("django.utils.timezone.now", return_value=later):
        response = sign_in(client, "sam", TEST_PASSWORD)
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.failed_login_count == 0 and user.locked_until is None


def test_still_locked_just_before_the_window_ends(make_user):
    make_user(Role.SUPPORT, username="sam")
    client = Client()
    for _ in range(3):
        sign_in(client, "sam", "wrong")
    almost = timezone.now() + timedelta(minutes=14)
    with mock.patch("django.utils.timezone.now", return_value=almost):
        response = sign_in(client, "sam", TEST_PASSWORD)
    assert response.status_code == 200 and LOCKED_TEXT in response.content.decode()


def test_a_success_resets_the_counter(make_user):
    user = make_user(Role.SUPPORT, username="sam")
    client = Client()
    sign_in(client, "sam", "wrong")
    sign_in(client, "sam", "wrong")
    assert sign_in(client, "sam", TEST_PASSWORD).status_code == 302
    client.post(reverse("accounts:logout"))
    sign_in(client, "sam", "wrong")
    sign_in(client, "sam", "wrong")
    user.refresh_from_db()
    assert user.failed_login_count == 2 and not user.is_locked()


def test_login_form_enforces_csrf(make_user):
    make_user(Role.FINANCE, username="fiona")
    client = Client(enforce_csrf_checks=True)
    response = sign_in(client, "fiona", TEST_PASSWORD)
    assert response.status_code == 403
    client.get(reverse("accounts:login"))
    token = client.cookies["csrftoken"].value
    response = client.post(
        reverse("accounts:login"),
        {"username": "fiona", "password": TEST_PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302


def test_logout_is_post_only(make_user, client_for):
    client = client_for(make_user(Role.FINANCE))
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get(reverse("web:dashboard")).status_code == 302  # back to the login page
