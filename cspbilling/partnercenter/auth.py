"""Access tokens for Partner Center: the sandbox's fixed token, App-only and App+User (msal).

Tokens are cached and refreshed 30 s before they expire. Secrets (client secret, refresh token,
access tokens) never appear in logs, reprs or error messages.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from cspbilling.partnercenter.errors import PartnerCenterAuthError

log = logging.getLogger(__name__)

REFRESH_MARGIN_SECONDS = 30.0


@dataclass(frozen=True)
class CloudEndpoints:
    base_url: str
    authority_host: str
    scope: str  # App+User (secure application model)
    app_only_scope: str


CLOUDS: dict[str, CloudEndpoints] = {
    "china": CloudEndpoints(
        base_url="https://partner.partnercenterapi.microsoftonline.cn",
        authority_host="https://login.chinacloudapi.cn",
        scope="https://partner.partnercenterapi.microsoftonline.cn/user_impersonation",
        app_only_scope="https://partner.partnercenterapi.microsoftonline.cn/.default",
    ),
    "global": CloudEndpoints(
        base_url="https://api.partnercenter.microsoft.com",
        authority_host="https://login.microsoftonline.com",
        scope="https://api.partnercenter.microsoft.com/user_impersonation",
        app_only_scope="https://api.partnercenter.microsoft.com/.default",
    ),
}


def endpoints_from_settings(pc: dict[str, Any]) -> CloudEndpoints:
    """The cloud's defaults (CLOUD china|global), each overridable by its own setting."""
    cloud = (pc.get("CLOUD") or "china").lower()
    if cloud not in CLOUDS:
        raise PartnerCenterAuthError(f"PARTNER_CENTER CLOUD must be china or global, not {cloud!r}")
    base = CLOUDS[cloud]
    return CloudEndpoints(
        base_url=(pc.get("BASE_URL") or base.base_url).rstrip("/"),
        authority_host=(pc.get("AUTHORITY_HOST") or base.authority_host).rstrip("/"),
        scope=pc.get("SCOPE") or base.scope,
        app_only_scope=pc.get("APP_ONLY_SCOPE") or base.app_only_scope,
    )


def msal_knows_host(authority_host: str) -> bool:
    from msal.authority import WELL_KNOWN_AUTHORITY_HOSTS

    host = urlsplit(authority_host if "//" in authority_host else f"https://{authority_host}")
    return (host.hostname or "") in WELL_KNOWN_AUTHORITY_HOSTS


class TokenProvider(Protocol):
    def get_token(self) -> str: ...

    def invalidate(self) -> None: ...


class SandboxTokenProvider:
    """The sandbox's fixed bearer token."""

    def __init__(self, token: str) -> None:
        self._token = token

    def get_token(self) -> str:
        return self._token

    def invalidate(self) -> None:
        pass

    def __repr__(self) -> str:
        return "SandboxTokenProvider(token=***)"


