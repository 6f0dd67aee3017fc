"""Token providers: caching and refresh 30 s before expiry (a fake clock and a fake msal app)."""

from __future__ import annotations

import logging

import pytest

from cspbilling.partnercenter.auth import (
    AppOnlyTokenProvider,
    AppUserTokenProvider,
    SandboxTokenProvider,
    endpoints_from_settings,
    provider_from_settings,
)
from cspbilling.partnercenter.errors import PartnerCenterAuthError


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


class FakeMsalApp:
    """Stands in for msal.ConfidentialClientApplication: no network in tests."""

    made: list[dict] = []

    def __init__(self, client_id, *, client_credential, authority, instance_discovery):
        FakeMsalApp.made.append(
            dict(client_id=client_id, authority=authority, instance_discovery=instance_discovery)
        )
        self.calls: list[tuple] = []
        self.answers: list[dict] = []

    def _answer(self) -> dict:
        if self.answers:
            return self.answers.pop(0)
        return {"access_token": f"at-{len(self.calls)}", "expires_in": 3600}

    def acquire_token_for_client(self, scopes):
        self.calls.append(("client", tuple(scopes)))
        return self._answer()

    def acquire_token_by_refresh_token(self, refresh_token, scopes):
        self.calls.append(("refresh", refresh_token, tuple(scopes)))
        answer = self._answer()
        answer.setdefault("refresh_token", f"rt-{len(self.calls)}")
        return answer


COMMON = dict(
    tenant_id="partner-tenant",
    client_id="app-id",
    client_secret="super-secret-value",
    authority_host="https://login.chinacloudapi.cn",
    app_factory=FakeMsalApp,
)


def test_app_only_token_is_cached_and_refreshed_30s_before_expiry():
    clock = Clock()
    provider = AppOnlyTokenProvider(
        scope="https://partner.partnercenterapi.microsoftonline.cn/.default", clock=clock, **COMMON
    )
    assert provider.get_token() == "at-1"
    clock.now += 3600 - 31
    assert provider.get_token() == "at-1"
    app = provider._app
    assert len(app.calls) == 1
    clock.now += 2  # now inside the 30 s margin
    assert provider.get_token() == "at-2"
    assert app.calls[-1] == (
        "client",
        ("https://partner.partnercenterapi.microsoftonline.cn/.default",),
    )
    assert FakeMsalApp.made[-1]["authority"] == "https://login.chinacloudapi.cn/partner-tenant"
    assert FakeMsalApp.made[-1]["instance_discovery"] is True
    provider.invalidate()
    assert provider.get_token() == "at-3"


def test_app_user_exchanges_and_keeps_the_newest_refresh_token():
    clock = Clock()
    provider = AppUserTokenProvider(
        refresh_token="rt-0", scope="https://x/user_impersonation", clock=clock, **COMMON
    )
    provider.get_token()
    clock.now += 4000
    provider.get_token()
    calls = provider._app.calls
    assert [c[1] for c in calls] == ["rt-0", "rt-1"]


def test_sign_in_failure_is_clear_and_never_shows_secrets(caplog):
    caplog.set_level(logging.DEBUG)
    provider = AppUserTokenProvider(
        refresh_token="refresh-secret", scope="s", clock=Clock(), **COMMON
    )
    provider._msal_app().answers.append(
        {"error": "invalid_grant", "error_description": "AADSTS70000: token expired\ntrace"}
    )
    with pytest.raises(PartnerCenterAuthError) as caught:
        provider.get_token()
    message = str(caught.value)
    assert "invalid_grant" in message and "AADSTS70000" in message and "\n" not in message
    for text in (message, repr(provider), caplog.text):
        assert "super-secret-value" not in text and "refresh-secret" not in text


def test_unknown_authority_host_turns_instance_discovery_off():
    provider = AppOnlyTokenProvider(
        scope="s", **dict(COMMON, authority_host="https://login.example-sovereign.cn")
    )
    assert provider.instance_discovery is False


def test_provider_from_settings_and_cloud_endpoints():
    sandbox = provider_from_settings({"SANDBOX_TOKEN": "s3cr3t-sbx"})
    assert isinstance(sandbox, SandboxTokenProvider) and sandbox.get_token() == "s3cr3t-sbx"
    assert "s3cr3t" not in repr(sandbox)

    china = endpoints_from_settings({"CLOUD": "china"})
    assert china.base_url == "https://partner.partnercenterapi.microsoftonline.cn"
    assert china.authority_host == "https://login.chinacloudapi.cn"
    assert china.scope.endswith("microsoftonline.cn/user_impersonation")
    world = endpoints_from_settings({"CLOUD": "global", "APP_ONLY_SCOPE": "custom/.default"})
    assert world.base_url == "https://api.partnercenter.microsoft.com"
    assert world.app_only_scope == "custom/.default"

    user = provider_from_settings(
        {"TENANT_ID": "t", "CLIENT_ID": "c", "CLIENT_SECRET": "s", "REFRESH_TOKEN": "r"}
    )
    assert isinstance(user, AppUserTokenProvider)
    assert user.scope == china.scope
    app_only = provider_from_settings({"TENANT_ID": "t", "CLIENT_ID": "c", "CLIENT_SECRET": "s"})
    assert isinstance(app_only, AppOnlyTokenProvider)
    assert app_only.scope == china.app_only_scope
    with pytest.raises(PartnerCenterAuthError, match="CSPBILLING_PC_SANDBOX_TOKEN"):
        provider_from_settings({})
