"""Billing support cases and their messages. A portal token never sees internal notes."""

from __future__ import annotations

import datetime as dt
from typing import Literal
from uuid import UUID

from ninja import Schema
from pydantic import Field

Category = Literal[
    "invoice_question",
    "payment",
    "dispute",
    "refund_or_credit",
    "suspension_or_access",
    "technical",
]
TEXT = r"^[^\x00]*[^\s\x00][^\x00]*$"  # not blank, no NUL


class SupportCaseMessageOut(Schema):
    id: int
    visibility: Literal["public", "internal"]
    author_kind: str
    author: str
    channel: str
    body: str
    is_resolution: bool
    created_at: dt.datetime


class SupportCaseSummaryOut(Schema):
    reference: str
    customer_tenant_id: UUID | None
    subject: str
    category: str
    priority: str
    status: str
    assignee: str | None
    messages: int
    created_at: dt.datetime
    resolution_due_at: dt.datetime | None


class SupportCaseOut(SupportCaseSummaryOut):
    invoice_ids: list[int]
    invoice_line_ids: list[int]
    dispute_outcome: str
    satisfaction: int | None
    conversation: list[SupportCaseMessageOut]


class SupportCasePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[SupportCaseSummaryOut]


class SupportCaseIn(Schema):
    subject: str = Field(max_length=300, pattern=TEXT)
    body: str = Field(max_length=100_000, pattern=TEXT)
    category: Category = "invoice_question"
    customer_tenant_id: UUID | None = Field(None, description="staff only: whose case it is")
    invoice_line_ids: list[int] = Field(default_factory=list, max_length=50)


class SupportCaseMessageIn(Schema):
    body: str = Field(max_length=100_000, pattern=TEXT)
    visibility: Literal["public", "internal"] = Field(
        "public", description="staff only: internal is a note the customer never sees"
    )


class SupportCaseResolveIn(Schema):
    resolution: str = Field(max_length=100_000, pattern=TEXT)
    outcome: Literal["", "credit_note", "upheld"] = ""
    credit_note_number: str = Field("", max_length=32)