class _CachedMsalProvider:
    """Shared cache and refresh logic; subclasses say how to ask msal for a token."""

    kind = "token"

    def __init__(
        self,
        *,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        authority_host: str,
        scope: str,
        instance_discovery: bool = True,
        clock: Callable[[], float] = time.time,
        app_factory: Callable[..., Any] | None = None,
    ) -> None:
        missing = [n for n, v in (("TENANT_ID", tenant_id), ("CLIENT_ID", client_id)) if not v]
        if not client_secret:
            missing.append("CLIENT_SECRET")
        if missing:
            names = ", ".join(missing)
            raise PartnerCenterAuthError(f"Partner Center {self.kind}: missing {names}")
        self.tenant_id = tenant_id
        self.client_id = client_id
        self._client_secret = client_secret
        self.authority = f"{authority_host.rstrip('/')}/{tenant_id}"
        self.scope = scope
        self.instance_discovery = instance_discovery and msal_knows_host(authority_host)
        self._clock = clock
        self._app_factory = app_factory
        self._app: Any = None
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(authority={self.authority!r}, client_id={self.client_id!r}, "
            f"scope={self.scope!r}, secret=***)"
        )

    def _msal_app(self) -> Any:
        if self._app is None:
            factory = self._app_factory
            if factory is None:
                import msal

                factory = msal.ConfidentialClientApplication
            self._app = factory(
                self.client_id,
                client_credential=self._client_secret,
                authority=self.authority,
                instance_discovery=self.instance_discovery,
            )
        return self._app

    def _acquire(self, app: Any) -> dict[str, Any]:
        raise NotImplementedError

    def get_token(self) -> str:
        with self._lock:
            now = self._clock()
            if self._token is None or now >= self._expires_at - REFRESH_MARGIN_SECONDS:
                result = self._acquire(self._msal_app()) or {}
                if "access_token" not in result:
                    error = result.get("error") or "no_token"
                    detail = (result.get("error_description") or "").splitlines()
                    raise PartnerCenterAuthError(
                        f"{self.kind} sign-in at {self.authority} failed: {error}"
                        + (f": {detail[0]}" if detail else "")
                    )
                self._token = result["access_token"]
                self._expires_at = now + float(result.get("expires_in") or 3600)
                log.info(
                    "partner center %s token acquired, valid %ss",
                    self.kind,
                    result.get("expires_in"),
                )
            return self._token

    def invalidate(self) -> None:
        with self._lock:
            self._token = None
            self._expires_at = 0.0


class AppOnlyTokenProvider(_CachedMsalProvider):
    """Client credentials (acquire_token_for_client)."""

    kind = "app-only"

    def _acquire(self, app: Any) -> dict[str, Any]:
        return app.acquire_token_for_client(scopes=[self.scope])


class AppUserTokenProvider(_CachedMsalProvider):
    """Secure application model: exchange the stored refresh token for access tokens."""

    kind = "app+user"

    def __init__(self, *, refresh_token: str, **kwargs: Any) -> None:
        if not refresh_token:
            raise PartnerCenterAuthError("Partner Center app+user: missing REFRESH_TOKEN")
        self._refresh_token = refresh_token
        super().__init__(**kwargs)

    def _acquire(self, app: Any) -> dict[str, Any]:
        result = app.acquire_token_by_refresh_token(self._refresh_token, scopes=[self.scope])
        if result and result.get("refresh_token"):
            # The newest refresh token is the one that keeps working; keep it for next time.
            self._refresh_token = result["refresh_token"]
        return result


def provider_from_settings(pc: dict[str, Any] | None = None) -> TokenProvider:
    """Sandbox token if SANDBOX_TOKEN is set, else App+User if REFRESH_TOKEN, else App-only."""
    if pc is None:
        from django.conf import settings

        pc = settings.PARTNER_CENTER
    if pc.get("SANDBOX_TOKEN"):
        return SandboxTokenProvider(pc["SANDBOX_TOKEN"])
    ep = endpoints_from_settings(pc)
    common = dict(
        tenant_id=pc.get("TENANT_ID") or "",
        client_id=pc.get("CLIENT_ID") or "",
        client_secret=pc.get("CLIENT_SECRET") or "",
        authority_host=ep.authority_host,
        instance_discovery=bool(pc.get("INSTANCE_DISCOVERY", True)),
    )
    if pc.get("REFRESH_TOKEN"):
        return AppUserTokenProvider(refresh_token=pc["REFRESH_TOKEN"], scope=ep.scope, **common)
    if pc.get("CLIENT_SECRET"):
        return AppOnlyTokenProvider(scope=ep.app_only_scope, **common)
    raise PartnerCenterAuthError(
        "Partner Center is not configured: set CSPBILLING_PC_SANDBOX_TOKEN, or "
        "CSPBILLING_PC_TENANT_ID, CSPBILLING_PC_CLIENT_ID, CSPBILLING_PC_CLIENT_SECRET "
        "(and CSPBILLING_PC_REFRESH_TOKEN for App+User)"
    )
