"""What 21Vianet bills the partner: invoices, their lines, payables, our payments to 21Vianet.
Money is text ("1234.50"), never a float."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from ninja import Schema
from pydantic import Field

from cspbilling.api.common import NO_NUL, AmountIn, money


class InvoiceOut(Schema):
    invoice_id: str
    invoice_date: dt.date | None
    due_date: dt.date | None
    billing_period_start: dt.date | None
    billing_period_end: dt.date | None
    currency: str
    status: str
    amount: str = Field(description="The invoice's own total, else the sum of its lines.")
    paid: str
    balance: str
    sum_check: str
    lines_count: int
    revision: int


class InvoicePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[InvoiceOut]


class PaymentOut(Schema):
    id: int
    invoice_id: str
    amount: str
    currency: str
    paid_on: dt.date
    reference: str
    recorded_by: str | None
    created_at: dt.datetime

    @staticmethod
    def resolve_invoice_id(obj) -> str:
        return obj.invoice.invoice_id

    @staticmethod
    def resolve_amount(obj) -> str:
        return money(obj.amount)

    @staticmethod
    def resolve_recorded_by(obj) -> str | None:
        return obj.recorded_by.username if obj.recorded_by_id else None


class UnknownReferences(Schema):
    unknown_customers: list[str]
    unknown_customers_count: int
    unknown_subscriptions: list[str]
    unknown_subscriptions_count: int


class InvoiceDetailOut(InvoiceOut):
    total_charges: str | None = Field(description="The invoice's own total, if we know it.")
    tax_total: str | None
    lines_total: str
    lines_tax: str
    difference: str = Field(description="amount − lines_total (0.00 when the sum check is ok).")
    days_to_due: int | None = Field(description="Negative: overdue. None when paid or undated.")
    document_type: str
    invoice_type: str
    unknown: UnknownReferences
    payments: list[PaymentOut]


class LineOut(Schema):
    id: int
    kind: str
    line_number: int = Field(description="Row in the file (header = row 1).")
    customer_tenant_id: UUID | None
    customer_name: str
    subscription_id: str
    billing_subscription_id: str
    offer_id: str
    durable_offer_id: str
    offer_name: str
    charge_type: str
    charge_start: dt.date | None
    charge_end: dt.date | None
    unit_price: str | None
    quantity: str | None
    amount: str
    tax: str
    total: str
    currency: str
    source: dict[str, Any] = Field(description="Every column of the file, as written.")

    @staticmethod
    def resolve_unit_price(obj) -> str | None:
        return money(obj.unit_price)

    @staticmethod
    def resolve_quantity(obj) -> str | None:
        return money(obj.quantity, 0)

    @staticmethod
    def resolve_amount(obj) -> str:
        return money(obj.amount)

    @staticmethod
    def resolve_tax(obj) -> str:
        return money(obj.tax)

    @staticmethod
    def resolve_total(obj) -> str:
        return money(obj.total)

    @staticmethod
    def resolve_source(obj) -> dict[str, Any]:
        return obj.source_columns


class LinePage(Schema):
    invoice_id: str
    lines_count: int
    limit: int
    after: int
    next_after: int | None = Field(description="Pass as `after` for the next page; None: done.")
    items: list[LineOut]


class PayableOut(Schema):
    invoice_id: str
    currency: str
    amount: str
    balance: str
    due_date: dt.date | None
    days_to_due: int | None
    bucket: str


class AgingOut(Schema):
    currency: str
    total: str
    buckets: dict[str, str] = Field(description="current, 1-30, 31-60, 61-90, 90+ days overdue.")


class PayablesOut(Schema):
    today: dt.date
    days: int
    aging: list[AgingOut]
    due_within: list[PayableOut] = Field(description="Open balances due within `days` days.")
    open: list[PayableOut] = Field(description="Every invoice with an open balance.")


class PaymentIn(Schema):
    amount: AmountIn
    currency: str | None = Field(None, max_length=8, pattern=NO_NUL)
    paid_on: dt.date
    reference: str = Field(..., min_length=1, max_length=100, pattern=r"^[^\x00]*\S[^\x00]*$")
    confirm_overpayment: bool = False
