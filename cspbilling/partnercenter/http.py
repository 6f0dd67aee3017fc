"""HTTP transport for Partner Center: headers, retries with backoff, JSON in and out.

Retries (exponential backoff with full jitter, honouring Retry-After) cover 429, 5xx, timeouts
and dropped connections; other 4xx are raised at once. A retried request keeps its MS-RequestId.
A request that is not idempotent is retried only when it certainly never reached the server.
"""

from __future__ import annotations

import json
import logging
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx

from cspbilling.core.network import refuse_inside_transaction
from cspbilling.partnercenter.auth import TokenProvider
from cspbilling.partnercenter.errors import (
    PartnerCenterError,
    PartnerCenterResponseError,
    PartnerCenterThrottled,
    PartnerCenterUnavailable,
    error_class_for,
)

log = logging.getLogger(__name__)


@dataclass
class ApiResponse:
    status: int
    data: Any
    headers: httpx.Headers
    request_id: str
    endpoint: str


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        as_float = float(value)
        return as_float if Decimal(repr(as_float)) == value else str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(body: Any) -> bytes:
    return json.dumps(body, default=_json_default, ensure_ascii=False).encode()


def loads(text: str | bytes) -> Any:
    return json.loads(text, parse_float=Decimal)


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


def _error_fields(response: httpx.Response) -> tuple[str | None, str]:
    try:
        body = loads(response.content)
    except ValueError:
        body = None
    if isinstance(body, dict):
        lowered = {str(k).lower(): v for k, v in body.items()}
        code = lowered.get("code")
        description = lowered.get("description") or lowered.get("message") or ""
        return (str(code) if code is not None else None), str(description)
    text = response.text.strip().splitlines()
    return None, (text[0][:200] if text else response.reason_phrase)


class Transport:
    def __init__(
        self,
        *,
        base_url: str,
        token_provider: TokenProvider,
        timeout: float = 30.0,
        max_retries: int = 6,
        locale: str = "en-US",
        backoff_base: float = 0.5,
        backoff_max: float = 60.0,
        retry_after_max: float = 300.0,
        sleep: Callable[[float], None] = time.sleep,
        correlation_id: str | None = None,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.locale = locale
        self.token_provider = token_provider
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.retry_after_max = retry_after_max
        self.sleep = sleep
        self.jitter = jitter
        self.correlation_id = correlation_id or str(uuid.uuid4())
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_keepalive_connections=8, keepalive_expiry=30),
            headers={
                "Accept": "application/json",
                "MS-CorrelationId": self.correlation_id,
                "MS-Contract-Version": "v1",
                "X-Locale": locale,
            },
        )

    def close(self) -> None:
        self._http.close()

    def backoff(self, attempt: int, retry_after: float | None) -> float:
        ceiling = min(self.backoff_max, self.backoff_base * (2**attempt))
        delay = self.jitter() * ceiling
        return max(delay, retry_after) if retry_after is not None else delay

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        idempotent: bool = True,
    ) -> ApiResponse:
        endpoint = f"{method} {path.split('?', 1)[0]}"
        request_id = str(uuid.uuid4())
        content = dumps(body) if body is not None else None
        attempt = 0
        auth_refreshed = False
        refuse_inside_transaction(endpoint)
        while True:
            sent_headers = {
                "Authorization": f"Bearer {self.token_provider.get_token()}",
                "MS-RequestId": request_id,
                **(headers or {}),
            }
            if content is not None:
                sent_headers["Content-Type"] = "application/json"
            retry_after: float | None = None
            status: int | None = None
            try:
                response = self._http.request(
                    method, path, params=params, content=content, headers=sent_headers
                )
            except httpx.TimeoutException as exc:
                failure = f"no answer within {self.timeout:g}s"
                retryable = idempotent or isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout)
            except httpx.TransportError as exc:
                failure = f"connection failed ({type(exc).__name__}: {exc})"
                retryable = idempotent or isinstance(exc, httpx.ConnectError)
            else:
                status = response.status_code
                log.debug("%s -> %s (MS-RequestId %s)", endpoint, status, request_id)
                if status == 401 and not auth_refreshed:
                    auth_refreshed = True
                    self.token_provider.invalidate()
                    continue
                if status == 429 or status >= 500:
                    code, description = _error_fields(response)
                    failure = f"{status} {description}".strip()
                    retry_after = _retry_after_seconds(response.headers.get("Retry-After"))
                    retryable = idempotent or status in (429, 503)
                else:
                    return self._finish(response, endpoint=endpoint, request_id=request_id)
            if not retryable:
                raise PartnerCenterUnavailable(
                    f"{failure}; not retried because the change may have been applied",
                    status=status,
                    request_id=request_id,
                    endpoint=endpoint,
                )
            if attempt >= self.max_retries:
                raise PartnerCenterUnavailable(
                    f"gave up after {attempt + 1} attempts: {failure}",
                    status=status,
                    request_id=request_id,
                    endpoint=endpoint,
                )
            if retry_after is not None and retry_after > self.retry_after_max:
                raise PartnerCenterThrottled(
                    f"{failure}; Partner Center asks to wait {retry_after:g} s, more than the "
                    f"{self.retry_after_max:g} s we wait in a job: try again later",
                    status=status,
                    request_id=request_id,
                    endpoint=endpoint,
                    retry_after=retry_after,
                )
            delay = self.backoff(attempt, retry_after)
            log.info("%s: %s; retry %d in %.2fs", endpoint, failure, attempt + 1, delay)
            self.sleep(delay)
            attempt += 1

    def _finish(self, response: httpx.Response, *, endpoint: str, request_id: str) -> ApiResponse:
        status = response.status_code
        if status >= 400:
            code, description = _error_fields(response)
            cls = error_class_for(status, code)
            raise cls(
                description or response.reason_phrase,
                status=status,
                code=code,
                request_id=request_id,
                endpoint=endpoint,
            )
        data = None
        if response.content.strip():
            try:
                data = loads(response.content)
            except ValueError as exc:
                raise PartnerCenterResponseError(
                    f"answer is not valid JSON ({exc})",
                    status=status,
                    request_id=request_id,
                    endpoint=endpoint,
                ) from None
        return ApiResponse(status, data, response.headers, request_id, endpoint)


__all__ = ["ApiResponse", "PartnerCenterError", "Transport", "dumps", "loads"]
