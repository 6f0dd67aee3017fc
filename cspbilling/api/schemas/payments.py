"""Payments, allocations, refunds and balances. Money is text ("1234.50"), never a number."""

from __future__ import annotations

import datetime as dt
from typing import Literal
from uuid import UUID

from ninja import Schema
from pydantic import Field

from cspbilling.api.common import NO_NUL

AMOUNT = r"^\s*\d{1,15}(\.\d{1,2})?\s*$"
Method = Literal["bank_transfer", "alipay", "wechat_pay", "cheque", "other"]
REASON = r"^[^\x00]*[^\s\x00][^\x00]*$"


class PaymentAllocationIn(Schema):
    invoice_id: int
    amount: str = Field(pattern=AMOUNT, examples=["100.00"])


class CustomerPaymentIn(Schema):
    customer_tenant_id: UUID
    amount: str = Field(pattern=AMOUNT, examples=["1234.50"])
    currency: str = Field("CNY", pattern=r"^[A-Z]{3}$")
    received_on: dt.date
    method: Method = "bank_transfer"
    reference: str = Field("", max_length=140, pattern=NO_NUL)
    allocate: Literal["oldest", "none"] | list[PaymentAllocationIn] = Field(
        "oldest",
        description='"oldest": open invoices, oldest due first; "none": kept as credit; or a list.',
    )


class CustomerPaymentOut(Schema):
    id: int
    customer_tenant_id: UUID
    customer_name: str
    amount: str
    currency: str
    received_on: dt.date
    method: Method
    reference: str
    status: Literal["posted", "reversed"]
    allocated: str
    unallocated: str
    reversal_reason: str


class CustomerPaymentPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[CustomerPaymentOut]


class PaymentReverseIn(Schema):
    reason: str = Field(max_length=500, pattern=REASON)


class CreditRefundIn(Schema):
    amount: str = Field(pattern=AMOUNT)
    currency: str = Field("CNY", pattern=r"^[A-Z]{3}$")
    refunded_on: dt.date
    method: Method = "bank_transfer"
    reference: str = Field("", max_length=140, pattern=NO_NUL)
    reason: str = Field(max_length=500, pattern=REASON)


class CustomerBalanceOut(Schema):
    customer_tenant_id: UUID
    currency: str
    balance: str = Field(description="What the customer owes (negative: what we owe it).")
    open_invoices: str
    credit_available: str


class CustomerStatementLineOut(Schema):
    on: dt.date
    kind: Literal["invoice", "credit_note", "payment", "payment_reversal", "refund"]
    document: str
    amount: str
    balance: str


class CustomerStatementOut(Schema):
    customer_tenant_id: UUID
    customer_name: str
    currency: str
    from_: dt.date = Field(alias="from")
    as_of: dt.date
    opening_balance: str
    invoiced: str
    credited: str
    paid: str
    refunded: str
    credit_available: str
    closing_balance: str
    lines: list[CustomerStatementLineOut]


class ReceivablesAgingRowOut(Schema):
    customer_tenant_id: UUID
    customer_name: str
    currency: str
    current: str
    days_1_30: str
    days_31_60: str
    days_61_90: str
    days_over_90: str
    total: str


class ReceivablesAgingOut(Schema):
    as_of: dt.date
    totals: dict[str, dict[str, str]] = Field(description="By currency, each bucket's sum.")
    count: int
    limit: int
    offset: int
    items: list[ReceivablesAgingRowOut]


class MarginRowOut(Schema):
    key: str = Field(description="The customer's id or the offer id.")
    name: str
    currency: str
    invoices: int
    revenue: str
    cost: str
    margin: str
    percent: str | None


class CashWeekOut(Schema):
    currency: str
    due: str = Field(description='"overdue", the first day of a week (YYYY-MM-DD), or "later".')
    receivable: str
    payable: str
    gap: str
    running: str


class StatementImportOut(Schema):
    id: int
    bank_account: str
    filename: str
    file_format: str
    encoding: str
    summary: dict[str, int]


class StatementLineOut(Schema):
    id: int
    bank_account: str
    booked_on: dt.date
    amount: str
    currency: str
    bank_reference: str
    payer_name: str
    payer_account: str
    remittance: str
    status: Literal["matched", "suggested", "unmatched", "assigned", "ignored"]
    match_rule: str
    suggested_customer_tenant_id: UUID | None
    suggested_invoice_number: str | None
    payment_id: int | None


class AssignLineIn(Schema):
    customer_tenant_id: UUID
    invoice_id: int | None = None
