"""Escalations to 21Vianet (staff only). Money is a string ("100.00")."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

from ninja import Schema
from pydantic import Field

TEXT = r"^[^\x00]*[^\s\x00][^\x00]*$"  # not blank, no NUL
NO_NUL = r"^[^\x00]*$"
LineId = Annotated[int, Field(ge=1, le=2**62)]


class EscalationSummaryOut(Schema):
    reference: str
    case_reference: str
    customer_tenant_id: UUID
    channel: str
    status: str
    cause: str
    severity: str
    ticket_number: str | None
    upstream_status: str
    disputed_amount: str
    currency: str
    promised_credit: str | None
    credit_received_at: dt.datetime | None
    credit_received: str | None = Field(None, description="What 21Vianet's credit gave back")
    credit_short: str | None = Field(
        None, description="How much less than promised 21Vianet credited (null: not short)"
    )
    shortfall_credit_line_id: int | None = Field(
        None, description="21Vianet's second credit line, which made up a short first one"
    )
    oversized_credit_line_id: int | None = Field(
        None,
        description="A credit found but not matched (why: flagged_credit): staff check it",
    )
    flagged_credit: str = Field(
        "",
        description="larger (than promised), unmarked (not a credit by its charge type), "
        "period (another charge period) or shortfall (not of a short credit's missing amount)",
    )
    credit_billed_invoice_number: str | None = Field(
        None,
        description="Our issued invoice that already passed 21Vianet's credit on to the customer",
    )
    credit_billed: str | None = Field(None, description="What that invoice gave for it (net)")
    credited_twice: str | None = Field(
        None, description="Given twice (credit note at approval and billed credit): recover it"
    )
    credit_note_number: str | None = Field(
        None, description="The first credit note (by invoice); all of them: credit_note_numbers"
    )
    credit_note_numbers: list[str] = Field(
        default_factory=list, description="One credit note per customer invoice credited"
    )
    last_answer_at: dt.datetime | None
    next_reminder_at: dt.datetime | None
    created_at: dt.datetime
    closed_at: dt.datetime | None


class RejectedCreditLineOut(Schema):
    upstream_line_id: int
    reason: str


class EscalationOut(EscalationSummaryOut):
    title: str
    description: str
    upstream_line_ids: list[int]
    lines_csv: str
    flagged_credit_held: bool = Field(
        False,
        description="The flagged credit line is held out of billing until finance decides "
        "(false: none is flagged, or it was billed on an issued invoice already)",
    )
    rejected_credit_lines: list[RejectedCreditLineOut] = Field(
        default_factory=list,
        description="Credit lines finance found are not this escalation's: billed as usual",
    )


class EscalationPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[EscalationSummaryOut]


class EscalationIn(Schema):
    cause: Literal[
        "wrong_price",
        "wrong_quantity",
        "after_cancellation",
        "duplicate_charge",
        "not_ordered",
        "fraud_or_misuse",
        "other",
    ] = "other"
    severity: Literal["minimal", "moderate", "critical"] = "moderate"
    upstream_line_ids: list[LineId] = Field(default_factory=list, max_length=500)
    checked: str = Field("", pattern=NO_NUL, max_length=5000)
    asked: str = Field("", pattern=NO_NUL, max_length=5000)


class EscalationTicketIn(Schema):
    ticket_number: str = Field(..., min_length=1, max_length=60, pattern=NO_NUL)


class EscalationAnswerIn(Schema):
    text: str = Field(..., pattern=TEXT, max_length=100_000)
    requests_information: bool = False


class EscalationWithdrawIn(Schema):
    reason: str = Field(..., pattern=TEXT, max_length=5000)


class EscalationOutcomeIn(Schema):
    outcome: Literal["upheld", "rejected"]
    promised_credit: str | None = Field(None, pattern=r"^\d{1,15}(\.\d{1,2})?$")
    reason: str = Field("", pattern=NO_NUL, max_length=20_000)


class FlaggedCreditAcceptIn(Schema):
    upstream_line_id: LineId = Field(
        ..., description="The flagged line, as the escalation names it"
    )


class FlaggedCreditRejectIn(Schema):
    upstream_line_id: LineId = Field(
        ..., description="The flagged line, as the escalation names it"
    )
    reason: str = Field(..., pattern=TEXT, max_length=500)
