"""PartnerCenterClient.from_settings() reaches the sandbox when a sandbox token is set."""

from __future__ import annotations

from cspbilling.partnercenter.client import PartnerCenterClient


def test_client_from_settings_uses_the_sandbox(pc_sandbox, settings):
    settings.PARTNER_CENTER = dict(
        settings.PARTNER_CENTER,
        SANDBOX_TOKEN=pc_sandbox.token,
        BASE_URL="",
        LOCALE="zh-CN",
        MAX_RETRIES=1,
    )
    settings.SANDBOX_PORT = pc_sandbox.port

    with PartnerCenterClient.from_settings() as client:
        customers = list(client.iter_customers())

    assert len(customers) == 50
    assert client.transport.base_url == pc_sandbox.base_url
    assert client.transport.max_retries == 1
    assert client.transport._http.headers["X-Locale"] == "zh-CN"
    assert client.transport._http.headers["MS-Contract-Version"] == "v1"
