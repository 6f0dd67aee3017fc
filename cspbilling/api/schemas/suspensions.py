"""Suspension episodes of subscriptions, and the requests to suspend or reactivate one.
A portal user's token sees its customer's episodes without the staff's notes and names."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from ninja import Schema
from pydantic import Field

from cspbilling.api.common import NO_NUL, money
from cspbilling.subscriptions import selectors
from cspbilling.subscriptions.models import SuspensionReason, SuspensionStatus

STAFF_ONLY = ("note", "requested_by", "reactivation_requested_by", "reactivation_note", "failure")


def _for_staff(obj, context, name: str) -> str | None:
    request = (context or {}).get("request")
    if getattr(getattr(request, "auth", None), "is_portal_user", False):
        return None
    return getattr(obj, name)


class UpstreamStateOut(Schema):
    state: str = Field(description="requested, confirmed or failed: Partner Center's answer.")
    error: str


class SuspensionOut(Schema):
    id: int
    subscription_id: str
    customer_tenant_id: UUID
    customer_name: str
    offer_name: str
    reason: SuspensionReason
    status: SuspensionStatus
    parent_suspension_id: int | None
    requested_at: dt.datetime
    suspended_at: dt.datetime | None
    reactivation_requested_at: dt.datetime | None
    reactivated_at: dt.datetime | None
    failed_at: dt.datetime | None
    data_deletion_on: dt.date | None = Field(
        description="The day the cloud deletes the data if the subscription is not reactivated."
    )
    days_until_deletion: int | None
    upstream: UpstreamStateOut
    amount: str | None = Field(description="For non-payment: the overdue amount, as text.")
    currency: str
    note: str | None = Field(description="Staff only (null for a portal user's token).")
    requested_by: str | None = Field(description="Staff only.")
    reactivation_requested_by: str | None = Field(description="Staff only.")
    reactivation_note: str | None = Field(description="Staff only.")
    failure: str | None = Field(description="Staff only.")

    @staticmethod
    def resolve_subscription_id(obj) -> str:
        return obj.subscription.subscription_id

    @staticmethod
    def resolve_customer_tenant_id(obj) -> UUID:
        return obj.subscription.customer.tenant_id

    @staticmethod
    def resolve_customer_name(obj) -> str:
        return obj.subscription.customer.company_name

    @staticmethod
    def resolve_offer_name(obj) -> str:
        return obj.subscription.offer_name

    @staticmethod
    def resolve_days_until_deletion(obj) -> int | None:
        return selectors.days_until_deletion(obj, today=selectors.today())

    @staticmethod
    def resolve_upstream(obj) -> dict:
        state, error = selectors.upstream_state(obj)
        return {"state": state, "error": error or ""}

    @staticmethod
    def resolve_amount(obj) -> str | None:
        return money(obj.amount)

    @staticmethod
    def resolve_note(obj, context) -> str | None:
        return _for_staff(obj, context, "note")

    @staticmethod
    def resolve_requested_by(obj, context) -> str | None:
        return _for_staff(obj, context, "requested_by")

    @staticmethod
    def resolve_reactivation_requested_by(obj, context) -> str | None:
        return _for_staff(obj, context, "reactivation_requested_by")

    @staticmethod
    def resolve_reactivation_note(obj, context) -> str | None:
        return _for_staff(obj, context, "reactivation_note")

    @staticmethod
    def resolve_failure(obj, context) -> str | None:
        return _for_staff(obj, context, "failure")


class SuspensionPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[SuspensionOut]


class SuspendIn(Schema):
    reason: SuspensionReason
    note: str = Field("", max_length=2000, pattern=NO_NUL)


class ReactivateIn(Schema):
    note: str = Field("", max_length=2000, pattern=NO_NUL)
