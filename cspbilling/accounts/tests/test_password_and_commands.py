from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from cspbilling.accounts.models import ApiToken, Role, User, hash_token
from cspbilling.audit.models import AuditEvent
from cspbilling.web.tests.fixtures import TEST_PASSWORD

pytestmark = pytest.mark.django_db
PROJECT = Path(__file__).resolve().parents[3]
NEW_PASSWORD = "Another-Long-Passphrase-77"


def test_password_change_then_sign_in_with_the_new_one(make_user):
    user = make_user(Role.READ_ONLY, username="rita")
    client = Client()
    client.login(username="rita", password=TEST_PASSWORD)
    page = client.get(reverse("accounts:password_change"))
    assert page.status_code == 200 and "Change password" in page.content.decode()
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": TEST_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert client.get(reverse("web:dashboard")).status_code == 200  # session kept
    assert Client().login(username="rita", password=NEW_PASSWORD)
    assert not Client().login(username="rita", password=TEST_PASSWORD)
    assert AuditEvent.objects.filter(
        action="user.password_changed", object_id=str(user.pk)
    ).exists()


def test_password_change_refuses_a_wrong_old_password(make_user, client_for):
    client = client_for(make_user(Role.READ_ONLY, username="rita"))
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert "old password was entered incorrectly" in response.content.decode()
    assert Client().login(username="rita", password=TEST_PASSWORD)


def test_password_change_enforces_csrf(make_user):
    make_user(Role.READ_ONLY, username="rita")
    client = Client(enforce_csrf_checks=True)
    client.login(username="rita", password=TEST_PASSWORD)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": TEST_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 403
    assert Client().login(username="rita", password=TEST_PASSWORD)


def test_portal_user_changes_password_inside_the_portal_layout(make_user, client_for, customer_a):
    client = client_for(make_user(Role.CUSTOMER, customer=customer_a))
    page = client.get(reverse("accounts:password_change")).content.decode()
    assert "portal-main" in page


def test_createuser_staff_with_api_token(capsys, monkeypatch):
    monkeypatch.setenv("CSPBILLING_NEW_PASSWORD", NEW_PASSWORD)
    call_command("createuser", "frank", "--role", "finance", "--api-token", "erp")
    out = capsys.readouterr().out
    assert "created finance user 'frank'" in out
    raw = out.strip().rsplit(" ", 1)[-1]
    assert raw.startswith("csp_")
    token = ApiToken.objects.get(user__username="frank")
    assert token.token_hash == hash_token(raw) and raw not in token.token_hash
    assert User.objects.get(username="frank").check_password(NEW_PASSWORD)


def test_createuser_portal_user_belongs_to_its_customer(customer_a):
    call_command(
        "createuser",
        "carol",
        "--role",
        "customer",
        "--customer",
        str(customer_a.tenant_id),
        "--password",
        NEW_PASSWORD,
    )
    user = User.objects.get(username="carol")
    assert user.customer == customer_a and user.preferred_language == "zh-hans"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x", "--role", "boss"], "unknown role 'boss'"),
        (["x", "--role", "customer"], "a portal user (role customer) needs a customer"),
        (["x", "--role", "customer", "--customer", "not-a-uuid"], "no customer with tenant id"),
        (["x", "--role", "finance", "--password", "short"], "too short"),
    ],
)
def test_createuser_errors_are_one_clear_line(args, message, monkeypatch):
    monkeypatch.setenv("CSPBILLING_NEW_PASSWORD", NEW_PASSWORD)
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("createuser", *args)
    assert not User.objects.filter(username="x").exists()


def test_createuser_refuses_a_staff_user_with_a_customer(customer_a):
    with pytest.raises(CommandError, match="cannot belong to a customer"):
        call_command(
            "createuser",
            "x",
            "--role",
            "admin",
            "--customer",
            str(customer_a.tenant_id),
            "--password",
            NEW_PASSWORD,
        )


def test_apitoken_command_issues_lists_and_revokes(make_user, capsys):
    make_user(Role.FINANCE, username="frank")
    call_command("apitoken", "frank", "--name", "erp")
    raw = capsys.readouterr().out.strip().rsplit(" ", 1)[-1]
    call_command("apitoken", "frank", "--list")
    listing = capsys.readouterr().out
    assert "erp" in listing and "active" in listing and raw not in listing
    call_command("apitoken", "frank", "--revoke", raw[:12])
    assert ApiToken.objects.get(user__username="frank").revoked_at is not None
    assert AuditEvent.objects.filter(action="api_token.revoked").count() == 1


def test_cli_subprocess_reports_an_unknown_role_in_one_line(database_url_for_subprocess):
    env = {**os.environ, "CSPBILLING_DATABASE_URL": database_url_for_subprocess}
    env.pop("CSPBILLING_NEW_PASSWORD", None)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cspbilling.cli",
            "createuser",
            "x",
            "--role",
            "boss",
            "--password",
            NEW_PASSWORD,
        ],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].endswith(
        "unknown role 'boss': use one of admin, finance, support, readonly, customer"
    )
