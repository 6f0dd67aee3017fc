"""The Partner Center REST client (see partner-center.md). Iterators stream page by page."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any, Self
from urllib.parse import quote

from cspbilling.partnercenter.auth import (
    TokenProvider,
    endpoints_from_settings,
    provider_from_settings,
)
from cspbilling.partnercenter.http import Transport
from cspbilling.partnercenter.paging import iter_collection, parse_model
from cspbilling.partnercenter.resources import (
    BillingProvider,
    Customer,
    Invoice,
    InvoiceLineItem,
    InvoiceLineItemType,
    InvoiceSummary,
    ServiceRequest,
    Subscription,
    SubscriptionStatus,
    SupportTopic,
    line_item_model,
)


def _seg(value: str) -> str:
    return quote(str(value), safe="")


def _quoted_etag(etag: str) -> str:
    return etag if etag.startswith(('"', "W/")) else f'"{etag}"'


class PartnerCenterClient:
    def __init__(
        self,
        *,
        base_url: str,
        token_provider: TokenProvider,
        timeout: float = 30,
        max_retries: int = 6,
        locale: str = "en-US",
        backoff_base: float = 0.5,
        backoff_max: float = 60,
        retry_after_max: float = 300,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.transport = Transport(
            base_url=base_url,
            token_provider=token_provider,
            timeout=timeout,
            max_retries=max_retries,
            locale=locale,
            backoff_base=backoff_base,
            backoff_max=backoff_max,
            retry_after_max=retry_after_max,
            sleep=sleep,
        )

    @classmethod
    def from_settings(cls, **overrides: Any) -> PartnerCenterClient:
        from django.conf import settings

        pc = settings.PARTNER_CENTER
        base_url = pc.get("BASE_URL")
        if not base_url:
            base_url = (
                f"http://127.0.0.1:{settings.SANDBOX_PORT}"
                if pc.get("SANDBOX_TOKEN")
                else endpoints_from_settings(pc).base_url
            )
        options: dict[str, Any] = dict(
            base_url=base_url,
            token_provider=provider_from_settings(pc),
            timeout=pc.get("TIMEOUT_SECONDS") or 30,
            max_retries=pc.get("MAX_RETRIES", 6),
            retry_after_max=pc.get("RETRY_AFTER_MAX_SECONDS", 300),
            locale=pc.get("LOCALE") or "en-US",
        )
        options.update(overrides)
        return cls(**options)

    @property
    def correlation_id(self) -> str:
        return self.transport.correlation_id

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _get(self, path: str, model: type, params: dict[str, Any] | None = None) -> Any:
        response = self.transport.request("GET", path, params=params)
        return parse_model(model, response.data, response)

    # --- customers and subscriptions ---------------------------------------------------------

    def iter_customers(
        self, *, page_size: int = 40, filter: dict | None = None
    ) -> Iterator[Customer]:
        """All customers; ``filter`` is e.g. {"Field": "CompanyName", "Value": "北京",
        "Operator": "starts_with"}."""
        params: dict[str, Any] = {"size": page_size}
        if filter:
            params["filter"] = json.dumps(filter, ensure_ascii=False)
        return iter_collection(self.transport, "/v1/customers", Customer, params=params)

    def get_customer(self, customer_id: str) -> Customer:
        return self._get(f"/v1/customers/{_seg(customer_id)}", Customer)

    def iter_subscriptions(self, customer_id: str) -> Iterator[Subscription]:
        path = f"/v1/customers/{_seg(customer_id)}/subscriptions"
        return iter_collection(self.transport, path, Subscription)

    def get_subscription(self, customer_id: str, subscription_id: str) -> Subscription:
        path = f"/v1/customers/{_seg(customer_id)}/subscriptions/{_seg(subscription_id)}"
        return self._get(path, Subscription)

    def set_subscription_status(
        self, customer_id: str, subscription: Subscription, status: SubscriptionStatus | str
    ) -> Subscription:
        """PATCH the subscription as last read with its status changed, guarded by its ETag.

        Raises EtagMismatch (2055) when it changed since it was read: re-read and decide again.
        """
        status = SubscriptionStatus(status)
        body = dict(subscription.raw)
        for key in [k for k in body if isinstance(k, str) and k.lower() == "status"]:
            del body[key]
        body["status"] = status.value
        headers = {"If-Match": _quoted_etag(subscription.etag)} if subscription.etag else {}
        path = f"/v1/customers/{_seg(customer_id)}/subscriptions/{_seg(subscription.id)}"
        response = self.transport.request("PATCH", path, body=body, headers=headers)
        return parse_model(Subscription, response.data, response)

    # --- invoices ------------------------------------------------------------------------------

    def iter_invoices(self, *, page_size: int = 200) -> Iterator[Invoice]:
        params = {"size": page_size, "offset": 0}
        return iter_collection(self.transport, "/v1/invoices", Invoice, params=params)

    def get_invoice(self, invoice_id: str) -> Invoice:
        return self._get(f"/v1/invoices/{_seg(invoice_id)}", Invoice)

    def get_invoice_summary(self) -> InvoiceSummary:
        return self._get("/v1/invoices/summary", InvoiceSummary)

    def iter_invoice_line_items(
        self,
        invoice_id: str,
        *,
        provider: str = "office",
        line_item_type: str = "billing_line_items",
        page_size: int = 2000,
    ) -> Iterator[InvoiceLineItem]:
        """Typed line items (LicenseLineItem, UsageLineItem, ...); ``.raw`` has every column."""
        model = line_item_model(provider, line_item_type)
        params = {
            "provider": BillingProvider(provider).value,
            "invoicelineitemtype": InvoiceLineItemType(line_item_type).value.replace("_", ""),
            "size": min(page_size, 2000),
            "offset": 0,
        }
        path = f"/v1/invoices/{_seg(invoice_id)}/lineitems"
        return iter_collection(self.transport, path, model, params=params)

    # --- service requests ----------------------------------------------------------------------

    def iter_service_requests(self, status: str | None = None) -> Iterator[ServiceRequest]:
        params: dict[str, Any] = {}
        if status:
            params["filter"] = json.dumps(
                {"Field": "Status", "Value": status, "Operator": "equals"}
            )
        return iter_collection(self.transport, "/v1/servicerequests", ServiceRequest, params=params)

    def iter_customer_service_requests(self, customer_id: str) -> Iterator[ServiceRequest]:
        path = f"/v1/customers/{_seg(customer_id)}/servicerequests"
        return iter_collection(self.transport, path, ServiceRequest)

    def get_service_request(self, service_request_id: str) -> ServiceRequest:
        return self._get(f"/v1/servicerequests/{_seg(service_request_id)}", ServiceRequest)

    def add_service_request_note(self, service_request_id: str, text: str) -> ServiceRequest:
        """Add a note (PATCH NewNote). Not blindly retried: a retry could add it twice."""
        response = self.transport.request(
            "PATCH",
            f"/v1/servicerequests/{_seg(service_request_id)}",
            body={"NewNote": {"Text": text}},
            idempotent=False,
        )
        return parse_model(ServiceRequest, response.data, response)

    def create_service_request(
        self, *, title: str, description: str, severity: str, support_topic_id: str
    ) -> ServiceRequest:
        """POST /v1/servicerequests/{locale} (where a cloud still offers it). Never blindly
        retried: it has no idempotency key, so a lost answer is looked up, not sent again."""
        response = self.transport.request(
            "POST",
            f"/v1/servicerequests/{_seg(self.transport.locale)}",
            body={
                "Title": title,
                "Description": description,
                "Severity": severity,
                "SupportTopicId": support_topic_id,
            },
            idempotent=False,
        )
        return parse_model(ServiceRequest, response.data, response)

    def iter_support_topics(self) -> Iterator[SupportTopic]:
        return iter_collection(self.transport, "/v1/servicerequests/supporttopics", SupportTopic)
