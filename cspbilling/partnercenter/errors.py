"""Errors raised by the Partner Center client. Each one reads as one clear line."""

from __future__ import annotations


class PartnerCenterError(Exception):
    """Partner Center answered with an error (or could not be reached)."""

    def __init__(
        self,
        description: str,
        *,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        endpoint: str | None = None,
    ) -> None:
        self.description = description
        self.status = status
        self.code = code
        self.request_id = request_id
        self.endpoint = endpoint
        super().__init__(str(self))

    def __str__(self) -> str:
        head = self.endpoint or "Partner Center"
        facts = []
        if self.status is not None and self.status >= 400:
            facts.append(f"HTTP {self.status}")
        if self.code:
            facts.append(f"code {self.code}")
        if self.request_id:
            facts.append(f"MS-RequestId {self.request_id}")
        text = " ".join(str(self.description).split())
        return f"{head}: {text}" + (f" ({', '.join(facts)})" if facts else "")


class EtagMismatch(PartnerCenterError):
    """400/2055: the ETag sent is no longer valid. Re-read the resource and decide again."""


class SubscriptionSuspended(PartnerCenterError):
    """400/800091: a suspended subscription cannot be updated; reactivate it first."""


class SubscriptionDeleted(PartnerCenterError):
    """400/2011: a deleted subscription cannot be updated."""


class PartnerCenterAuthError(PartnerCenterError):
    """No access token could be obtained, or the one sent was refused (401/403)."""


class PartnerCenterResponseError(PartnerCenterError):
    """An answer arrived but does not parse (broken JSON, missing or wrong fields)."""


class PartnerCenterUnavailable(PartnerCenterError):
    """Retries were exhausted on throttling, server errors, timeouts or dropped connections."""


_BY_CODE: dict[str, type[PartnerCenterError]] = {
    "2055": EtagMismatch,
    "800091": SubscriptionSuspended,
    "2011": SubscriptionDeleted,
}


def error_class_for(status: int, code: str | None) -> type[PartnerCenterError]:
    if code and code in _BY_CODE:
        return _BY_CODE[code]
    if status in (401, 403):
        return PartnerCenterAuthError
    return PartnerCenterError


class PartnerCenterThrottled(PartnerCenterUnavailable):
    """Throttled with a Retry-After longer than a job may wait: fail now, retry later."""

    def __init__(self, description: str, *, retry_after: float, **facts: object) -> None:
        self.retry_after = retry_after
        super().__init__(description, **facts)
