from __future__ import annotations

from datetime import datetime
from uuid import UUID

from ninja import Schema


class CustomerOut(Schema):
    tenant_id: UUID
    company_name: str
    legal_name: str
    domain: str
    status: str
    country: str
    tax_id: str
    language: str
    currency: str
    payment_terms_days: int
    last_synced_at: datetime | None


class CustomerPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[CustomerOut]


class SubscriptionOut(Schema):
    subscription_id: str
    customer_tenant_id: UUID
    offer_id: str
    offer_name: str
    friendly_name: str
    quantity: int
    unit_type: str
    status: str
    suspension_reasons: list[str]
    billing_cycle: str
    term_duration: str
    commitment_end_date: datetime | None
    auto_renew_enabled: bool
    is_trial: bool
    parent_subscription_id: str

    @staticmethod
    def resolve_customer_tenant_id(obj) -> UUID:
        return obj.customer.tenant_id

    @staticmethod
    def resolve_suspension_reasons(obj) -> list[str]:
        return [str(reason) for reason in (obj.suspension_reasons or [])]
